"""Reminders before a visit (visits/reminders.py): 7 and 1 day before by default (configurable),
each once, even with two workers at once; only for confirmed bookings that were already
confirmed on their session at the reminder's time (never a booking made, confirmed or moved
later, the pretix bug); caught up after a worker was down, but never once the next reminder is
due. The mail says what to bring and links to the final headcount page."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from koin_media.booking import schedule, services
from koin_media.booking.models import Booking, Slot
from koin_media.config import env_days
from koin_media.database import engine_options, utcnow, write_intent
from koin_media.extensions import db
from koin_media.localtime import local_to_utc, local_today
from koin_media.notifications.models import OutboxMessage
from koin_media.visits.reminder_models import VisitReminder
from koin_media.visits.reminders import days_left, due_reminder, send_due_reminders

from .booking_helpers import group_request, make_program, make_slot, make_venue, school_user, school_users

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


class Scene:
    """A venue with its manager, a program with requirements, and a school with an Indonesian
    coordinator and an English one (both hear the reminder)."""

    def __init__(self, factory):
        self.venue = make_venue()
        self.manager = factory.user("venue_manager")
        self.venue.managers.append(self.manager)
        db.session.commit()
        self.program = make_program(self.venue)
        self.teacher = school_user()
        self.colleague = factory.user(
            "school",
            npsn=self.teacher.school.npsn,
            locale="en",
            email="wakasek@sekolah.test",
            coordinator_status="approved",
        )

    def slot(self, starts_in: timedelta, capacity=100):
        return make_slot(self.program, starts_in=starts_in, capacity=capacity)

    def confirmed(self, slot, user=None, confirmed_at=None):
        with write_intent():
            booking = services.book_slot(user or self.teacher, slot.id, group_request())
            return services.confirm(booking, self.manager, confirmed_at)


@pytest.fixture
def scene(make_app, factory):
    app = make_app(PUBLIC_URL="https://koin.test")
    with app.app_context():
        yield Scene(factory)


def reminders() -> list[OutboxMessage]:
    db.session.rollback()
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "reminder").order_by(OutboxMessage.id)
    ).all()


def run(now) -> int:
    with write_intent():  # as the periodic job runs it
        return send_due_reminders(now)


# -- timing -----------------------------------------------------------------------------------


def test_seven_days_and_one_day_before_each_once(scene):
    slot = scene.slot(10 * DAY)
    booking = scene.confirmed(slot)
    starts = slot.starts_at

    assert run(starts - 7 * DAY - HOUR) == 0  # not yet
    assert run(starts - 7 * DAY) == 1
    week = reminders()
    assert {m.to_address for m in week} == {scene.teacher.email, scene.colleague.email}
    assert all(m.booking_id == booking.id for m in week)
    for later in (starts - 7 * DAY, starts - 7 * DAY + HOUR, starts - 2 * DAY, starts - DAY - HOUR):
        assert run(later) == 0
    assert run(starts - DAY) == 1
    assert run(starts - DAY + HOUR) == 0
    assert run(starts - HOUR) == 0
    assert len(reminders()) == 4
    rows = db.session.scalars(select(VisitReminder).order_by(VisitReminder.days_before)).all()
    assert [(r.booking_id, r.days_before, r.slot_starts_at) for r in rows] == [
        (booking.id, 1, starts),
        (booking.id, 7, starts),
    ]


def test_the_mail_says_what_to_bring_and_links_to_the_headcount_page(scene):
    slot = scene.slot(10 * DAY)
    booking = scene.confirmed(slot)
    run(slot.starts_at - 7 * DAY)
    run(slot.starts_at - DAY)
    by_address = {}
    for message in reminders():
        by_address.setdefault(message.to_address, []).append(message)
    week_id, day_id = by_address[scene.teacher.email]
    week_en, day_en = by_address[scene.colleague.email]
    link = f"https://koin.test/bookings/{booking.id}/headcount"
    assert week_id.subject.startswith("Pengingat") and "7 hari lagi" in week_id.subject
    assert "besok" in day_id.subject
    assert week_en.subject.startswith("Reminder") and "in 7 days" in week_en.subject
    assert "tomorrow" in day_en.subject
    for message in (week_id, day_id, week_en, day_en):
        assert link in message.body_text
        assert "- Surat izin orang tua" in message.body_text and "- Sepatu tertutup" in message.body_text
        assert f"https://koin.test/bookings/{booking.id}\n" in message.body_text
    assert "jumlah akhir siswa dan guru" in week_id.body_text
    assert "final number of students and teachers" in week_en.body_text


def test_the_days_are_configurable(make_app, factory):
    app = make_app(REMINDER_DAYS=(3,))
    with app.app_context():
        scene = Scene(factory)
        slot = scene.slot(10 * DAY)
        scene.confirmed(slot)
        starts = slot.starts_at
        assert run(starts - 7 * DAY) == 0
        assert run(starts - 3 * DAY - HOUR) == 0
        assert run(starts - 3 * DAY) == 1
        assert run(starts - DAY) == 0  # no 1-day reminder in this schedule
        assert [r.days_before for r in db.session.scalars(select(VisitReminder))] == [3]


@pytest.mark.parametrize(
    ("raw", "days"), [("7,1", (7, 1)), (" 1, 7 ,7", (7, 1)), ("14", (14,)), ("2,30,1", (30, 2, 1))]
)
def test_reminder_days_are_read_from_the_environment(monkeypatch, raw, days):
    monkeypatch.setenv("KOIN_REMINDER_DAYS", raw)
    assert env_days("KOIN_REMINDER_DAYS", "7,1") == days


@pytest.mark.parametrize("raw", ["seven", "7;1", "0", "-1,7", "400", ","])
def test_a_wrong_reminder_setting_stops_the_start_with_a_clear_message(monkeypatch, raw):
    monkeypatch.setenv("KOIN_REMINDER_DAYS", raw)
    with pytest.raises(ValueError, match="KOIN_REMINDER_DAYS"):
        env_days("KOIN_REMINDER_DAYS", "7,1")


def test_a_worker_that_was_down_catches_up_but_never_sends_two_at_once(scene):
    late = scene.slot(10 * DAY)
    scene.confirmed(late)
    missed = scene.slot(11 * DAY)
    missed_booking = scene.confirmed(missed, user=school_user(start=901))
    # Down for five hours after the first one's 7-day reminder was due: it still goes out.
    assert run(late.starts_at - 7 * DAY + 5 * HOUR) == 1
    # Down from before the second one's 7-day reminder until after its 1-day one was due:
    # only the 1-day reminder, never the week's the day before.
    # (The first visit has started by then: its own 1-day reminder is not sent either.)
    assert run(missed.starts_at - DAY + 2 * HOUR) == 1
    sent = db.session.scalars(
        select(VisitReminder.days_before).where(VisitReminder.booking_id == missed_booking.id)
    ).all()
    assert sent == [1]
    # The visit has started: nothing more.
    assert run(missed.starts_at + timedelta(minutes=1)) == 0


def wita(day: date, hour: int, minute: int = 0) -> datetime:
    return local_to_utc(day, time(hour, minute))


def test_a_late_reminder_says_the_days_really_left_in_lombok(scene):
    visit_day = local_today() + timedelta(days=10)
    slot = scene.slot(10 * DAY)
    slot.starts_at, slot.ends_at = wita(visit_day, 9), wita(visit_day, 11)
    db.session.commit()
    scene.confirmed(slot)
    # The worker was down when the week's reminder was due: it goes out two days and eleven
    # hours before, on the evening of the day before yesterday in Lombok: "in 2 days", not 7
    # (nor the 1 that whole 24-hour periods would make of 37 hours).
    evening = wita(visit_day - timedelta(days=2), 20)
    assert days_left(slot.starts_at, evening) == 2
    assert run(evening) == 1
    # Down again until the morning of the visit: the day's reminder says "today".
    morning = wita(visit_day, 7)
    assert run(morning) == 1
    by_locale = {}
    for message in reminders():
        by_locale.setdefault(message.to_address, []).append(message.subject)
    (week_id, day_id), (week_en, day_en) = by_locale[scene.teacher.email], by_locale[scene.colleague.email]
    assert "2 hari lagi" in week_id and "7 hari" not in week_id
    assert "in 2 days" in week_en and "7 days" not in week_en
    assert "hari ini" in day_id and "besok" not in day_id
    assert "today" in day_en and "tomorrow" not in day_en
    assert sorted(db.session.scalars(select(VisitReminder.days_before))) == [1, 7]


@pytest.mark.parametrize(
    ("day", "hour", "minute", "left"),
    [
        (1, 0, 0, 10),  # midnight in Lombok starts a day
        (10, 8, 59, 1),  # a minute short of 24 hours before: tomorrow
        (10, 23, 59, 1),  # the evening before, 9 hours before: tomorrow, not today
        (11, 0, 0, 0),  # just after midnight: today
        (11, 8, 0, 0),
    ],
)
def test_days_left_are_calendar_days_in_lombok(day, hour, minute, left):
    visit = wita(date(2026, 12, 11), 9)
    assert days_left(visit, wita(date(2026, 12, day), hour, minute)) == left


# -- who never gets one -----------------------------------------------------------------------


def test_never_for_a_session_a_closure_took(scene):
    slot = scene.slot(10 * DAY)
    booking = scene.confirmed(slot)
    with write_intent():
        hit = schedule.close_for(
            scene.venue, slot.starts_at - HOUR, slot.ends_at + HOUR, "MotoGP Mandalika", scene.manager
        )
    assert [b.id for b in hit] == [booking.id]
    db.session.expire_all()
    booking = db.session.get(Booking, booking.id)
    # The booking stays confirmed on its closed session until it is moved or cancelled.
    assert booking.status == "confirmed" and not db.session.get(Slot, slot.id).is_open
    assert due_reminder(booking, slot.starts_at - 7 * DAY) is None
    for now in (slot.starts_at - 7 * DAY, slot.starts_at - DAY):
        assert run(now) == 0
    assert reminders() == []
    assert db.session.scalars(select(VisitReminder)).all() == []


def test_never_to_a_booking_made_after_the_reminders_time(scene):
    slot = scene.slot(3 * DAY)  # booked three days before: the week's reminder is past
    booking = scene.confirmed(slot)
    assert due_reminder(booking, slot.starts_at - 2 * DAY) is None
    assert run(slot.starts_at - 2 * DAY) == 0
    assert run(slot.starts_at - DAY) == 1
    assert [r.days_before for r in db.session.scalars(select(VisitReminder))] == [1]


def test_never_to_a_booking_confirmed_after_the_reminders_time(scene):
    slot = scene.slot(8 * DAY)
    # requested now, confirmed two days later: six days before, after the week's reminder was due
    booking = scene.confirmed(slot, confirmed_at=utcnow() + 2 * DAY)
    assert run(slot.starts_at - 6 * DAY + HOUR) == 0
    assert run(slot.starts_at - DAY) == 1
    assert [r.days_before for r in db.session.scalars(select(VisitReminder))] == [1]
    assert booking.decided_at > slot.starts_at - 7 * DAY


def test_the_old_sessions_reminder_is_never_sent_after_a_move(scene):
    old = scene.slot(10 * DAY)
    booking = scene.confirmed(old)
    new = scene.slot(9 * DAY)  # its week's reminder is due two days from now
    moved_at = old.starts_at - 7 * DAY - HOUR  # just before the old session's week reminder
    with write_intent():
        services.move(booking, new, scene.manager, moved_at)
    assert booking.moved_at == moved_at
    # The old session's week reminder time: not for this booking any more, and the new
    # session's week reminder was due before the booking moved there.
    assert run(old.starts_at - 7 * DAY) == 0
    assert run(new.starts_at - DAY) == 1  # the new session's own 1-day reminder
    rows = db.session.scalars(select(VisitReminder)).all()
    assert [(r.days_before, r.slot_starts_at) for r in rows] == [(1, new.starts_at)]


def test_after_a_move_the_new_sessions_reminders_follow_its_schedule(scene):
    old = scene.slot(10 * DAY)
    booking = scene.confirmed(old)
    assert run(old.starts_at - 7 * DAY) == 1  # the old session's week reminder went out
    new = scene.slot(14 * DAY)
    with write_intent():
        services.move(booking, new, scene.manager, old.starts_at - 6 * DAY)
    assert run(new.starts_at - 7 * DAY) == 1
    assert run(old.starts_at - DAY) == 0  # the old session's day reminder: never
    assert run(new.starts_at - DAY) == 1
    rows = db.session.scalars(select(VisitReminder).order_by(VisitReminder.id)).all()
    assert [(r.days_before, r.slot_starts_at) for r in rows] == [
        (7, old.starts_at),
        (7, new.starts_at),
        (1, new.starts_at),
    ]


def test_never_to_pending_cancelled_rejected_or_expired_bookings(scene):
    slot = scene.slot(10 * DAY)
    schools = school_users(4, start=300)
    with write_intent():
        expired = services.book_slot(schools[3], slot.id, group_request())
        services.expire_pending(expired.expires_at)
        pending = services.book_slot(schools[0], slot.id, group_request())
        cancelled = scene.confirmed(slot, user=schools[1])
        services.cancel(cancelled, scene.manager, "Sirkuit dipakai balap")
        rejected = services.book_slot(schools[2], slot.id, group_request())
        services.reject(rejected, scene.manager, "Rombongan terlalu besar")
    statuses = db.session.execute(select(Booking.id, Booking.status)).all()
    assert dict(statuses) == {
        expired.id: "expired",
        pending.id: "pending",
        cancelled.id: "cancelled",
        rejected.id: "rejected",
    }
    for now in (slot.starts_at - 7 * DAY, slot.starts_at - DAY):
        assert run(now) == 0
    assert reminders() == []


# -- once, whatever the concurrency --------------------------------------------------------------


def test_the_database_keeps_each_reminder_to_one(scene):
    slot = scene.slot(10 * DAY)
    booking = scene.confirmed(slot)
    db.session.add(VisitReminder(booking_id=booking.id, days_before=7, slot_starts_at=slot.starts_at))
    db.session.commit()
    db.session.add(VisitReminder(booking_id=booking.id, days_before=7, slot_starts_at=slot.starts_at))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert run(slot.starts_at - 7 * DAY) == 0  # recorded as sent: the job sends nothing


WORKERS = 2
SCHOOLS = 6


def test_two_workers_at_once_send_each_reminder_once(make_app, migrated, factory):
    options = {**engine_options(migrated), "pool_size": WORKERS + 4, "max_overflow": 0}
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS=options, PUBLIC_URL="https://koin.test")
    with app.app_context():
        scene = Scene(factory)
        slot = scene.slot(10 * DAY, capacity=40 * SCHOOLS)
        for user in school_users(SCHOOLS, start=500):
            scene.confirmed(slot, user=user)
        now = slot.starts_at - 7 * DAY
        db.session.remove()

    barrier = threading.Barrier(WORKERS)

    def worker(_):
        with app.app_context():
            try:
                barrier.wait()
                return run(now)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(worker, range(WORKERS)))

    assert sum(results) == SCHOOLS, results
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(VisitReminder)) == SCHOOLS
        # one approved coordinator per school hears it, once
        per_booking = db.session.execute(
            select(OutboxMessage.booking_id, func.count())
            .where(OutboxMessage.kind == "reminder")
            .group_by(OutboxMessage.booking_id)
        ).all()
        assert len(per_booking) == SCHOOLS and {count for _, count in per_booking} == {1}


# -- on deploy: bookings the old two-day reminder reached -------------------------------------


def test_the_migration_records_the_reminders_an_old_reminder_stood_for(scene):
    """Migration 0023 run over bookings the old job (one reminder about two days before)
    already reminded: the reminders whose time has passed are recorded as sent, so the new job
    does not tell those schools their visit is a week away; the day-before one still goes."""
    from flask_migrate import downgrade, upgrade

    from koin_media.notifications import outbox

    moved = scene.confirmed(scene.slot(5 * DAY))  # reminded, then moved to a session 5 days out
    soon = scene.confirmed(scene.slot(12 * HOUR), user=school_user(start=910))  # reminded, visit today
    never = scene.confirmed(scene.slot(5 * DAY + HOUR), user=school_user(start=911))  # no old reminder
    long_ago = utcnow() - 10 * DAY
    for booking in (moved, soon, never):
        booking.created_at = booking.decided_at = long_ago
    old_time = utcnow() - 2 * DAY
    for booking in (moved, soon):
        outbox.add("reminder", scene.teacher, "Pengingat kunjungan", "...", booking=booking, now=old_time)
    db.session.commit()
    starts = {b.id: b.slot.starts_at for b in (moved, soon, never)}
    moved, soon, never = moved.id, soon.id, never.id

    db.session.remove()
    downgrade(revision="0022_usage_rights")
    upgrade()

    rows = db.session.execute(
        select(VisitReminder.booking_id, VisitReminder.days_before, VisitReminder.slot_starts_at, VisitReminder.sent_at)
    ).all()
    assert sorted(rows) == sorted(
        [
            (moved, 7, starts[moved], old_time),
            (soon, 7, starts[soon], old_time),
            (soon, 1, starts[soon], old_time),
        ]
    )
    # Only the booking nobody reminded gets its (late) week reminder.
    assert run(utcnow()) == 1
    week = select(VisitReminder.booking_id).where(VisitReminder.days_before == 7, VisitReminder.sent_at > old_time)
    assert db.session.scalars(week).all() == [never]
    assert run(starts[moved] - DAY) == 1  # the moved booking's day-before reminder still goes
