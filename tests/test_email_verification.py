"""E-mail verification: registration mails a signed link in the user's language; until it is
followed the account cannot book (school) or upload (creator), on the pages and in the API;
a banner offers to send it again (rate limited). Operator-made accounts start verified."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from koin_media.accounts import email_links
from koin_media.accounts.models import User
from koin_media.database import utcnow
from koin_media.extensions import db
from koin_media.notifications.models import EMAIL_VERIFICATION, OutboxMessage

from .booking_helpers import make_slot, request_fields, school_user
from .conftest import PASSWORD, Auth, csrf_token
from .test_booking_journeys import request_slot

SITE = "https://media.koin.test"
LINK = re.compile(re.escape(SITE) + r"/verify-email/(\S+)")


@pytest.fixture
def site(make_app, tmp_path):
    app = make_app(PUBLIC_URL=SITE, MAIL_DIR=str(tmp_path / "mail"))
    with app.app_context():
        yield app


def verification_mails(address: str | None = None) -> list[OutboxMessage]:
    db.session.rollback()
    query = select(OutboxMessage).where(OutboxMessage.kind == EMAIL_VERIFICATION).order_by(OutboxMessage.id)
    if address:
        query = query.where(OutboxMessage.to_address == address)
    return db.session.scalars(query).all()


def link_token(message: OutboxMessage) -> str:
    match = LINK.search(message.body_text)
    assert match, message.body_text
    return match.group(1)


def confirm(client, token: str):
    return client.post(f"/verify-email/{token}", data={"csrf_token": csrf_token(client, "/")})


def account(email: str) -> User:
    db.session.rollback()
    return db.session.scalar(select(User).where(User.email == email))


def register_creator(client, email="kreator@contoh.id"):
    data = {
        "name": "Baiq Nurul",
        "email": email,
        "password": PASSWORD,
        "confirm": PASSWORD,
        "community": "lombok-phonegraphy",
        "csrf_token": csrf_token(client, "/register/creator"),
    }
    return client.post("/register/creator", data=data)


def bearer(client, user) -> dict:
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_registration_mails_a_link_that_confirms_the_address(site):
    browser = site.test_client()
    assert register_creator(browser).status_code == 302
    user = account("kreator@contoh.id")
    assert user.email_verified_at is None
    [message] = verification_mails()
    assert (message.locale, message.subject) == ("id", "Konfirmasi alamat e-mail Anda di KOIN Media")
    assert "berlaku 72 jam" in message.body_text

    html = browser.get("/").get_data(as_text=True)
    assert 'id="email-unverified"' in html and "Kirim ulang tautan" in html
    assert browser.get("/api/v1/me").get_json()["email_verified"] is False

    token = link_token(message)
    page = site.test_client().get(f"/verify-email/{token}")  # a mail scanner's visit changes nothing
    assert page.status_code == 200 and account("kreator@contoh.id").email_verified_at is None
    assert confirm(browser, token).status_code == 302
    assert account("kreator@contoh.id").email_verified
    assert browser.get("/api/v1/me").get_json()["email_verified"] is True
    assert 'id="email-unverified"' not in browser.get("/").get_data(as_text=True)
    assert confirm(site.test_client(), token).status_code == 302  # again: harmless, nothing changes


def test_api_registration_mails_in_the_language_asked_and_verifies_by_token(site):
    client = site.test_client()
    response = client.post(
        "/api/v1/auth/register",
        json={
            "email": "usaha@contoh.id",
            "password": PASSWORD,
            "role": "ikm",
            "name": "Lalu",
            "business_name": "Kopi Sembalun",
            "sector": "coffee",
            "regency": "lombok-timur",
        },
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 201 and response.get_json()["email_verified"] is False
    [message] = verification_mails("usaha@contoh.id")
    assert (message.locale, message.subject) == ("en", "Confirm your e-mail address for KOIN Media")
    token = link_token(message)
    verified = client.post("/api/v1/auth/verify-email", json={"token": token})
    assert verified.status_code == 200 and verified.get_json() == {"email": "usaha@contoh.id", "email_verified": True}
    tampered = client.post("/api/v1/auth/verify-email", json={"token": token[:-3] + "xyz"})
    assert tampered.status_code == 400 and tampered.get_json()["error"] == "link_invalid"


def test_an_old_link_and_a_link_for_a_former_address_fail(site, factory):
    user = factory.user("ikm", verified=False)
    old = email_links.verification_token(user, now=utcnow() - timedelta(hours=73))
    response = site.test_client().post("/api/v1/auth/verify-email", json={"token": old})
    assert response.status_code == 400 and response.get_json()["error"] == "link_expired"

    token = email_links.verification_token(user)
    user.email = "alamat-baru@contoh.id"
    db.session.commit()
    assert confirm(site.test_client(), token).status_code == 400
    assert not account("alamat-baru@contoh.id").email_verified


def test_resend_sends_a_new_link_and_is_rate_limited(make_app, factory):
    app = make_app(RATELIMIT_VERIFICATION_RESEND="2 per hour")
    with app.app_context():
        user = factory.user("creator", verified=False, locale="en")
        browser = app.test_client()
        Auth(browser).login(user)
        resend = [
            browser.post("/account/verify-email/resend", data={"csrf_token": csrf_token(browser)}).status_code
            for _ in range(3)
        ]
        assert resend == [302, 302, 429]
        mails = verification_mails(user.email)
        assert len(mails) == 2 and {m.locale for m in mails} == {"en"}


def test_api_resend_and_a_verified_account_needs_none(site, factory):
    unverified, verified = factory.user("creator", verified=False), factory.user("creator")
    client = site.test_client()
    assert client.post("/api/v1/auth/verify-email/resend", headers=bearer(client, unverified)).status_code == 202
    answer = client.post("/api/v1/auth/verify-email/resend", headers=bearer(client, verified))
    assert answer.status_code == 409 and answer.get_json()["error"] == "already_verified"
    assert [m.to_address for m in verification_mails()] == [unverified.email]
    assert client.post("/api/v1/auth/verify-email/resend").status_code == 401


def test_operator_accounts_start_verified(app, runner):
    result = runner.invoke(
        args=["create-user", "staf@contoh.id", "--role", "staff", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert account("staf@contoh.id").email_verified
    assert verification_mails() == []


# -- what an unverified address cannot do ------------------------------------------------------


def test_an_unverified_school_cannot_book_until_it_confirms(app):
    school = school_user()
    school.email_verified_at = None
    db.session.commit()
    slot = make_slot(capacity=100)
    browser, script = app.test_client(), app.test_client()
    Auth(browser).login(school)
    token = bearer(script, school)

    page = request_slot(browser, slot.id)
    assert page.status_code == 403
    assert "Konfirmasikan alamat e-mail Anda sebelum memesan" in page.get_data(as_text=True)
    assert "Kirim ulang tautan" in page.get_data(as_text=True)
    api = script.post("/api/v1/bookings", json={"slot_id": slot.id, **request_fields()}, headers=token)
    assert api.status_code == 403 and api.get_json()["error"] == "email_unverified"
    waitlist = request_slot(browser, slot.id, action="waitlist")
    assert waitlist.status_code == 403

    assert confirm(browser, email_links.verification_token(school)).status_code == 302
    assert request_slot(browser, slot.id).status_code == 302
    second = make_slot(program=slot.program, capacity=100, starts_in=timedelta(days=20))
    api = script.post("/api/v1/bookings", json={"slot_id": second.id, **request_fields()}, headers=token)
    assert api.status_code == 201


def test_an_unverified_creator_cannot_upload_until_it_confirms(app, factory):
    creator = factory.user("creator", verified=False)
    browser, script = app.test_client(), app.test_client()
    Auth(browser).login(creator)
    token = bearer(script, creator)
    create = {"filename": "pantai.jpg", "type": "image/jpeg", "metadata": {"size": 1024}}

    api = script.post("/uploads/s3/multipart", json=create, headers=token)
    assert api.status_code == 403 and api.get_json()["error"] == "email_unverified"
    uppy = browser.post("/uploads/s3/multipart", json=create, headers={"X-CSRFToken": csrf_token(browser, "/upload")})
    assert uppy.status_code == 403 and uppy.get_json()["error"] == "email_unverified"
    form = browser.post(
        "/upload",
        data={"title": "Pantai", "license": "NTB-PROMO", "consent": "y", "csrf_token": csrf_token(browser, "/upload")},
        content_type="multipart/form-data",
    )
    assert form.status_code == 403
    assert "Konfirmasikan alamat e-mail Anda sebelum mengunggah" in form.get_data(as_text=True)

    assert confirm(browser, email_links.verification_token(creator)).status_code == 302
    created = script.post("/uploads/s3/multipart", json=create, headers=token)
    assert created.status_code == 200 and created.get_json()["uploadId"]
