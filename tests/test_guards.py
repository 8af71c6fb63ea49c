"""Rules a mutation check found unguarded: each test here fails when its rule is taken out.

- a slot closed between the request's checks and the seat hold takes no seats;
- an asset in any state but published is never public (pages, API, search, downloads);
- log-out is a CSRF-protected POST: another site cannot sign a user out;
- freed seats go to the first waiting group that fits, even when a bigger one waits before it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from koin_media.assets.models import (
    APPROVED,
    ARCHIVED,
    DRAFT,
    FAILED,
    PENDING_REVIEW,
    PROCESSING,
    REJECTED,
    REJECTED_FILE,
    UPLOADING,
    VERIFYING,
    Asset,
)
from koin_media.booking import capacity, services, waitlist
from koin_media.booking.models import OFFERED, WAITING, Slot, WaitlistEntry
from koin_media.booking.problems import BookingRefused
from koin_media.database import write_intent
from koin_media.extensions import db

from .asset_helpers import approved_asset
from .booking_helpers import group_request, make_slot, school_users, seats_accounted
from .conftest import Auth, csrf_token

# --- a slot closed between check and hold --------------------------------------------------


def test_a_closed_slot_gives_no_seats_even_after_the_checks_passed(app):
    """The hold itself re-checks that the slot is open, in the same statement that takes the
    seats: a closure committed after the request's checks cannot be overtaken."""
    slot = make_slot(capacity=100)
    with write_intent():
        db.session.execute(update(Slot).where(Slot.id == slot.id).values(is_open=False))
        assert capacity.hold(slot.id, 32) is False
        db.session.commit()
    assert seats_accounted(slot.id) == (0, 0)


def test_a_request_for_a_slot_closed_meanwhile_is_refused_as_closed(app):
    slot = make_slot(capacity=100)
    (school,) = school_users(1, start=300)
    db.session.execute(update(Slot).where(Slot.id == slot.id).values(is_open=False))
    db.session.commit()
    with pytest.raises(BookingRefused) as refused:
        services.book_slot(school, slot.id, group_request())
    assert refused.value.code == "slot_closed"
    assert seats_accounted(slot.id) == (0, 0)


# --- only published assets are public -----------------------------------------------------

NOT_PUBLIC = [UPLOADING, VERIFYING, PROCESSING, DRAFT, PENDING_REVIEW, ARCHIVED, REJECTED_FILE, FAILED, REJECTED]


@pytest.mark.parametrize("status", NOT_PUBLIC)
def test_an_unpublished_asset_is_never_public(client, factory, status):
    owner = factory.user("creator")
    visitor = factory.user("ikm")
    asset = approved_asset(owner, "Songket Subahnale", description="tenun songket dari Sukarara")
    db.session.execute(update(Asset).where(Asset.id == asset.id).values(status=status))
    db.session.commit()

    for path in ("/assets", "/assets?q=songket", "/api/v1/assets", "/api/v1/assets?q=songket"):
        page = client.get(path)
        assert page.status_code == 200
        assert "Subahnale" not in page.get_data(as_text=True), f"{status} asset listed on {path}"
    assert client.get(f"/assets/{asset.id}").status_code == 404
    assert client.get(f"/api/v1/assets/{asset.id}").status_code == 404

    Auth(client).login(visitor)
    assert client.get(f"/assets/{asset.id}").status_code == 404
    token = csrf_token(client, "/assets")
    form = {"csrf_token": token, "variant": "original", "accept_license": "y", "purpose": "social"}
    assert client.post(f"/assets/{asset.id}/download", data=form).status_code == 404
    api = client.post(
        f"/api/v1/assets/{asset.id}/download",
        json={"variant": "original", "accept_license": True},
        headers={"X-CSRFToken": token},
    )
    assert api.status_code == 404
    db.session.rollback()
    assert db.session.get(Asset, asset.id).download_count == 0


def test_the_same_asset_published_is_public(client, factory):
    """The other side of the test above: with the status approved, every door opens."""
    owner = factory.user("creator")
    asset = approved_asset(owner, "Songket Subahnale", description="tenun songket dari Sukarara")
    assert asset.status == APPROVED
    assert "Subahnale" in client.get("/assets?q=songket").get_data(as_text=True)
    assert client.get(f"/api/v1/assets/{asset.id}").status_code == 200


# --- log-out needs the CSRF token ------------------------------------------------------------


def test_log_out_without_the_csrf_token_keeps_the_user_signed_in(client, auth, factory):
    user = factory.user("ikm")
    auth.login(user)
    forged = client.post("/logout")
    assert forged.status_code == 400
    assert client.get("/account").status_code == 200
    auth.logout()
    assert client.get("/account").status_code == 302


# --- waitlist: the first group that fits ----------------------------------------------------


def test_freed_seats_go_to_a_smaller_group_behind_a_group_too_big(app):
    slot = make_slot(capacity=50)
    first, second, big, small = school_users(4, start=400)
    kept = services.book_slot(first, slot.id, group_request(students=20, teachers=2))
    freed = services.book_slot(second, slot.id, group_request(students=20, teachers=2))
    assert seats_accounted(slot.id) == (44, 44)

    waiting_big = waitlist.join_waitlist(big, slot.id, group_request(students=30, teachers=2))
    waiting_small = waitlist.join_waitlist(small, slot.id, group_request(students=10, teachers=1))
    assert (waiting_big.status, waiting_small.status) == (WAITING, WAITING)

    services.cancel(freed, second)  # 22 seats back: 28 free, too few for 32, enough for 11

    db.session.rollback()
    statuses = dict(db.session.execute(select(WaitlistEntry.id, WaitlistEntry.status)).all())
    assert statuses[waiting_big.id] == WAITING
    assert statuses[waiting_small.id] == OFFERED
    assert seats_accounted(slot.id) == (22 + 11, 22 + 11)
    assert kept.status == "pending"


def test_freed_seats_go_first_come_first_served_when_the_first_group_fits(app):
    """Freed seats that fit the first waiting group go to it, not to a smaller one behind."""
    slot = make_slot(capacity=50, starts_in=timedelta(days=9))
    first, second, earlier, later = school_users(4, start=500)
    services.book_slot(first, slot.id, group_request(students=20, teachers=2))
    freed = services.book_slot(second, slot.id, group_request(students=20, teachers=2))
    waiting_earlier = waitlist.join_waitlist(earlier, slot.id, group_request(students=20, teachers=2))
    waiting_later = waitlist.join_waitlist(later, slot.id, group_request(students=10, teachers=1))

    services.cancel(freed, second)  # 28 free: 22 for the earlier group, 6 left, too few for 11

    db.session.rollback()
    statuses = dict(db.session.execute(select(WaitlistEntry.id, WaitlistEntry.status)).all())
    assert statuses[waiting_earlier.id] == OFFERED
    assert statuses[waiting_later.id] == WAITING
    assert seats_accounted(slot.id) == (22 + 22, 22 + 22)


# --- request hooks read, the view writes ----------------------------------------------------


@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/v1/auth/register", {"role": "ikm"}),
        ("/api/v1/auth/password-reset", {"email": "seseorang@contoh.id"}),
    ],
)
def test_a_signed_in_call_to_a_rate_limited_route_does_not_wait_for_its_own_lock(make_app, factory, path, body):
    """Loading the caller (bearer token) happens in a request hook, before the database rate
    limiter writes its counter on its own connection: the hook must not hold SQLite's write
    lock, or the counter waits for the request itself until the busy timeout (a 503)."""
    app = make_app(RATELIMIT_STORAGE_URI="database://", DATABASE_BUSY_TIMEOUT_MS=1000)
    with app.app_context():
        from koin_media.accounts.services import create_token

        _token, plain = create_token(factory.user("ikm"))
        response = app.test_client().post(path, json=body, headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code in (202, 422), response.get_json()


@pytest.mark.parametrize(
    "method, path", [("GET", "/api/v1/me"), ("POST", "/language"), ("POST", "/api/v1/auth/verify-email/resend")]
)
def test_a_token_used_is_recorded_whether_the_request_reads_or_writes(client, factory, method, path):
    """The token is found by a request hook, which only reads: the record of its use is written
    after the hooks (writing requests) or on its own connection (page views), never lost."""
    from koin_media.accounts.models import ApiToken
    from koin_media.accounts.services import create_token

    token, plain = create_token(factory.user("ikm"))
    assert token.last_used_at is None
    response = client.open(path, method=method, data={"locale": "en"}, headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code < 500
    db.session.rollback()
    assert db.session.get(ApiToken, token.id).last_used_at is not None
