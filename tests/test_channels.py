"""Notification channels: one more channel is one more class. The registry built from
KOIN_NOTIFICATION_CHANNELS (an unknown name stops the start), e-mail and notices as channels,
and a channel class written here that every booking message reaches."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from koin_media import create_app
from koin_media.booking import schedule, services, waitlist
from koin_media.database import utcnow, write_intent
from koin_media.extensions import db
from koin_media.notifications import booking_mail, channels
from koin_media.notifications.models import CONFIRMED, KIT_READY, REMINDER, Notice, OutboxMessage
from koin_media.notifications.outbox import recipient_locale

from .booking_helpers import group_request, make_program, make_slot, make_venue, school_user
from .conftest import settings_for

# Every kind a booking change (or the reminder) sends, school- and venue-facing.
BOOKING_KINDS = {
    "request_received", "confirmed", "rejected", "cancelled", "expired", "moved", "waitlist_offer", "reminder",
    "closure",
}  # fmt: skip


class RecordingChannel(channels.Channel):
    """A channel as a WhatsApp Business one would be written, keeping what it was handed."""

    name = "recorder"

    def __init__(self, app):
        super().__init__(app)
        self.sent: list[tuple[str, str, str]] = []

    def reaches(self, user, message):
        return user.active

    def send(self, user, message):
        # What a WhatsApp channel would send: the chat link, made in the recipient's language.
        with force_locale(recipient_locale(user)):
            entry = (user.email, message.kind, str(message.context.get("whatsapp_url", "")))
        self.sent.append(entry)
        return entry


@pytest.fixture
def recorder_registered():
    channels.register(RecordingChannel)
    yield RecordingChannel
    channels.CHANNELS.pop(RecordingChannel.name, None)


def the_channel(name: str):
    return next(channel for channel in channels.active_channels() if channel.name == name)


def outbox_pairs() -> Counter[tuple[str, str]]:
    return Counter((m.to_address, m.kind) for m in db.session.scalars(select(OutboxMessage)))


# -- the registry -------------------------------------------------------------------------------


def test_the_default_channels_are_email_and_notices(app):
    assert [channel.name for channel in channels.active_channels()] == ["email", "notice"]


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("email,whatsapp", "names unknown channel(s) whatsapp; known channels: email, notice"),
        ("Email, SMS , notice", "names unknown channel(s) sms; known channels: email, notice"),
        (" , ", "lists no channel; known channels: email, notice"),
    ],
)
def test_an_unknown_or_empty_channel_setting_stops_the_start(migrated, tmp_path, setting, complaint):
    with pytest.raises(channels.UnknownChannel) as refused:
        create_app(settings_for(migrated, tmp_path, NOTIFICATION_CHANNELS=setting))
    assert f"KOIN_NOTIFICATION_CHANNELS {complaint}" in str(refused.value)


def test_the_setting_is_read_from_the_environment(migrated, tmp_path, monkeypatch):
    monkeypatch.setenv("KOIN_NOTIFICATION_CHANNELS", "email,telegram")
    with pytest.raises(channels.UnknownChannel, match="telegram"):
        create_app(settings_for(migrated, tmp_path))
    monkeypatch.setenv("KOIN_NOTIFICATION_CHANNELS", "notice, email, notice")
    app = create_app(settings_for(migrated, tmp_path))
    assert [channel.name for channel in app.extensions["koin_channels"]] == ["notice", "email"]


def test_a_channel_needs_a_name():
    class Nameless(RecordingChannel):
        name = ""

    with pytest.raises(ValueError, match="needs a name"):
        channels.register(Nameless)
    assert "" not in channels.CHANNELS


# -- booking messages through the channels ------------------------------------------------------


class Scene:
    def __init__(self, factory):
        self.venue = make_venue()
        self.venue.contact_phone = "+6281987654321"
        self.manager = factory.user("venue_manager", locale="en", email="pengelola@mandalika.test")
        self.venue.managers.append(self.manager)
        db.session.commit()
        self.program = make_program(self.venue)
        self.slot = make_slot(self.program, capacity=40)
        self.teacher = school_user()
        self.waiting = school_user(start=901)
        self.staff = factory.user("staff", email="staf@disperin.test")

    def every_booking_message(self):
        """Each booking change once: request, confirmation, reminder, a move (which offers the
        freed seats to the waiting school), a rejection, an expiry, a closure, a cancellation."""
        with write_intent():
            booking = services.book_slot(self.teacher, self.slot.id, group_request(students=34, teachers=3))
            waitlist.join_waitlist(self.waiting, self.slot.id, group_request(students=20, teachers=2))
            services.confirm(booking, self.manager)
            booking_mail.to_school(REMINDER, booking)
            later = make_slot(self.program, starts_in=timedelta(days=9), capacity=40)
            services.move(booking, later, self.manager)
            small = group_request(students=10, teachers=1)
            services.reject(services.book_slot(self.teacher, self.slot.id, small), self.manager, "Penuh")
            services.book_slot(self.teacher, self.slot.id, small)
        with write_intent():
            services.expire_pending(utcnow() + timedelta(hours=73))
        with write_intent():  # both sessions close: no other one to offer instead
            schedule.close_for(self.venue, self.slot.starts_at, later.ends_at, "Balapan MotoGP", actor=self.staff)
            services.cancel(booking, self.teacher)
        return booking


def test_a_channel_class_added_by_configuration_hears_every_booking_message(make_app, factory, recorder_registered):
    app = make_app(NOTIFICATION_CHANNELS="email,notice,recorder")
    with app.app_context():
        scene = Scene(factory)
        scene.every_booking_message()
        recorder = the_channel("recorder")
        heard = Counter((address, kind) for address, kind, _link in recorder.sent if kind in BOOKING_KINDS)
        assert {kind for _address, kind in heard} == BOOKING_KINDS
        # the same people and kinds as the e-mails, as often (three requests: three to the manager)
        assert heard == Counter({pair: n for pair, n in outbox_pairs().items() if pair[1] in BOOKING_KINDS})
        assert heard[(scene.manager.email, "request_received")] == 3
        # what it was handed renders in each recipient's language: the chat link's text
        links = {(address, kind): link for address, kind, link in recorder.sent}
        assert "text=Halo%2C%20kami%20dari" in links[(scene.teacher.email, CONFIRMED)]
        assert "text=Hello%20Baiq" in links[(scene.manager.email, "request_received")]
        assert links[(scene.waiting.email, "waitlist_offer")] == ""  # about no booking yet
        assert not db.session.scalars(select(Notice)).all()  # schools and managers read no notices


def test_without_the_email_channel_no_mail_is_written(make_app, factory, recorder_registered):
    app = make_app(NOTIFICATION_CHANNELS="recorder")
    with app.app_context():
        Scene(factory).every_booking_message()
        assert not outbox_pairs()
        assert {kind for _address, kind, _link in the_channel("recorder").sent} >= BOOKING_KINDS


# -- e-mail and notices as channels --------------------------------------------------------------


def test_notices_reach_only_their_roles_and_kinds_and_mail_only_active_accounts(app, factory):
    business = factory.user("ikm", email="tenun@sukarara.test")
    teacher = school_user()
    gone = factory.user("ikm", email="tutup@usaha.test", active=False)
    made = SimpleNamespace(title="Kit Mandalika", file_count=2, size_bytes=2048, skipped=[], expires_at=utcnow())
    kit = channels.Message(kind=KIT_READY, context={"kit": made, "kit_url": "https://koin.test/kits/x"},
                           notice={"title": "Kit Mandalika", "token": "x"})  # fmt: skip
    stored = channels.deliver(kit, [business, teacher, gone])
    assert [m.to_address for m in stored["email"]] == [business.email, teacher.email]
    assert [(n.user_id, n.kind, n.params["title"]) for n in stored["notice"]] == [
        (business.id, KIT_READY, "Kit Mandalika"),
        (gone.id, KIT_READY, "Kit Mandalika"),  # the notice waits should the account come back
    ]
    db.session.rollback()  # inside the caller's transaction: gone with it
    assert not outbox_pairs() and db.session.scalars(select(Notice)).all() == []


def test_a_booking_kind_makes_no_notice_even_for_a_role_that_reads_notices(app, factory):
    creator = factory.user("creator")
    channel = the_channel("notice")
    assert not channel.reaches(creator, channels.Message(kind=CONFIRMED))
    assert channel.reaches(creator, channels.Message(kind=KIT_READY))
