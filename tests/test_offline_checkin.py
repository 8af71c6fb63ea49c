"""Offline check-in at the gate (issue 12, point 7), over HTTP and through the service.

The day's bookings a gate keeps on its device (``/gate/<venue>/today.json``: managers of that
venue and staff only), and the sync of the check-ins it made offline (``/gate/sync``): each
applied through ``booking.visits.check_in`` (the server's rules win), once per operation id
even when the same operation arrives twice at the same moment (real threads on a real HTTP
server), with the check-in's time bounded by the window and the server's clock. The browser
side is tests/test_offline_checkin_browser.py.
"""

from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import func, select

from koin_media.accounts.models import UserSession
from koin_media.audit import AuditEvent
from koin_media.booking import services, visits
from koin_media.booking.models import CANCELLED, CHECKED_IN, CONFIRMED, PENDING, Booking
from koin_media.database import utcnow, write_intent
from koin_media.extensions import db
from koin_media.localtime import iso_utc
from koin_media.visits import gate
from koin_media.visits.gate_models import GateOperation

from .booking_helpers import group_request, make_program, make_slot, make_venue, school_user
from .conftest import PASSWORD, Auth, csrf_token

JSON = {"Accept": "application/json"}
SYNC = "/gate/sync"


def manager_of(venue, factory, email=None):
    user = factory.user("venue_manager", email=email)
    venue.managers.append(user)
    db.session.commit()
    return user


def confirmed_booking(slot, manager, school=None, students=30, teachers=2):
    with write_intent():
        booking = services.book_slot(
            school or school_user(), slot.id, group_request(students=students, teachers=teachers)
        )
    with write_intent():
        services.confirm(booking, manager)
    return booking


def operation(booking, students=28, teachers=2, happened_at=None, op_id=None) -> dict:
    return {
        "id": op_id or str(uuid.uuid4()),
        "action": "check_in",
        "booking_id": booking.id,
        "students": students,
        "teachers": teachers,
        "happened_at": iso_utc(happened_at or utcnow()),
    }


def feed_of(client, venue_slug, headers=JSON):
    return client.get(f"/gate/{venue_slug}/today.json", headers=headers)


def sync(client, operations, token=None, headers=JSON):
    token = token or feed_token(client)
    return client.post(SYNC, json={"operations": operations}, headers={**headers, "X-CSRFToken": token})


def feed_token(client) -> str:
    return csrf_token(client, "/checkin")


def gate_operations() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(GateOperation))


def check_in_events(booking_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "booking.check_in", AuditEvent.subject_id == booking_id)
    )


@pytest.fixture
def gate_day(app, factory):
    """A session starting in 30 minutes (its gate is open) at the circuit, its manager, and a
    confirmed booking of 30 students and 2 teachers."""
    slot = make_slot(starts_in=timedelta(minutes=30))
    manager = manager_of(slot.program.venue, factory)
    booking = confirmed_booking(slot, manager)
    return slot, manager, booking


# -- the day's bookings ------------------------------------------------------------------------------


def test_the_day_list_holds_the_venues_bookings_of_today_only(client, auth, factory, gate_day):
    slot, manager, booking = gate_day
    pending = None
    with write_intent():
        pending = services.book_slot(school_user(start=710), slot.id, group_request(students=12, teachers=1))
    cancelled = confirmed_booking(slot, manager, school_user(start=720), students=15, teachers=1)
    with write_intent():
        services.cancel(cancelled, manager, "Bus rusak")
    next_week = confirmed_booking(make_slot(slot.program, starts_in=timedelta(days=7)), manager, school_user(start=730))
    elsewhere = make_slot(make_program(make_venue(slug="meninting-bike-park", name="Meninting Bike Park")))
    foreign = confirmed_booking(elsewhere, manager_of(elsewhere.program.venue, factory), school_user(start=740))

    auth.login(manager)
    response = feed_of(client, slot.program.venue.slug)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["venue"] == {"slug": "sirkuit-mandalika", "name": "Pertamina Mandalika International Circuit"}
    assert abs(datetime.fromisoformat(data["now"]) - utcnow()) < timedelta(minutes=1)
    assert data["csrf_token"] and data["day_label"]
    by_code = {entry["code"]: entry for entry in data["bookings"]}
    # every status, so the gate can say offline why a code cannot come in; no other day or venue
    assert set(by_code) == {booking.code, pending.code, cancelled.code}
    assert next_week.code not in by_code and foreign.code not in by_code
    entry = by_code[booking.code]
    assert entry["id"] == booking.id and entry["display"] == f"{booking.code[:4]}-{booking.code[4:]}"
    assert (entry["students"], entry["teachers"], entry["status"]) == (30, 2, CONFIRMED)
    assert entry["school"] == booking.school.name and entry["npsn"] == booking.school.npsn
    assert entry["status_label"] == "Dikonfirmasi" and entry["program"] == slot.program.title
    assert entry["opens_at"] == iso_utc(booking.check_in_opens_at) and entry["ends_at"] == iso_utc(slot.ends_at)
    assert entry["ends_label"].endswith("WITA") and "WITA" in entry["window_label"]
    assert by_code[pending.code]["status"] == PENDING and by_code[cancelled.code]["status"] == CANCELLED
    assert by_code[cancelled.code]["status_label"] == "Dibatalkan"
    # what the device keeps is what the gate needs: no contact person or phone number
    assert "contact_phone" not in entry and booking.contact_phone not in response.get_data(as_text=True)


def test_only_the_venues_managers_and_staff_get_its_day_list(client, auth, factory, gate_day):
    slot, manager, booking = gate_day
    slug = slot.program.venue.slug
    other_venue = make_venue(slug="meninting-bike-park", name="Meninting Bike Park")
    their_manager = manager_of(other_venue, factory)

    assert feed_of(client, slug).status_code == 401  # a device whose session ended
    for who, status in ((booking.requested_by, 403), (their_manager, 403), (factory.user("staff"), 200)):
        auth.login(who)
        response = feed_of(client, slug)
        assert response.status_code == status, who.role
        if status != 200:
            assert booking.code not in response.get_data(as_text=True)
            assert response.get_json()["message"]
        auth.logout()
    auth.login(manager)
    assert feed_of(client, "no-such-venue").status_code == 404
    assert feed_of(client, other_venue.slug).status_code == 403


def test_the_gate_page_names_the_lists_of_the_users_venues(client, auth, factory, gate_day):
    slot, manager, _booking = gate_day
    make_venue(slug="meninting-bike-park", name="Meninting Bike Park")
    auth.login(manager)
    page = client.get("/checkin").get_data(as_text=True)
    assert 'id="gate-offline" hidden' in page and 'src="/static/js/checkin_offline.js"' in page
    feeds = re.search(r'data-feeds="([^"]*)"', page).group(1)
    assert "/gate/sirkuit-mandalika/today.json" in feeds and "meninting" not in feeds
    auth.logout()
    auth.login(factory.user("staff"))
    feeds = re.search(r'data-feeds="([^"]*)"', client.get("/checkin").get_data(as_text=True)).group(1)
    assert "/gate/sirkuit-mandalika/today.json" in feeds and "/gate/meninting-bike-park/today.json" in feeds


def test_the_service_worker_is_served_from_the_root_uncached(client):
    response = client.get("/checkin-sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript" and response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    response.close()  # a file response: its file is closed with it
    assert "koin-gate-v1" in body and "addEventListener('fetch'" in body


def test_an_explicit_log_out_asks_the_browser_to_forget_the_gates_data(app, client, auth, factory, gate_day):
    """The day's bookings in IndexedDB and the kept page (with the user's name) go with a
    log-out of this browser (Clear-Site-Data); another device signed out from here, or a
    refused log-out, leave this browser's data alone."""
    _slot, manager, _booking = gate_day
    forget = '"cache", "storage"'
    auth.login(manager)
    assert "Clear-Site-Data" not in client.post("/logout").headers  # no CSRF token: nothing ended
    response = auth.logout()
    assert response.status_code == 302 and response.headers["Clear-Site-Data"] == forget

    other_device = app.test_client()
    Auth(other_device).login(manager)
    auth.login(manager)
    token = csrf_token(client, "/account/sessions")
    db.session.rollback()
    rows = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == manager.id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.id)
    ).all()
    theirs, mine = rows  # in the order they signed in
    elsewhere = client.post(f"/account/sessions/{theirs.id}/revoke", data={"csrf_token": token})
    assert elsewhere.status_code == 302 and "Clear-Site-Data" not in elsewhere.headers
    this_one = client.post(f"/account/sessions/{mine.id}/revoke", data={"csrf_token": token})
    assert this_one.headers["Clear-Site-Data"] == forget

    auth.login(manager)
    token = csrf_token(client, "/account/sessions")
    everywhere = client.post("/account/sessions/revoke-all", data={"csrf_token": token})
    assert everywhere.status_code == 302 and everywhere.headers["Clear-Site-Data"] == forget


# -- the sync ------------------------------------------------------------------------------------------


def test_an_operation_is_applied_once_and_answered_already_applied_after(client, auth, gate_day):
    slot, manager, booking = gate_day
    auth.login(manager)
    happened = utcnow() - timedelta(minutes=5)
    op = operation(booking, students=28, teachers=2, happened_at=happened)

    first = sync(client, [op])
    assert first.status_code == 200
    (answer,) = first.get_json()["results"]
    assert answer["status"] == "applied" and answer["id"] == op["id"]
    assert answer["booking_status"] == CHECKED_IN and answer["message"] == "Sudah check-in: 28 siswa dan 2 guru."
    db.session.rollback()
    checked = db.session.get(Booking, booking.id)
    assert (checked.status, checked.attended_students, checked.attended_teachers) == (CHECKED_IN, 28, 2)
    # the time is when it happened at the gate, not when it reached the server
    assert checked.checked_in_at == happened.replace(microsecond=0) or abs(
        checked.checked_in_at - happened
    ) < timedelta(seconds=1)

    # the same operation again (a second tab, an answer lost on the way): counted once
    again = sync(client, [op, {**op, "students": 30}])
    assert [result["status"] for result in again.get_json()["results"]] == ["already_applied", "already_applied"]
    assert again.get_json()["results"][0]["message"] == (
        "Sudah terkirim sebelumnya: check-in ini tercatat satu kali (28 siswa, 2 guru)."
    )
    assert gate_operations() == 1 and check_in_events(booking.id) == 1
    assert db.session.get(Booking, booking.id).attended_students == 28
    # the id is matched in its one spelling, whatever the case the device wrote it in
    upper = sync(client, [{**op, "id": op["id"].upper()}]).get_json()["results"][0]
    assert upper["status"] == "already_applied" and gate_operations() == 1


def test_the_servers_rules_win_over_what_the_device_decided(client, auth, factory, gate_day):
    slot, manager, booking = gate_day
    cancelled = confirmed_booking(slot, manager, school_user(start=750), students=10, teachers=1)
    with write_intent():
        services.cancel(cancelled, manager, "Hujan deras")
    online_first = confirmed_booking(slot, manager, school_user(start=760), students=12, teachers=1)
    with write_intent():
        visits.check_in(online_first, manager, 11, 1)  # the other gate, online, was first
    auth.login(manager)

    results = sync(
        client,
        [
            operation(cancelled, students=10, teachers=1),
            operation(online_first, students=12, teachers=1),
            operation(booking, students=31, teachers=2),  # more than booked
            operation(booking, students=30, teachers=2),
        ],
    ).get_json()["results"]
    assert [(r["status"], r.get("error")) for r in results] == [
        ("refused", "wrong_status"),
        ("refused", "wrong_status"),
        ("refused", "attendance_invalid"),
        ("applied", None),
    ]
    assert results[0]["message"] == "Tidak di-check-in: pemesanan ini sekarang dibatalkan."
    assert results[1]["message"] == "Sudah check-in di server: 11 siswa, 1 guru."
    assert results[2]["message"] == "Jumlah yang hadir harus antara 0 dan jumlah yang dipesan."
    db.session.rollback()
    assert db.session.get(Booking, cancelled.id).status == CANCELLED
    assert db.session.get(Booking, online_first.id).attended_students == 11
    assert gate_operations() == 1  # refused operations leave no row: sent again, they are judged again


def test_the_check_in_time_is_when_it_happened_bounded_by_the_window_and_the_clock(app, factory, gate_day):
    slot, manager, booking = gate_day
    later, reset_clock, ahead = (
        confirmed_booking(slot, manager, school_user(start=start), students=10, teachers=1) for start in (770, 780, 790)
    )
    after_end = slot.ends_at + timedelta(hours=3)

    def apply(target, happened_at, now):
        op = gate.read_operation(operation(target, target.students, target.teachers, happened_at))
        with write_intent():
            return gate.apply_check_in(op, manager, now=now)

    # The connection came back after the session: the check-in made during it still counts.
    during = slot.starts_at + timedelta(minutes=10)
    assert apply(booking, during, after_end)["status"] == "applied"
    assert db.session.get(Booking, booking.id).checked_in_at == during
    # The device says it happened after the session had ended: the window was closed.
    refused = apply(later, slot.ends_at + timedelta(minutes=1), after_end)
    assert (refused["status"], refused["error"]) == ("refused", "slot_past")
    assert refused["message"] == "Tidak di-check-in: sesi sudah berakhir saat check-in dilakukan."
    # A device clock a little behind (within CLOCK_TOLERANCE) gives the window's opening,
    # never a time before it.
    now = utcnow()
    behind = reset_clock.check_in_opens_at - gate.CLOCK_TOLERANCE + timedelta(minutes=1)
    assert apply(reset_clock, behind, now)["status"] == "applied"
    assert db.session.get(Booking, reset_clock.id).checked_in_at == reset_clock.check_in_opens_at
    # A device clock running ahead cannot record the future.
    assert apply(ahead, now + timedelta(days=2), now)["status"] == "applied"
    assert db.session.get(Booking, ahead.id).checked_in_at == now

    # Half an hour before its gate opens (within CLOCK_TOLERANCE): the window says too early.
    early_slot = make_slot(slot.program, starts_in=timedelta(hours=2, minutes=30))
    early = confirmed_booking(early_slot, manager, school_user(start=800), students=10, teachers=1)
    too_early = apply(early, now, now)
    assert (too_early["status"], too_early["error"]) == ("refused", "check_in_not_open")
    assert db.session.get(Booking, early.id).status == CONFIRMED


def test_a_check_in_long_before_the_window_or_sent_long_after_the_session_is_refused(app, factory, gate_day):
    """An early moment is not moved up to the window's opening when it is far before it, and a
    session long past cannot be checked in by a sync however the device dates it."""
    slot, manager, booking = gate_day
    other = confirmed_booking(slot, manager, school_user(start=820), students=10, teachers=1)
    during = slot.starts_at + timedelta(minutes=10)
    days_later = slot.ends_at + timedelta(days=4)

    def apply(target, happened_at, now):
        op = gate.read_operation(operation(target, target.students, target.teachers, happened_at))
        with write_intent():
            return gate.apply_check_in(op, manager, now=now)

    # "2000-01-01", days after the session: it is not moved into the window and checked in.
    too_early = booking.check_in_opens_at - gate.CLOCK_TOLERANCE - timedelta(minutes=1)
    for happened, now in ((datetime(2000, 1, 1, tzinfo=UTC), days_later), (too_early, utcnow())):
        refused = apply(booking, happened, now)
        assert (refused["status"], refused["error"]) == ("refused", "before_window")
        assert refused["message"].startswith("Tidak di-check-in: perangkat mencatatnya pada ")
        assert refused["message"].endswith("Periksa jam perangkat.")
    # Dated inside its window, but sent more than MAX_SYNC_DELAY after the session ended.
    late = apply(booking, during, slot.ends_at + gate.MAX_SYNC_DELAY + timedelta(minutes=1))
    assert (late["status"], late["error"]) == ("refused", "sent_too_late")
    assert late["message"] == "Tidak di-check-in: dikirim lebih dari 72 jam setelah sesi berakhir."
    assert db.session.get(Booking, booking.id).status == CONFIRMED and gate_operations() == 0
    # The legitimate case: a gate offline for hours that sends after the session (up to
    # MAX_SYNC_DELAY after its end) still counts the check-in it made during the session.
    assert apply(booking, during, slot.ends_at + gate.MAX_SYNC_DELAY)["status"] == "applied"
    assert db.session.get(Booking, booking.id).checked_in_at == during
    assert apply(other, during, slot.ends_at + timedelta(hours=5))["status"] == "applied"


def test_who_may_sync(client, auth, factory, gate_day):
    slot, manager, booking = gate_day
    their_manager = manager_of(make_venue(slug="meninting-bike-park", name="Meninting Bike Park"), factory)
    op = operation(booking)

    token = csrf_token(client, "/login")
    anonymous = client.post(SYNC, json={"operations": [op]}, headers={**JSON, "X-CSRFToken": token})
    assert anonymous.status_code == 401 and anonymous.get_json()["error"] == "unauthorized"
    auth.login(booking.requested_by)  # the school itself
    school = client.post(SYNC, json={"operations": [op]}, headers={**JSON, "X-CSRFToken": csrf_token(client)})
    assert school.status_code == 403
    auth.logout()
    # Another venue's manager: refused per operation, the booking's existence not revealed.
    auth.login(their_manager)
    (answer,) = sync(client, [op]).get_json()["results"]
    assert (answer["status"], answer["error"]) == ("refused", "not_found") and "code" not in answer
    assert answer["message"] == "Tidak ada pemesanan di venue Anda dengan kode ini. Periksa lalu coba lagi."
    auth.logout()
    # The session's own page without the CSRF token: the forgery check refuses it.
    auth.login(manager)
    forged = client.post(SYNC, json={"operations": [op]}, headers=JSON)
    assert forged.status_code == 400 and forged.get_json()["error"] == "csrf_failed"
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == CONFIRMED and gate_operations() == 0
    assert sync(client, [op]).get_json()["results"][0]["status"] == "applied"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({}, 422, "no_operations"),
        ({"operations": []}, 422, "no_operations"),
        ({"operations": "alles"}, 422, "no_operations"),
        ({"operations": [{}] * (gate.MAX_OPERATIONS + 1)}, 413, "too_many_operations"),
    ],
)
def test_a_sync_body_that_is_not_a_list_of_operations(client, auth, gate_day, body, status, error):
    _slot, manager, _booking = gate_day
    auth.login(manager)
    response = client.post(SYNC, json=body, headers={**JSON, "X-CSRFToken": feed_token(client)})
    assert response.status_code == status and response.get_json()["error"] == error
    assert response.get_json()["message"]
    # A JSON endpoint answers JSON whatever the caller's Accept header says (a script, curl).
    plain = client.post(SYNC, json=body, headers={"X-CSRFToken": feed_token(client)})
    assert plain.status_code == status and plain.get_json()["error"] == error


def test_the_gate_answers_json_errors_without_being_asked(client, auth, gate_day):
    _slot, manager, _booking = gate_day
    auth.login(manager)
    forged = client.post(SYNC, json={"operations": []})
    assert forged.status_code == 400 and forged.get_json()["error"] == "csrf_failed"
    assert client.get("/gate/no-such-venue/today.json").get_json()["error"] == "not_found"


def test_unreadable_operations_are_answered_and_do_not_hold_back_the_others(client, auth, gate_day):
    _slot, manager, booking = gate_day
    auth.login(manager)
    token = feed_token(client)
    not_json = client.post(
        SYNC, data="operations", headers={**JSON, "X-CSRFToken": token, "Content-Type": "text/plain"}
    )
    assert not_json.status_code == 415
    good = operation(booking)
    unreadable = [
        "not an object",
        {**good, "id": "12345"},
        {**good, "id": str(uuid.uuid4()), "students": True},
        {**good, "id": str(uuid.uuid4()), "students": -1},
        {**good, "id": str(uuid.uuid4()), "teachers": "2"},
        {**good, "id": str(uuid.uuid4()), "booking_id": 2**40},
        {**good, "id": str(uuid.uuid4()), "happened_at": "2026-12-01T09:00:00"},  # no zone
        {**good, "id": str(uuid.uuid4()), "happened_at": "kemarin"},
        # beyond what datetime holds once in UTC (a 500 before), or a clock in another century
        {**good, "id": str(uuid.uuid4()), "happened_at": "0001-01-01T00:00:00+01:00"},
        {**good, "id": str(uuid.uuid4()), "happened_at": "9999-12-31T23:00-05:00"},
        {**good, "id": str(uuid.uuid4()), "happened_at": "1970-01-01T00:00:00Z"},
        {**good, "id": str(uuid.uuid4()), "happened_at": "2100-01-01T00:00:00Z"},
        {**good, "id": str(uuid.uuid4()), "action": "no_show"},
        {**good, "id": str(uuid.uuid4()), "booking_id": 999_999},  # no such booking
    ]
    results = sync(client, [*unreadable, good], token).get_json()["results"]
    assert [r["status"] for r in results] == ["invalid"] * 13 + ["refused", "applied"]
    assert results[0]["id"] is None and results[2]["id"] == unreadable[2]["id"]
    assert all(r["message"] for r in results)
    assert results[6]["message"] == "Waktu check-in ini tidak bisa dibaca."
    impossible = "Waktu check-in ini bukan tanggal yang mungkin: periksa jam perangkat."
    assert [r["message"] for r in results[8:12]] == [impossible] * 4
    assert gate_operations() == 1


# -- the same operation twice at the same moment, on a real HTTP server ---------------------------------

REPLAYS = 8


def logged_in_session(base: str, email: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=30).text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    answer = browser.post(f"{base}/login", data={"email": email, "password": PASSWORD, "csrf_token": token}, timeout=30)
    assert answer.ok and "/login" not in answer.url
    return browser


def test_one_operation_sent_from_many_tabs_at_once_counts_once(make_app, live_server, factory):
    app = make_app(RATELIMIT_ENABLED=False)
    with app.app_context():
        slot = make_slot(starts_in=timedelta(minutes=30))
        manager = manager_of(slot.program.venue, factory)
        booking = confirmed_booking(slot, manager)
        second = confirmed_booking(slot, manager, school_user(start=810), students=20, teachers=2)
        booking_id, second_id, email, slug = booking.id, second.id, manager.email, slot.program.venue.slug
        op = operation(booking, students=29, teachers=2)
        rival_ops = [operation(second, students=20 - n, teachers=2) for n in range(REPLAYS)]
    server = live_server(app)
    browser = logged_in_session(server.url, email)  # one signed-in browser, many tabs
    token = browser.get(f"{server.url}/gate/{slug}/today.json", headers=JSON, timeout=30).json()["csrf_token"]
    start = threading.Barrier(REPLAYS)

    def send(operations):
        start.wait()
        answer = browser.post(
            f"{server.url}{SYNC}", json={"operations": operations}, headers={**JSON, "X-CSRFToken": token}, timeout=60
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["results"][0]

    with ThreadPoolExecutor(max_workers=REPLAYS) as pool:
        same = list(pool.map(send, [[op]] * REPLAYS))
    assert sorted(r["status"] for r in same) == ["already_applied"] * (REPLAYS - 1) + ["applied"]

    # Two devices that each checked the same group in offline, with their own ids: one wins,
    # the others are told the booking was checked in (or to send again, then told so).
    with ThreadPoolExecutor(max_workers=REPLAYS) as pool:
        rivals = list(pool.map(send, [[rival] for rival in rival_ops]))
    assert [r["status"] for r in rivals].count("applied") == 1
    assert {r["status"] for r in rivals} <= {"applied", "refused", "retry"}

    with app.app_context():
        checked = db.session.get(Booking, booking_id)
        assert (checked.status, checked.attended_students) == (CHECKED_IN, 29)
        assert db.session.scalar(select(func.count()).select_from(GateOperation)) == 2
        assert check_in_events(booking_id) == 1 and check_in_events(second_id) == 1
        assert db.session.get(Booking, second_id).status == CHECKED_IN
