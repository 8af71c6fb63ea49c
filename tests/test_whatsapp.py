"""WhatsApp where schools talk (issue 12, point 2): click-to-chat links to the venue with the
booking code typed in, the message for parents (when in WITA, place with a map link, what to
bring), on the booking pages and in every booking mail, escaped where hostile text could hurt."""

from __future__ import annotations

import html
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from flask_babel import force_locale

from koin_media.booking import schedule, services, whatsapp
from koin_media.booking.codes import display
from koin_media.database import utcnow, write_intent
from koin_media.extensions import db
from koin_media.localtime import LOCAL
from koin_media.notifications import booking_mail
from koin_media.notifications.models import REMINDER, OutboxMessage
from koin_media.sitelinks import whatsapp_link

from .booking_helpers import group_request, make_program, make_slot, make_venue, school_user

VENUE_PHONE = "+6281987654321"
VENUE_DIGITS = "6281987654321"


# -- the number -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "digits"),
    [
        ("+6281987654321", "6281987654321"),
        ("0819-8765-4321", "6281987654321"),
        ("62 819 8765 4321", "6281987654321"),
        ("(0370) 631234", "62370631234"),
        ("0062 819.8765.4321", "6281987654321"),
        ("+44 20 7946 0958", "442079460958"),
        ("", None),
        (None, None),
        ("0812", None),  # too short to be anyone's
        ("+62 8123 4567 8901 2345", None),  # longer than E.164 allows
        ("81987654321", None),  # no country code nor trunk 0: whose?
        ("0819 8765 4321 ext 5", None),
        ("٠٨١٩٨٧٦٥٤٣٢١", None),  # digits, but not ASCII ones
        ("+62 819<script>", None),
    ],
)
def test_a_phone_becomes_digits_with_the_country_code_or_nothing(phone, digits):
    assert whatsapp.whatsapp_number(phone) == digits


def test_a_link_takes_only_digits_and_encodes_every_reserved_character(app):
    url = whatsapp_link("Halo & selamat pagi?\n#1 = 100% / 2", "6281987654321")
    assert url == "https://wa.me/6281987654321?text=Halo%20%26%20selamat%20pagi%3F%0A%231%20%3D%20100%25%20%2F%202"
    assert whatsapp_link("x") == "https://wa.me/?text=x"
    with pytest.raises(ValueError, match="digits only"):
        whatsapp_link("x", "+62819")


# -- the scene ---------------------------------------------------------------------------------


class Scene:
    def __init__(self, factory, *, phone=VENUE_PHONE, coordinates=True, venue_name=None, requirements=None):
        self.venue = make_venue(name=venue_name or "Pertamina Mandalika International Circuit")
        self.venue.contact_phone = phone
        if coordinates:
            self.venue.latitude, self.venue.longitude = -8.8953, 116.3052
        self.manager = factory.user("venue_manager", email="pengelola@mandalika.test")
        self.venue.managers.append(self.manager)
        db.session.commit()
        program_fields = {} if requirements is None else {"requirements": requirements}
        self.program = make_program(self.venue, **program_fields)
        self.slot = make_slot(self.program, capacity=40)
        self.teacher = school_user()
        self.english = factory.user(
            "school",
            npsn=self.teacher.school.npsn,
            locale="en",
            email="wakasek@sekolah.test",
            coordinator_status="approved",
        )
        self.staff = factory.user("staff", email="staf@disperin.test")

    def book(self):
        with write_intent():
            return services.book_slot(self.teacher, self.slot.id, group_request())

    def confirmed(self):
        booking = self.book()
        with write_intent():
            return services.confirm(booking, self.manager)


@pytest.fixture
def scene(app, factory):
    return Scene(factory)


def wita_clock(booking) -> str:
    start, end = booking.slot.starts_at.astimezone(LOCAL), booking.slot.ends_at.astimezone(LOCAL)
    return f"{start:%H.%M}–{end:%H.%M} WITA"


def text_of(url: str) -> str:
    (value,) = parse_qs(urlsplit(url).query, strict_parsing=True)["text"]
    return value


# -- the chat with the venue -------------------------------------------------------------------


def test_the_chat_link_goes_to_the_venue_with_school_and_code_in_the_readers_language(scene):
    booking = scene.confirmed()
    url = whatsapp.venue_chat_link(booking)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", f"/{VENUE_DIGITS}")
    assert set(parts.query) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789%-._~=")
    text = text_of(url)
    assert text.startswith(f"Halo, kami dari {booking.school.name}, kode pemesanan {display(booking.code)}")
    assert wita_clock(booking) in text
    with force_locale("en"):
        english = text_of(whatsapp.venue_chat_link(booking))
    assert english.startswith(f"Hello, we are from {booking.school.name}, booking code {display(booking.code)}")


def test_a_venue_without_a_usable_number_gets_no_link(factory, app):
    scene = Scene(factory, phone="021")
    booking = scene.book()
    assert whatsapp.whatsapp_number(scene.venue.contact_phone) is None
    assert whatsapp.venue_chat_link(booking) is None
    scene.venue.contact_phone = None
    assert whatsapp.links(booking).venue_chat is None


# -- the message for parents -------------------------------------------------------------------


def test_the_parents_text_has_the_day_and_time_in_wita_the_map_and_what_to_bring(scene):
    booking = scene.confirmed()
    text = whatsapp.parents_text(booking)
    lines = text.splitlines()
    assert lines[0] == f"Kunjungan eduwisata {booking.school.name}: Mengenal Teknologi Balap"
    assert lines[1].startswith("Waktu: ") and lines[1].endswith(wita_clock(booking))
    assert lines[2] == "Tempat: Pertamina Mandalika International Circuit, Kuta, Pujut, Lombok Tengah"
    assert lines[3] == "Peta: https://www.google.com/maps/search/?api=1&query=-8.8953,116.3052"
    assert lines[4:7] == ["Yang perlu dibawa:", "- Surat izin orang tua", "- Sepatu tertutup"]
    assert lines[7] == f"Kode pemesanan: {display(booking.code)}"
    with force_locale("en"):
        english = whatsapp.parents_text(booking)
    assert "When: " in english and "What to bring:" in english and wita_clock(booking).replace(".", ":") in english


def test_without_coordinates_the_parents_text_gives_the_address_and_no_map(factory, app):
    scene = Scene(factory, coordinates=False, requirements=[])
    text = whatsapp.parents_text(scene.confirmed())
    assert "Tempat: Pertamina Mandalika International Circuit, Kuta, Pujut, Lombok Tengah" in text
    assert "Peta" not in text and "google" not in text and "dibawa" not in text


def test_parents_hear_only_of_a_visit_that_stands(scene):
    pending = scene.book()
    assert whatsapp.parents_text(pending) is None and whatsapp.links(pending).parents_share is None
    with write_intent():
        services.confirm(pending, scene.manager)
    assert whatsapp.parents_text(pending) is not None
    with write_intent():
        schedule.close_for(scene.venue, scene.slot.starts_at, scene.slot.ends_at, "Balapan MotoGP", actor=scene.staff)
    assert pending.status == "confirmed" and whatsapp.parents_text(pending) is None
    assert whatsapp.links(pending).venue_chat is not None  # they may still ask the venue


def test_the_share_link_carries_the_whole_parents_text(scene):
    booking = scene.confirmed()
    links = whatsapp.links(booking)
    assert links.parents_share.startswith("https://wa.me/?text=")
    assert text_of(links.parents_share) == links.parents_text


# -- on the pages ------------------------------------------------------------------------------


class Anchors(HTMLParser):
    """Every element's attributes by id, and the text of <pre> elements."""

    def __init__(self):
        super().__init__()
        self.by_id, self.pre, self._in_pre = {}, {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.by_id[attrs["id"]] = attrs
        if tag == "pre":
            self._in_pre = attrs.get("id")
            self.pre[self._in_pre] = ""

    def handle_endtag(self, tag):
        if tag == "pre":
            self._in_pre = None

    def handle_data(self, data):
        if self._in_pre:
            self.pre[self._in_pre] += data


def parsed(response) -> Anchors:
    assert response.status_code == 200
    page = Anchors()
    page.feed(response.get_data(as_text=True))
    return page


def test_the_school_sees_the_chat_and_the_parents_text_on_the_booking_page(scene, client, auth):
    booking = scene.confirmed()
    auth.login(scene.teacher)
    page = parsed(client.get(f"/bookings/{booking.id}"))
    links = whatsapp.links(booking)
    assert page.by_id["whatsapp-venue"]["href"] == links.venue_chat
    assert page.pre["parents-text"] == links.parents_text
    assert page.by_id["parents-share"]["href"] == links.parents_share
    # the copy button waits for js/copy.js (shown where the browser can copy); the text is there without it
    assert page.by_id["parents-copy"]["data-copy"] == "parents-text" and "hidden" in page.by_id["parents-copy"]
    assert "whatsapp-school" not in page.by_id

    assert client.get("/my/bookings").status_code == 200
    row = parsed(client.get("/my/bookings")).by_id
    assert row[f"whatsapp-venue-{booking.id}"]["href"] == links.venue_chat
    assert row[f"parents-share-{booking.id}"]["href"] == links.parents_share


def test_a_pending_booking_page_says_when_the_parents_text_comes(scene, client, auth):
    booking = scene.book()
    auth.login(scene.teacher)
    page = parsed(client.get(f"/bookings/{booking.id}"))
    assert "parents-later" in page.by_id and "parents-text" not in page.pre
    assert "whatsapp-venue" in page.by_id


def test_the_page_of_a_venue_without_a_number_says_so(factory, app, client, auth):
    scene = Scene(factory, phone=None)
    booking = scene.confirmed()
    auth.login(scene.teacher)
    response = client.get(f"/bookings/{booking.id}")
    page = parsed(response)
    assert "whatsapp-none" in page.by_id and "whatsapp-venue" not in page.by_id
    assert "belum punya nomor WhatsApp" in response.get_data(as_text=True)
    assert "parents-share" in page.by_id  # the parents still get their message
    row = parsed(client.get("/my/bookings")).by_id
    assert f"whatsapp-venue-{booking.id}" not in row


def test_the_manager_gets_a_chat_with_the_schools_contact_and_no_parents_text(scene, client, auth):
    booking = scene.confirmed()
    auth.login(scene.manager)
    page = parsed(client.get(f"/bookings/{booking.id}"))
    url = page.by_id["whatsapp-school"]["href"]
    assert urlsplit(url).path == "/6281234567890"  # the request's contact, 0812-3456-7890
    assert text_of(url).startswith(f"Halo Baiq Nurul Aini, kami dari {scene.venue.name}")
    assert "whatsapp-venue" not in page.by_id and "parents-text" not in page.pre


def test_hostile_venue_name_and_requirements_stay_text(factory, app, client, auth):
    name = '<script>alert("x")</script> & Sirkuit'
    item = "<img src=x onerror=alert(1)> bawa 100% & #topi?a=b"
    scene = Scene(factory, venue_name=name, requirements=[item])
    booking = scene.confirmed()
    auth.login(scene.teacher)
    response = client.get(f"/bookings/{booking.id}")
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body and "<img src=x" not in body
    assert html.escape(item, quote=False) in body
    page = parsed(response)
    links = whatsapp.links(booking)
    assert f"- {item}" in page.pre["parents-text"] and name in page.pre["parents-text"]
    for url in (page.by_id["parents-share"]["href"], page.by_id["whatsapp-venue"]["href"]):
        parts = urlsplit(url)
        assert parts.netloc == "wa.me" and parts.fragment == "" and list(parse_qs(parts.query)) == ["text"]
        assert not set(parts.query) & set(" <>\"'#&\n")  # one parameter, nothing to break out of
    assert text_of(page.by_id["parents-share"]["href"]) == links.parents_text
    assert links.parents_share == "https://wa.me/?text=" + quote(links.parents_text, safe="")


# -- in every booking mail ---------------------------------------------------------------------


def mails(kind, address=None) -> list[OutboxMessage]:
    query = db.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    found = db.session.scalars(query).all()
    return [m for m in found if address is None or m.to_address == address]


def chat_line(body: str) -> str:
    return next(line for line in body.splitlines() if "https://wa.me/" in line)


SCHOOL_CHAT = {
    "id": f"Chat WhatsApp dengan tempat: https://wa.me/{VENUE_DIGITS}?text=Halo%2C%20kami%20dari",
    "en": f"WhatsApp the venue: https://wa.me/{VENUE_DIGITS}?text=Hello%2C%20we%20are%20from",
}


def test_every_booking_mail_carries_the_chat_and_a_standing_visit_the_parents_text(scene):
    booking = scene.book()
    # request_received and cancelled_venue go to the venue: a chat with the school's contact
    (request,) = mails("request_received")
    assert "WhatsApp kontak sekolah: https://wa.me/6281234567890?text=Halo%20Baiq" in request.body_text
    with write_intent():
        services.confirm(booking, scene.manager)
        booking_mail.to_school(REMINDER, booking)
        later = make_slot(scene.program, starts_in=timedelta(days=9), capacity=40)
        services.move(booking, later, scene.manager)
        rejected = services.book_slot(scene.teacher, scene.slot.id, group_request())
        services.reject(rejected, scene.manager, "Penuh")
        expired = services.book_slot(scene.teacher, scene.slot.id, group_request())
    with write_intent():
        services.expire_pending(utcnow() + timedelta(hours=73))
    assert expired.status == "expired"
    with write_intent():  # both sessions close: no other one to offer instead
        schedule.close_for(scene.venue, scene.slot.starts_at, later.ends_at, "Balapan MotoGP", actor=scene.staff)
        services.cancel(booking, scene.teacher)
    standing = {"confirmed", "reminder", "moved"}
    for kind in ("confirmed", "reminder", "moved", "closure", "cancelled", "rejected", "expired"):
        for message in mails(kind, scene.teacher.email) + mails(kind, scene.english.email):
            assert SCHOOL_CHAT[message.locale] in message.body_text, (kind, message.locale)
            parents = "Pesan untuk orang tua siswa" if message.locale == "id" else "Message for the pupils' parents"
            assert (parents in message.body_text) == (kind in standing), (kind, message.locale)
            if kind in standing:
                assert "https://wa.me/?text=" in message.body_text
                assert "Sepatu tertutup" in message.body_text.split(parents)[1]
    for kind in ("confirmed", "reminder", "moved", "closure", "cancelled", "rejected", "expired"):
        assert len(mails(kind, scene.teacher.email)) == 1 and len(mails(kind, scene.english.email)) == 1, kind
    (to_venue,) = mails("cancelled", scene.manager.email)
    assert "WhatsApp kontak sekolah: https://wa.me/6281234567890?text=" in to_venue.body_text
    assert "orang tua" not in to_venue.body_text


def test_a_mail_says_so_when_the_venue_has_no_whatsapp_number(factory, app):
    scene = Scene(factory, phone=None)
    scene.confirmed()
    (indonesian,) = mails("confirmed", scene.teacher.email)
    (english,) = mails("confirmed", scene.english.email)
    assert "Tempat ini belum punya nomor WhatsApp" in indonesian.body_text
    assert "This venue has no WhatsApp number yet" in english.body_text
    assert "https://wa.me/?text=" in english.body_text  # the parents' message still goes
    assert "https://wa.me/62" not in english.body_text
