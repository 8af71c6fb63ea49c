"""Password reset by e-mail: the same answer for every address, a mail in the owner's language
with a signed link that works once and briefly, and a new password that ends every session
and token. Pages and the JSON API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from koin_media.accounts import email_links
from koin_media.database import utcnow
from koin_media.extensions import db
from koin_media.notifications.jobs import deliver_pending
from koin_media.notifications.models import PASSWORD_RESET, OutboxMessage

from .conftest import PASSWORD, Auth, csrf_token

SITE = "https://media.koin.test"
NEW_PASSWORD = "bukit-merese-2027"
LINK = re.compile(re.escape(SITE) + r"/password/reset/(\S+)")


@pytest.fixture
def site(make_app, tmp_path):
    app = make_app(PUBLIC_URL=SITE, MAIL_DIR=str(tmp_path / "mail"))
    with app.app_context():
        yield app


def reset_mails(address: str | None = None) -> list[OutboxMessage]:
    db.session.rollback()
    query = select(OutboxMessage).where(OutboxMessage.kind == PASSWORD_RESET).order_by(OutboxMessage.id)
    if address:
        query = query.where(OutboxMessage.to_address == address)
    return db.session.scalars(query).all()


def ask(client, email: str):
    return client.post("/password/forgot", data={"email": email, "csrf_token": csrf_token(client, "/password/forgot")})


def link_token(message: OutboxMessage) -> str:
    match = LINK.search(message.body_text)
    assert match, message.body_text
    return match.group(1)


def set_password(client, token: str, password: str = NEW_PASSWORD):
    page = f"/password/reset/{token}"
    return client.post(page, data={"password": password, "confirm": password, "csrf_token": csrf_token(client, "/")})


def can_log_in(app, user, password) -> bool:
    return Auth(app.test_client()).login(user, password=password).status_code == 302


def test_the_log_in_page_offers_a_reset(site):
    html = site.test_client().get("/login").get_data(as_text=True)
    assert "Lupa kata sandi?" in html and 'href="/password/forgot"' in html


def test_known_and_unknown_addresses_get_the_same_answer_and_only_the_known_one_a_mail(site, factory):
    user = factory.user("ikm")
    client = site.test_client()
    known = ask(client, user.email)
    unknown = ask(client, "tidak-ada@contoh.id")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)  # shows the first flash
    assert "Jika ada akun dengan alamat ini" in known_page
    ask(client, "tidak-ada@contoh.id")
    unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert "Jika ada akun dengan alamat ini" in unknown_page
    assert [m.to_address for m in reset_mails()] == [user.email]


def test_a_deactivated_account_gets_no_mail(site, factory):
    user = factory.user("ikm", active=False)
    ask(site.test_client(), user.email)
    assert reset_mails() == []


@pytest.mark.parametrize(
    ("locale", "subject", "sentence"),
    [
        ("id", "Atur ulang kata sandi KOIN Media Anda", "hanya bisa dipakai sekali dan berlaku 60 menit"),
        ("en", "Reset your KOIN Media password", "The link works once and for 60 minutes"),
    ],
)
def test_the_mail_is_in_the_owners_language_and_links_to_the_public_site(
    site, factory, tmp_path, locale, subject, sentence
):
    user = factory.user("creator", locale=locale)
    ask(site.test_client(), user.email.upper())
    [message] = reset_mails(user.email)
    assert (message.locale, message.subject, message.booking_id) == (locale, subject, None)
    assert sentence in " ".join(message.body_text.split())
    assert link_token(message)
    deliver_pending()
    eml = (tmp_path / "mail" / f"{message.id}.eml").read_text()
    assert f"Content-Language: {locale}" in eml and f"To: {user.email}" in eml


def test_without_a_language_of_its_own_the_mail_follows_the_page(site, factory):
    user = factory.user("ikm")
    client = site.test_client()
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client)})
    ask(client, user.email)
    assert reset_mails(user.email)[0].locale == "en"


def test_the_link_sets_a_new_password_once_and_ends_every_session_and_token(site, factory):
    user = factory.user("creator", verified=False)
    browser = site.test_client()
    Auth(browser).login(user, remember=True)
    token = site.test_client().post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {token.get_json()['token']}"}
    ask(site.test_client(), user.email)
    reset = link_token(reset_mails()[0])

    stranger = site.test_client()
    form = stranger.get(f"/password/reset/{reset}")
    assert form.status_code == 200 and 'name="password"' in form.get_data(as_text=True)
    response = set_password(stranger, reset)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")

    assert can_log_in(site, user, NEW_PASSWORD) and not can_log_in(site, user, PASSWORD)
    assert browser.get("/api/v1/me").status_code == 401
    assert site.test_client().get("/api/v1/me", headers=bearer).status_code == 401
    db.session.refresh(user)
    assert user.email_verified  # the link proved the mailbox

    again = set_password(site.test_client(), reset, "pantai-pink-2028")
    assert again.status_code == 400 and "sudah pernah dipakai" in again.get_data(as_text=True)
    assert can_log_in(site, user, NEW_PASSWORD)


def test_a_password_changed_meanwhile_spends_the_link(site, factory):
    user = factory.user("ikm")
    ask(site.test_client(), user.email)
    reset = link_token(reset_mails()[0])
    user.set_password("sudah-diganti-2027")
    db.session.commit()
    assert site.test_client().get(f"/password/reset/{reset}").status_code == 400


def test_the_link_expires_after_the_configured_minutes(make_app, factory):
    app = make_app(PASSWORD_RESET_MINUTES=5)
    with app.app_context():
        user = factory.user("ikm")
        fresh = email_links.password_reset_token(user, now=utcnow() - timedelta(minutes=4))
        old = email_links.password_reset_token(user, now=utcnow() - timedelta(minutes=6))
        client = app.test_client()
        assert client.get(f"/password/reset/{fresh}").status_code == 200
        expired = client.get(f"/password/reset/{old}")
        assert expired.status_code == 400 and "kedaluwarsa" in expired.get_data(as_text=True)
        assert set_password(client, old).status_code == 400
        assert can_log_in(app, user, PASSWORD)


def test_a_tampered_link_fails(site, factory):
    user = factory.user("ikm")
    ask(site.test_client(), user.email)
    reset = link_token(reset_mails()[0])
    payload, _, signature = reset.partition(".")
    other = factory.user("ikm")
    forged = email_links.password_reset_token(other).partition(".")[0] + "." + signature  # other account, old signature
    flipped = reset[:-2] + ("A" if reset[-2] != "A" else "B") + reset[-1]
    for bad in (forged, flipped, payload, "bukan-token"):
        assert set_password(site.test_client(), bad).status_code == 400
    assert can_log_in(site, user, PASSWORD) and can_log_in(site, other, PASSWORD)


def test_a_reset_link_is_not_a_verification_link_nor_the_reverse(site, factory):
    user = factory.user("ikm", verified=False)
    verification = email_links.verification_token(user)
    assert site.test_client().get(f"/password/reset/{verification}").status_code == 400
    reset = email_links.password_reset_token(user)
    assert site.test_client().post("/api/v1/auth/verify-email", json={"token": reset}).status_code == 400


def test_asking_is_rate_limited_per_address_typed(make_app, factory):
    app = make_app(RATELIMIT_PASSWORD_RESET="2 per hour")
    with app.app_context():
        user = factory.user("ikm")
        client = app.test_client()
        assert [ask(client, user.email).status_code for _ in range(2)] == [302, 302]
        assert ask(client, user.email).status_code == 429
        assert ask(client, "orang-lain@contoh.id").status_code == 302  # another address is its own count
        assert len(reset_mails(user.email)) == 2


def test_asking_is_rate_limited_per_client_address(make_app):
    app = make_app(RATELIMIT_PASSWORD_RESET_ADDRESS="3 per hour")
    with app.app_context():
        client = app.test_client()
        assert [ask(client, f"probe{n}@contoh.id").status_code for n in range(3)] == [302] * 3
        assert ask(client, "probe9@contoh.id").status_code == 429
        script = app.test_client()  # another program, from the same address
        api = script.post("/api/v1/auth/password-reset", json={"email": "probe10@contoh.id"})
        assert api.status_code == 429  # the page and the API count together


# -- the JSON API -----------------------------------------------------------------------------


def test_api_reset_answers_202_alike_and_confirms_with_the_token(site, factory):
    user = factory.user("creator", locale="en")
    email = user.email
    db.session.rollback()  # the request shares this session: start it without the test's read open
    client = site.test_client()
    known = client.post("/api/v1/auth/password-reset", json={"email": email})
    unknown = client.post("/api/v1/auth/password-reset", json={"email": "siapa@contoh.id"})
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()
    [message] = reset_mails()
    reset = link_token(message)

    too_short = client.post("/api/v1/auth/password-reset/confirm", json={"token": reset, "password": "pendek"})
    assert too_short.status_code == 422 and "password" in too_short.get_json()["errors"]
    done = client.post("/api/v1/auth/password-reset/confirm", json={"token": reset, "password": NEW_PASSWORD})
    assert done.status_code == 200
    assert can_log_in(site, user, NEW_PASSWORD)
    again = client.post("/api/v1/auth/password-reset/confirm", json={"token": reset, "password": "lagi-lagi-2028"})
    assert again.status_code == 400 and again.get_json()["error"] == "link_invalid"


def test_api_reset_refuses_a_malformed_address_and_an_expired_token(site, factory):
    client = site.test_client()
    assert client.post("/api/v1/auth/password-reset", json={"email": "bukan-email"}).status_code == 422
    user = factory.user("ikm")
    old = email_links.password_reset_token(user, now=utcnow() - timedelta(minutes=61))
    response = client.post("/api/v1/auth/password-reset/confirm", json={"token": old, "password": NEW_PASSWORD})
    assert response.status_code == 400 and response.get_json()["error"] == "link_expired"
