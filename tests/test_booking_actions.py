"""``Booking.allowed_actions`` is the one answer to "what may this user do to this booking now":
the detail and check-in pages show exactly those buttons, every other action is refused by the
routes and by the services, and a decision is taken only by someone ``Venue.may_manage``
lets manage the booking's venue. Check-in is an action only while ``Booking.check_in_window``
is open; before, the gate shows it waiting (disabled, not a ``data-action`` form)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from koin_media.booking import services, visits
from koin_media.booking.models import (
    ACTION_STATUSES,
    CANCEL,
    CHECK_IN,
    COMPLETE,
    CONFIRM,
    HEADCOUNT,
    MOVE,
    NO_SHOW,
    REJECT,
    WINDOW_ENDED,
    WINDOW_OPEN,
    WINDOW_TOO_EARLY,
    Booking,
)
from koin_media.booking.problems import BookingRefused
from koin_media.database import utcnow, write_intent
from koin_media.extensions import db
from koin_media.visits.headcount import confirm_headcount

from .booking_helpers import group_request, make_slot, make_venue, school_user
from .test_booking_journeys import post_action

DETAIL_ACTIONS = {CONFIRM, REJECT, MOVE, CANCEL, HEADCOUNT}  # buttons on the detail page
GATE_ACTIONS = {CHECK_IN, NO_SHOW, COMPLETE}  # buttons on the check-in page
DATA_ACTION = re.compile(r'<form [^>]*data-action="([a-z_]+)"')
WAITING_CHECK_IN = 'data-action-later="check_in"'  # the gate's disabled check-in, before the window

# How each booking gets to the state a scenario needs, through the services.
SCENARIOS = {
    "pending": [],
    "rejected": [REJECT],
    "confirmed": [CONFIRM],  # days away: check-in is not open yet
    "confirmed_soon": [CONFIRM],  # inside the school's cancel window, check-in not open yet
    "confirmed_open": [CONFIRM],  # starts in half an hour: the gate is open
    "confirmed_ended": [CONFIRM],  # the slot is over: a no-show, no longer a check-in
    "cancelled": [CONFIRM, CANCEL],
    "checked_in": [CONFIRM, CHECK_IN],
    "completed": [CONFIRM, CHECK_IN, COMPLETE],
    "no_show": [CONFIRM, NO_SHOW],
}


def act(action: str, booking: Booking, user, spare, now=None) -> None:
    """Take ``action`` through its service, as the route for it does."""
    now = now or utcnow()
    calls = {
        CONFIRM: lambda: services.confirm(booking, user, now),
        REJECT: lambda: services.reject(booking, user, "Sirkuit dipakai latihan balap", now),
        MOVE: lambda: services.move(booking, spare, user, now),
        CANCEL: lambda: services.cancel(booking, user, "Jadwal sekolah berubah", now),
        CHECK_IN: lambda: visits.check_in(booking, user, booking.students, booking.teachers, now),
        NO_SHOW: lambda: visits.mark_no_show(booking, user, now),
        COMPLETE: lambda: visits.complete(booking, user, now),
        HEADCOUNT: lambda: confirm_headcount(booking, user, booking.students, booking.teachers, now),
    }
    with write_intent():
        calls[action]()


def post(client, action: str, booking: Booking, spare) -> int:
    """POST the form of ``action`` as its button would."""
    page, path = f"/bookings/{booking.id}", f"/bookings/{booking.id}"
    forms = {
        CONFIRM: ("/confirm", "", {}),
        REJECT: ("/reject", "reject", {"reason": "Sirkuit dipakai latihan balap"}),
        MOVE: ("/move", "move", {"slot_id": str(spare.id)}),
        CANCEL: ("/cancel", "cancel", {"reason": "Jadwal sekolah berubah"}),
        CHECK_IN: ("/check-in", "", {"students": str(booking.students), "teachers": str(booking.teachers)}),
        NO_SHOW: ("/no-show", "", {}),
        COMPLETE: ("/complete", "", {}),
        HEADCOUNT: ("/headcount", "", {"students": str(booking.students), "teachers": str(booking.teachers)}),
    }
    suffix, prefix, fields = forms[action]
    return post_action(client, path + suffix, page, prefix=prefix, **fields).status_code


# What each may do in each scenario (anything not listed: nothing).
EXPECTED = {
    ("manager", "pending"): {CONFIRM, REJECT, MOVE, CANCEL},
    ("manager", "confirmed"): {MOVE, CANCEL, HEADCOUNT},
    ("manager", "confirmed_soon"): {MOVE, CANCEL, HEADCOUNT},
    ("manager", "confirmed_open"): {MOVE, CANCEL, CHECK_IN, HEADCOUNT},
    ("manager", "confirmed_ended"): {MOVE, CANCEL, NO_SHOW},
    ("manager", "checked_in"): {COMPLETE},
    ("school", "pending"): {CANCEL},
    ("school", "confirmed"): {CANCEL, HEADCOUNT},
    # the final headcount stays open after the cancel window, until the session starts
    ("school", "confirmed_soon"): {HEADCOUNT},
    ("school", "confirmed_open"): {HEADCOUNT},
}
ALLOWED = [(who, name, action) for (who, name), actions in EXPECTED.items() for action in sorted(actions)]


@pytest.fixture
def scene(app, slot, school, manager):
    spare = make_slot(slot.program, starts_in=timedelta(days=9))  # somewhere to move to
    return {"slot": slot, "school": school, "manager": manager, "spare": spare}


def booking_in(scene, name: str) -> Booking:
    slot, manager, spare = scene["slot"], scene["manager"], scene["spare"]
    if name == "confirmed_soon":
        slot.starts_at = utcnow() + timedelta(hours=24)
        slot.ends_at = slot.starts_at + timedelta(hours=2)
        db.session.commit()
    with write_intent():
        booking = services.book_slot(scene["school"], slot.id, group_request())
    for step in SCENARIOS[name]:
        # check-in opens shortly before the start; a no-show is marked once the slot is over
        at = {CHECK_IN: slot.starts_at, NO_SHOW: slot.ends_at, COMPLETE: slot.ends_at}.get(step)
        act(step, booking, manager, spare, at)
    if name in ("confirmed_ended", "no_show"):
        slot.starts_at, slot.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1)
        db.session.commit()
    if name == "confirmed_open":
        slot.starts_at = utcnow() + timedelta(minutes=30)
        slot.ends_at = slot.starts_at + timedelta(hours=2)
        db.session.commit()
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


def rendered_actions(client, booking: Booking, manager: bool) -> set[str]:
    detail = client.get(f"/bookings/{booking.id}")
    assert detail.status_code == 200
    html = detail.get_data(as_text=True)
    shown = set(DATA_ACTION.findall(html))
    assert shown <= DETAIL_ACTIONS
    if manager:
        gate = client.get(f"/checkin?code={booking.code}")
        assert gate.status_code == 200
        gate_html = gate.get_data(as_text=True)
        gate_shown = set(DATA_ACTION.findall(gate_html)) & GATE_ACTIONS
        assert ('id="checkin-link"' in html) == bool(gate_shown)  # the detail page leads to the gate
        # Before the window opens check-in waits, disabled, saying when; never beside the real one.
        too_early = booking.status == "confirmed" and booking.check_in_window(utcnow()) == WINDOW_TOO_EARLY
        assert (WAITING_CHECK_IN in gate_html) == too_early
        if too_early:
            waiting = gate_html.split(WAITING_CHECK_IN)[1].split("</form>")[0]
            assert 'class="button checkin-go" disabled aria-describedby="gate-window"' in waiting
            assert "Terlalu awal: bisa " in gate_html
        shown |= gate_shown
    return shown


@pytest.mark.parametrize("who", ["manager", "school"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_pages_show_the_allowed_actions_and_everything_else_is_refused(client, auth, scene, name, who):
    booking = booking_in(scene, name)
    user = scene[who]
    allowed = booking.allowed_actions(user)
    assert allowed == EXPECTED.get((who, name), set())
    auth.login(user)
    assert rendered_actions(client, booking, manager=who == "manager") == allowed
    api = client.get(f"/api/v1/bookings/{booking.id}").get_json()
    assert api["actions"] == sorted(allowed)  # the API offers what the pages show

    status, version = booking.status, booking.version
    for action in sorted(set(ACTION_STATUSES) - allowed):
        code = post(client, action, booking, scene["spare"])
        assert 400 <= code < 500, (action, code)
        with pytest.raises(BookingRefused):
            act(action, db.session.get(Booking, booking.id), user, scene["spare"])
        db.session.expire_all()
        again = db.session.get(Booking, booking.id)
        assert (again.status, again.version) == (status, version), action  # nothing was written


def test_the_school_sees_why_it_can_no_longer_cancel(client, auth, scene):
    booking = booking_in(scene, "confirmed_soon")
    assert CANCEL not in booking.allowed_actions(scene["school"])
    auth.login(scene["school"])
    html = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert 'id="cancel-closed"' in html and 'data-action="cancel"' not in html


@pytest.mark.parametrize(("who", "name", "action"), ALLOWED)
def test_an_allowed_action_is_taken_by_its_service(scene, who, name, action):
    booking = booking_in(scene, name)
    user = scene[who]
    assert action in booking.allowed_actions(user)
    # check-in itself opens only shortly before the start (a refusal of the moment, not of the action)
    at = booking.slot.starts_at if action == CHECK_IN else None
    act(action, booking, user, scene["spare"], at)
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).version > 1


# -- only who manages the venue decides -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "action"),
    [("pending", CONFIRM), ("pending", REJECT), ("pending", MOVE), ("confirmed", CANCEL), ("confirmed_open", CHECK_IN),
     ("confirmed_ended", NO_SHOW), ("checked_in", COMPLETE)],
)  # fmt: skip
def test_a_manager_of_another_venue_decides_nothing(client, auth, scene, factory, name, action):
    booking = booking_in(scene, name)
    stranger = factory.user("venue_manager")
    other_venue = make_venue("meninting-bike-park", "Meninting Bike Park")
    other_venue.managers.append(stranger)
    db.session.commit()
    assert booking.allowed_actions(stranger) == frozenset()
    at = booking.slot.starts_at if action == CHECK_IN else None
    with pytest.raises(BookingRefused) as refused:
        act(action, booking, stranger, scene["spare"], at)
    # "not_allowed", not a refusal about the booking's state: the venue check comes first
    assert refused.value.code == "not_allowed"
    auth.login(stranger)
    assert client.get(f"/api/v1/bookings/{booking.id}").status_code == 404
    assert post(client, action, booking, scene["spare"]) == 404  # its page does not exist for them
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).version == booking.version


def test_a_coordinator_of_another_school_has_no_actions(scene):
    booking = booking_in(scene, "pending")
    stranger = school_user(start=40)
    assert booking.allowed_actions(stranger) == frozenset()
    with pytest.raises(BookingRefused) as refused:
        act(CANCEL, booking, stranger, scene["spare"])
    assert refused.value.code == "not_allowed"


def test_check_in_is_offered_exactly_while_the_window_is_open(scene):
    """One rule: ``allowed_actions`` offers check-in when ``check_in_window`` says open (from
    BOOKING_CHECKIN_EARLY_MINUTES before the start until the end), a no-show only after."""
    booking = booking_in(scene, "confirmed")
    manager, opens, ends = scene["manager"], booking.check_in_opens_at, booking.slot.ends_at
    second = timedelta(seconds=1)
    for now, window in ((opens - second, WINDOW_TOO_EARLY), (opens, WINDOW_OPEN), (ends - second, WINDOW_OPEN)):
        assert booking.check_in_window(now) == window
        assert (CHECK_IN in booking.allowed_actions(manager, now)) == (window == WINDOW_OPEN), now
        assert NO_SHOW not in booking.allowed_actions(manager, now)
    assert booking.check_in_window(ends) == WINDOW_ENDED
    assert booking.allowed_actions(manager, ends) == {MOVE, CANCEL, NO_SHOW}
    # The service refuses what is not offered, and takes what is.
    with pytest.raises(BookingRefused) as refused:
        act(CHECK_IN, booking, manager, scene["spare"], opens - second)
    assert refused.value.code == "check_in_not_open"
    act(CHECK_IN, db.session.get(Booking, booking.id), manager, scene["spare"], opens)
