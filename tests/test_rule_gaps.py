"""Rules whose breaks the suite used to let through: every non-public
asset status kept out of every public view, log-out's CSRF check, the waitlist when the head of
the queue does not fit, and a slot closed between the booking's checks and its seat hold."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select

from koin_media.accounts.models import User
from koin_media.assets import models as asset_models
from koin_media.audit import AuditEvent
from koin_media.booking import programs, rules
from koin_media.booking.models import CANCELLED, OFFERED, WAITING, Booking, Slot
from koin_media.booking.problems import BookingRefused
from koin_media.booking.services import book_slot, cancel
from koin_media.booking.waitlist import join_waitlist
from koin_media.database import write_intent
from koin_media.extensions import db

from .asset_helpers import approved_asset
from .booking_helpers import group_request, make_program, make_slot, make_venue, school_users, seats_accounted
from .conftest import Auth, csrf_token

# -- catalogue visibility: every status but approved --------------------------------------------

HIDDEN = sorted(set(asset_models.STATUSES) - {asset_models.APPROVED})


def test_the_hidden_statuses_are_all_but_approved():
    # A new status must join HIDDEN (or be made public on purpose): this list is what is tested.
    assert set(HIDDEN) >= {"draft", "uploading", "processing", "failed", "rejected", "archived", "pending_review"}


def _cards(html: str) -> set[int]:
    """The assets a page shows a card of (titles may be marked up by search highlighting)."""
    return {int(asset_id) for asset_id in re.findall(r'<a href="/assets/(\d+)">', html)}


@pytest.mark.parametrize("status", HIDDEN)
def test_an_asset_that_is_not_approved_shows_nowhere_in_public(app, client, factory, status):
    creator = factory.user("creator", name="Baiq Nurul")
    venue = make_venue()
    shown = approved_asset(creator, "Kopi Sembalun", "Biji kopi dari lereng Rinjani.", "kopi", venue_id=venue.id)
    hidden = approved_asset(creator, "Kopi Rahasia", "Biji kopi dari lereng Rinjani.", "kopi", venue_id=venue.id)
    # Public once (warming every cache a visitor fills), then taken out of the catalogue.
    assert _cards(client.get("/assets").get_data(as_text=True)) == {shown.id, hidden.id}
    hidden.status = status
    db.session.commit()

    assert _cards(client.get("/assets").get_data(as_text=True)) == {shown.id}
    assert _cards(client.get("/assets?q=kopi").get_data(as_text=True)) == {shown.id}  # the search page
    assert _cards(client.get("/assets?q=rahasia").get_data(as_text=True)) == set()
    assert _cards(client.get(f"/venues/{venue.slug}").get_data(as_text=True)) == {shown.id}
    for query in ({}, {"q": "kopi"}, {"q": "rahasia"}, {"venue": venue.slug}):
        body = client.get("/api/v1/assets", query_string=query).get_json()
        expected = [] if query.get("q") == "rahasia" else ["Kopi Sembalun"]
        assert [item["title"] for item in body["items"]] == expected, query
        assert body["total"] == len(expected)
        if expected:  # the counts per filter value count the shown asset only
            assert body["facets"]["kind"] == {"image": 1}
            assert sum(body["facets"]["community"].values()) == 1
    visitor, stranger = client, app.test_client()
    Auth(stranger).login(factory.user("creator"))
    for who in (visitor, stranger):
        assert who.get(f"/assets/{hidden.id}").status_code == 404
        assert who.get(f"/api/v1/assets/{hidden.id}").status_code == 404
        assert who.get(f"/assets/{shown.id}").status_code == 200


# -- log-out needs the CSRF token -------------------------------------------------------------


def _signed_in(client) -> bool:
    return client.get("/api/v1/me").status_code == 200


def test_log_out_is_refused_without_this_sessions_token_and_works_with_it(app, factory):
    user = factory.user("ikm")
    browser, other = app.test_client(), app.test_client()
    Auth(browser).login(user)
    Auth(other).login(factory.user("ikm"))
    assert browser.get("/logout").status_code == 405  # a link or an <img> cannot log anyone out
    assert browser.post("/logout").status_code == 400
    foreign = csrf_token(other)  # a real token, of another session (what a forger could get)
    assert browser.post("/logout", data={"csrf_token": foreign}).status_code == 400
    assert browser.post("/logout", headers={"X-CSRFToken": foreign}).status_code == 400
    assert _signed_in(browser)

    response = browser.post("/logout", data={"csrf_token": csrf_token(browser)})
    assert response.status_code == 302
    assert not _signed_in(browser) and _signed_in(other)


# -- waitlist: the head of the queue does not fit the freed seats -------------------------------


@pytest.fixture
def writing(app):
    with write_intent():
        yield app


def test_a_smaller_group_behind_a_head_too_big_gets_the_freed_seats_and_the_head_keeps_its_place(writing):
    """offer_freed_seats: "the waiting entries that fit, first come first served": a group that
    does not fit is passed over for this offer only, and is first for the next seats."""
    slot = make_slot(capacity=60)
    first, second, big, middle, small = school_users(5, start=940)
    held_a = book_slot(first, slot.id, group_request(students=30, teachers=2))  # 32
    held_b = book_slot(second, slot.id, group_request(students=20, teachers=2))  # 22: 6 seats left
    head = join_waitlist(big, slot.id, group_request(students=30, teachers=2))  # 32, first in line
    fits = join_waitlist(middle, slot.id, group_request(students=20, teachers=2))  # 22
    last = join_waitlist(small, slot.id, group_request(students=10, teachers=1))  # 11
    assert (head.status, fits.status, last.status) == (WAITING, WAITING, WAITING)

    cancel(held_b, second)  # 28 free: the head (32) does not fit, the next (22) does, 6 stay free
    assert (head.status, fits.status, last.status) == (WAITING, OFFERED, WAITING)
    assert seats_accounted(slot.id) == (54, 54)

    cancel(held_a, first)  # 38 free: the head, still first in line, is offered before the 11
    assert (head.status, fits.status, last.status) == (OFFERED, OFFERED, WAITING)
    assert seats_accounted(slot.id) == (54, 54)
    assert held_a.status == held_b.status == CANCELLED


# -- a slot closed between the booking's checks and its seat hold ----------------------------------


def test_a_slot_closed_after_the_checks_but_before_the_hold_is_not_booked(make_app, factory, monkeypatch):
    """Two real sessions in two threads. PostgreSQL: the close commits while the booking waits
    between ``check_request`` and ``capacity.hold``; the hold's own ``is_open`` condition
    refuses it. SQLite: the booking's transaction holds the write lock from its first read, so
    the close cannot come between; it waits and lands after the booking (which stands)."""
    app = make_app()
    with app.app_context():
        slot = make_slot(make_program(make_venue()), capacity=100)
        [school] = school_users(1, start=960)
        manager = factory.user("venue_manager")
        slot_id, school_id, manager_id = slot.id, school.id, manager.id
        postgres = db.engine.dialect.name == "postgresql"

    checked, closed = threading.Event(), threading.Event()
    outcome: dict = {}
    real_check = rules.check_request

    def check_then_let_the_close_in(*args, **kwargs):
        request = real_check(*args, **kwargs)
        checked.set()
        if postgres:  # on SQLite the close waits for this transaction's lock: do not wait for it
            outcome["closed_in_between"] = closed.wait(timeout=60)
        return request

    monkeypatch.setattr(rules, "check_request", check_then_let_the_close_in)

    def booker():
        with app.app_context(), write_intent():
            try:
                booking = book_slot(db.session.get(User, school_id), slot_id, group_request())
                outcome["booking"] = booking.id
            except BookingRefused as refusal:
                outcome["refused"] = refusal.code
            finally:
                checked.set()  # never leave the closer waiting

    def closer():
        checked.wait(timeout=60)
        with app.app_context(), write_intent():  # as the manager's POST runs
            programs.set_slot_open(db.session.get(Slot, slot_id), False, db.session.get(User, manager_id))
        closed.set()

    threads = [threading.Thread(target=booker), threading.Thread(target=closer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    with app.app_context():
        assert db.session.get(Slot, slot_id).is_open is False
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.in_(("booking.request", "slot.close")))
            .order_by(AuditEvent.id)
        ).all()
        if postgres:
            assert outcome == {"closed_in_between": True, "refused": "slot_closed"}
            assert db.session.scalar(select(Booking.id)) is None and seats_accounted(slot_id) == (0, 0)
            assert actions == ["slot.close"]
        else:
            assert set(outcome) == {"booking"}
            assert seats_accounted(slot_id) == (32, 32)
            assert actions == ["booking.request", "slot.close"]  # serialized: the close came after
