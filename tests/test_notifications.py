"""Notifications through the outbox: each booking change writes its messages in its own
transaction, to the right people in their language; delivery to .eml files or a real SMTP
server, retried after a failure. (The reminders before a visit: tests/test_visit_reminders.py.)"""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy

import icalendar
import pytest
from sqlalchemy import select

from koin_media.booking import schedule, services, waitlist
from koin_media.booking.problems import BookingRefused
from koin_media.database import utcnow
from koin_media.extensions import db
from koin_media.notifications import jobs, outbox
from koin_media.notifications.models import OutboxMessage

from .booking_helpers import group_request, make_program, make_slot, make_venue, school_user

# -- the scene -------------------------------------------------------------------------------


@pytest.fixture
def mail_app(make_app, tmp_path):
    app = make_app(MAIL_DIR=str(tmp_path / "mail"), PUBLIC_URL="https://koin.test")
    with app.app_context():
        yield app


class Scene:
    """A venue with an English-speaking manager, a slot, and a school with two coordinators:
    one Indonesian (no locale chosen), one English."""

    def __init__(self, factory):
        self.venue = make_venue()
        self.manager = factory.user("venue_manager", locale="en", email="pengelola@mandalika.test")
        self.venue.managers.append(self.manager)
        db.session.commit()
        self.program = make_program(self.venue)
        self.slot = make_slot(self.program, capacity=40)
        self.teacher = school_user()
        # A second coordinator the school has approved (one who only named the NPSN hears
        # nothing: tests/test_school_coordinators.py).
        self.colleague = factory.user(
            "school",
            npsn=self.teacher.school.npsn,
            locale="en",
            email="wakasek@sekolah.test",
            coordinator_status="approved",
        )
        self.staff = factory.user("staff", email="staf@disperin.test")

    def book(self, user=None, **fields):
        return services.book_slot(user or self.teacher, self.slot.id, group_request(**fields))

    def confirmed(self):
        booking = self.book()
        return services.confirm(booking, self.manager)


@pytest.fixture
def scene(mail_app, factory):
    return Scene(factory)


def messages(kind=None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return db.session.scalars(query).all()


def by_address(kind) -> dict[str, OutboxMessage]:
    return {message.to_address: message for message in messages(kind)}


# -- who hears what ---------------------------------------------------------------------------


def test_a_request_goes_to_the_venue_managers_in_their_language(scene):
    booking = scene.book()
    sent = messages()
    assert [(m.kind, m.to_address, m.locale) for m in sent] == [("request_received", scene.manager.email, "en")]
    message = sent[0]
    assert message.booking_id == booking.id and message.user_id == scene.manager.id
    assert message.subject.startswith("New visit request")
    assert scene.teacher.school.name in message.subject
    assert "30 students and 2 teachers" in message.body_text
    assert f"https://koin.test/bookings/{booking.id}" in message.body_text
    assert message.sent_at is None and message.attempts == 0


def test_a_request_at_a_venue_without_managers_goes_to_staff(scene):
    scene.venue.managers.clear()
    db.session.commit()
    scene.book()
    assert [(m.to_address, m.locale) for m in messages("request_received")] == [(scene.staff.email, "id")]
    assert messages()[0].subject.startswith("Permintaan kunjungan baru")


def test_confirmation_reaches_every_coordinator_in_their_language_with_the_calendar(scene):
    booking = scene.confirmed()
    sent = by_address("confirmed")
    assert set(sent) == {scene.teacher.email, scene.colleague.email}
    indonesian, english = sent[scene.teacher.email], sent[scene.colleague.email]
    assert indonesian.locale == "id" and indonesian.subject.startswith("Kunjungan dikonfirmasi")
    assert english.locale == "en" and english.subject.startswith("Visit confirmed")
    code = f"{booking.code[:4]}-{booking.code[4:]}"
    for message in (indonesian, english):
        assert code in message.subject and code in message.body_text
        assert message.attachment_name == f"koin-{booking.code}.ics"
        event = icalendar.Calendar.from_ical(message.attachment_ics).walk("VEVENT")[0]
        assert str(event["UID"]) == f"{booking.code}@koin-media"
    assert "Surat izin orang tua" in indonesian.body_text
    assert "siswa" in indonesian.body_text and "students" in english.body_text


def test_rejection_tells_the_school_the_reason(scene):
    booking = scene.book()
    services.reject(booking, scene.manager, "Lintasan dipakai tes ban")
    sent = by_address("rejected")
    assert set(sent) == {scene.teacher.email, scene.colleague.email}
    assert all("Lintasan dipakai tes ban" in m.body_text for m in sent.values())
    assert sent[scene.teacher.email].subject.startswith("Permintaan kunjungan ditolak")
    assert sent[scene.colleague.email].subject.startswith("Visit request declined")


def test_a_school_cancelling_tells_the_school_and_the_venue(scene):
    booking = scene.confirmed()
    services.cancel(booking, scene.teacher)
    sent = messages("cancelled")
    assert {m.to_address for m in sent} == {scene.teacher.email, scene.colleague.email, scene.manager.email}
    to_manager = next(m for m in sent if m.to_address == scene.manager.email)
    assert to_manager.subject.startswith("A school cancelled visit")


def test_staff_cancelling_tells_only_the_school_with_the_reason(scene):
    booking = scene.confirmed()
    services.cancel(booking, scene.staff, "Sirkuit ditutup untuk perbaikan")
    sent = messages("cancelled")
    assert {m.to_address for m in sent} == {scene.teacher.email, scene.colleague.email}
    assert all("Sirkuit ditutup untuk perbaikan" in m.body_text for m in sent)
    assert next(m for m in sent if m.locale == "en").body_text.count("cancelled by the venue") == 1


def test_expiry_tells_the_school(scene):
    scene.book()
    expired = services.expire_pending(utcnow() + timedelta(hours=73))
    assert len(expired) == 1
    assert {m.to_address for m in messages("expired")} == {scene.teacher.email, scene.colleague.email}


def test_a_move_tells_the_school_with_the_new_calendar(scene):
    booking = scene.confirmed()
    later = make_slot(scene.program, starts_in=timedelta(days=9), capacity=40)
    services.move(booking, later, scene.manager)
    sent = by_address("moved")
    assert set(sent) == {scene.teacher.email, scene.colleague.email}
    event = icalendar.Calendar.from_ical(sent[scene.colleague.email].attachment_ics).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == later.starts_at
    assert "The updated calendar file (.ics) is attached." in sent[scene.colleague.email].body_text  # (in English)


def test_a_pending_request_moved_gets_no_calendar_and_does_not_claim_one(scene):
    booking = scene.book()
    later = make_slot(scene.program, starts_in=timedelta(days=9), capacity=40)
    services.move(booking, later, scene.manager)
    sent = by_address("moved")[scene.colleague.email]
    assert sent.attachment_ics is None and ".ics" not in sent.body_text


def test_a_closure_notifies_the_affected_schools(scene):
    booking = scene.confirmed()
    affected = schedule.close_for(
        scene.venue,
        scene.slot.starts_at - timedelta(hours=1),
        scene.slot.ends_at + timedelta(hours=1),
        "Balapan MotoGP",
        actor=scene.staff,
    )
    assert [b.id for b in affected] == [booking.id]
    sent = by_address("closure")
    assert set(sent) == {scene.teacher.email, scene.colleague.email}
    assert all("Balapan MotoGP" in m.body_text and m.booking_id == booking.id for m in sent.values())
    assert sent[scene.teacher.email].subject.startswith("Jadwal kunjungan ditutup")


def test_freed_seats_offered_to_a_waiting_school_are_notified(scene, factory):
    first = scene.book(students=34, teachers=3)  # 37 of 40 seats
    waiting_user = school_user(start=901)
    entry = waitlist.join_waitlist(waiting_user, scene.slot.id, group_request(students=20, teachers=2))
    assert entry.status == "waiting"
    assert messages("waitlist_offer") == []
    services.cancel(first, scene.teacher)
    offers = messages("waitlist_offer")
    assert [(m.to_address, m.locale) for m in offers] == [(waiting_user.email, "id")]
    assert offers[0].subject.startswith("Kursi tersedia")
    assert "https://koin.test/my/bookings" in offers[0].body_text


def test_a_refused_change_writes_no_message(scene):
    scene.book()
    count = len(messages())
    with pytest.raises(BookingRefused):
        scene.book()  # the same school again: duplicate request
    assert len(messages()) == count


# -- delivery ---------------------------------------------------------------------------------


def test_delivery_writes_one_eml_file_per_message_with_the_calendar_attached(scene, tmp_path):
    booking = scene.confirmed()
    result = jobs.deliver_pending()
    assert result == {"sent": 3, "failed": 0}  # the request to the manager, two confirmations
    assert all(m.sent_at is not None and m.attempts == 1 and m.last_error is None for m in messages())
    confirmation = by_address("confirmed")[scene.colleague.email]
    path = tmp_path / "mail" / f"{confirmation.id}.eml"
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["To"] == scene.colleague.email
    assert parsed["From"] == "KOIN Media <noreply@koin-media.id>"
    assert parsed["Subject"] == confirmation.subject
    assert parsed["Content-Language"] == "en"
    assert "is confirmed" in parsed.get_body(("plain",)).get_content()
    attachments = list(parsed.iter_attachments())
    assert [a.get_content_type() for a in attachments] == ["text/calendar"]
    assert attachments[0].get_filename() == f"koin-{booking.code}.ics"
    event = icalendar.Calendar.from_ical(attachments[0].get_content()).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == scene.slot.starts_at
    request_mail = tmp_path / "mail" / f"{messages('request_received')[0].id}.eml"
    assert list(email.message_from_bytes(request_mail.read_bytes(), policy=policy.default).iter_attachments()) == []
    assert sorted(p.name for p in (tmp_path / "mail").iterdir()) == sorted(f"{m.id}.eml" for m in messages())
    # Nothing is sent twice: the sweep finds nothing due, a late job for a sent message does nothing.
    assert jobs.deliver_pending() == {"sent": 0, "failed": 0}
    assert outbox.deliver(confirmation.id) is False


def test_delivery_over_smtp(make_app, factory, smtp_sink, tmp_path):
    app = make_app(
        MAIL_SMTP_HOST="127.0.0.1",
        MAIL_SMTP_PORT=smtp_sink.port,
        MAIL_SMTP_TLS=False,
        MAIL_DIR=str(tmp_path / "no-files"),
    )
    with app.app_context():
        scene = Scene(factory)
        scene.confirmed()
        assert jobs.deliver_pending() == {"sent": 3, "failed": 0}
        assert not (tmp_path / "no-files").exists()
        received = {
            recipients[0]: email.message_from_bytes(raw, policy=policy.default)
            for _s, recipients, raw in smtp_sink.messages
        }
        assert set(received) == {scene.manager.email, scene.teacher.email, scene.colleague.email}
        assert all(sender == "noreply@koin-media.id" for sender, _r, _raw in smtp_sink.messages)
        to_teacher = received[scene.teacher.email]
        assert to_teacher["Subject"].startswith("Kunjungan dikonfirmasi")
        assert "Surat izin orang tua" in to_teacher.get_body(("plain",)).get_content()
        assert [a.get_content_type() for a in to_teacher.iter_attachments()] == ["text/calendar"]


def test_a_failed_delivery_is_kept_and_retried_after_a_backoff(make_app, factory, smtp_sink):
    app = make_app(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=smtp_sink.port, MAIL_SMTP_TLS=False)
    with app.app_context():
        scene = Scene(factory)
        scene.book()
        [message] = messages()
        smtp_sink.refuse_data = True
        now = utcnow()
        assert jobs.deliver_pending(now) == {"sent": 0, "failed": 1}
        db.session.refresh(message)
        assert message.sent_at is None and message.attempts == 1
        assert "451" in message.last_error
        assert message.next_attempt_at == now + timedelta(seconds=60) and message.claimed_until is None
        smtp_sink.refuse_data = False
        assert jobs.deliver_pending(now + timedelta(seconds=30)) == {"sent": 0, "failed": 0}  # not due yet
        assert jobs.deliver_pending(now + timedelta(seconds=61)) == {"sent": 1, "failed": 0}
        db.session.refresh(message)
        assert message.sent_at is not None and message.attempts == 2 and message.last_error is None
        assert [recipients for _s, recipients, _raw in smtp_sink.messages] == [[scene.manager.email]]


def test_an_unreachable_server_is_retried_with_growing_delays(make_app, factory, smtp_sink):
    port = smtp_sink.port
    smtp_sink.shutdown()
    smtp_sink.server_close()  # nothing listens there now
    app = make_app(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=port, MAIL_SMTP_TLS=False)
    with app.app_context():
        Scene(factory).book()
        [message] = messages()
        now = utcnow()
        for attempt, delay in ((1, 60), (2, 120), (3, 240)):
            assert jobs.deliver_pending(now) == {"sent": 0, "failed": 1}
            db.session.refresh(message)
            assert message.attempts == attempt and message.sent_at is None and message.last_error
            assert message.next_attempt_at == now + timedelta(seconds=delay)
            now = message.next_attempt_at


def test_a_claimed_message_is_not_sent_by_a_second_worker(scene):
    scene.book()
    [message] = messages()
    now = utcnow()
    assert outbox._claim(message.id, now) is True
    assert outbox.deliver(message.id, now) is False  # another worker holds it
    assert jobs.deliver_pending(now + timedelta(seconds=outbox.CLAIM_SECONDS + 1)) == {"sent": 1, "failed": 0}


def test_retry_delays_grow_to_six_hours():
    assert [outbox.retry_delay(n).total_seconds() for n in (1, 2, 3, 10, 30)] == [60, 120, 240, 6 * 3600, 6 * 3600]


def test_committed_messages_are_handed_to_the_queue_and_rolled_back_ones_are_not(scene, monkeypatch):
    handed: list[int] = []
    monkeypatch.setattr(jobs, "hand_to_queue", handed.extend)
    booking = scene.book()
    assert handed == [m.id for m in messages()] and len(handed) == 1
    with pytest.raises(BookingRefused):
        scene.book()
    services.confirm(booking, scene.manager)
    assert handed == [m.id for m in messages()] and len(handed) == 3


def test_a_message_that_cannot_be_built_is_kept_for_later(scene):
    scene.book()
    [message] = messages()
    message.to_address = "not an address"
    db.session.commit()
    now = utcnow()
    assert jobs.deliver_pending(now) == {"sent": 0, "failed": 1}
    db.session.refresh(message)
    assert message.sent_at is None and message.attempts == 1 and message.last_error
