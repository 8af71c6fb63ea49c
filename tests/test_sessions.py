"""Server-side sessions: log-out, "sign out everywhere" and a new password end access on the
server, so a copied session or remember cookie (or an API token, for a new password) stops
working; the account page lists the devices."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from koin_media.accounts.models import UserSession
from koin_media.database import utcnow
from koin_media.extensions import db

from .conftest import PASSWORD, Auth, csrf_token

SESSION = "session"
REMEMBER = "remember_token"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)


def copy_cookie(source, target, name: str) -> None:
    """What someone who copied one cookie out of a browser would have."""
    cookie = source.get_cookie(name)
    assert cookie is not None, f"no {name} cookie to copy"
    target.set_cookie(name, cookie.value)


def signed_in(client) -> bool:
    return client.get("/api/v1/me").status_code == 200


def bearer(client, user) -> dict:
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def rows(user) -> list[UserSession]:
    db.session.rollback()
    return db.session.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)).all()


def test_log_in_starts_one_server_side_session_named_by_both_cookies(app, factory):
    user = factory.user("ikm")
    browser = app.test_client()
    assert Auth(browser).login(user, remember=True).status_code == 302
    [row] = rows(user)
    assert row.revoked_at is None and row.key_hash
    # Neither cookie carries the account id and password generation any more: only the key.
    with_session_only, with_remember_only = app.test_client(), app.test_client()
    copy_cookie(browser, with_session_only, SESSION)
    copy_cookie(browser, with_remember_only, REMEMBER)
    assert signed_in(with_session_only) and signed_in(with_remember_only)
    assert len(rows(user)) == 1  # the remember cookie reuses the row, it does not make one


def test_a_copied_session_cookie_and_remember_cookie_fail_after_log_out(app, factory):
    user = factory.user("creator")
    browser = app.test_client()
    Auth(browser).login(user, remember=True)
    thief_session, thief_remember = app.test_client(), app.test_client()
    copy_cookie(browser, thief_session, SESSION)
    copy_cookie(browser, thief_remember, REMEMBER)
    assert signed_in(thief_session) and signed_in(thief_remember)

    assert Auth(browser).logout().status_code == 302

    assert not signed_in(browser)
    assert thief_session.get("/api/v1/me").status_code == 401
    assert thief_remember.get("/api/v1/me").status_code == 401
    assert thief_remember.get("/account").status_code == 302  # to the log-in page
    [row] = rows(user)
    assert row.revoked_at is not None


def test_log_out_needs_the_csrf_token_and_ends_nothing_without_it(app, factory):
    user = factory.user("ikm")
    browser = app.test_client()
    Auth(browser).login(user)
    assert browser.post("/logout").status_code == 400
    assert signed_in(browser) and rows(user)[0].revoked_at is None


def test_a_new_password_ends_every_session_remember_cookie_and_token(app, factory):
    user = factory.user("creator")
    browser, other_device = app.test_client(), app.test_client()
    Auth(browser).login(user, remember=True)
    Auth(other_device).login(user)
    thief_session, thief_remember = app.test_client(), app.test_client()
    copy_cookie(browser, thief_session, SESSION)
    copy_cookie(browser, thief_remember, REMEMBER)
    token = bearer(app.test_client(), user)
    assert app.test_client().get("/api/v1/me", headers=token).status_code == 200

    response = browser.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": "gili-trawangan-2027",
            "confirm": "gili-trawangan-2027",
            "csrf_token": csrf_token(browser, "/account/password"),
        },
    )
    assert response.status_code == 302

    assert signed_in(browser)  # the browser that changed it starts a fresh session
    for client in (other_device, thief_session, thief_remember):
        assert client.get("/api/v1/me").status_code == 401
    assert app.test_client().get("/api/v1/me", headers=token).status_code == 401
    live = [row for row in rows(user) if row.revoked_at is None]
    assert len(live) == 1


def test_the_cli_password_change_ends_sessions_and_tokens_too(app, factory, runner):
    user = factory.user("ikm")
    browser = app.test_client()
    Auth(browser).login(user)
    token = bearer(app.test_client(), user)
    result = runner.invoke(args=["set-password", user.email, "--password-stdin"], input="pantai-kuta-2027\n")
    assert result.exit_code == 0, result.output
    assert not signed_in(browser)
    assert app.test_client().get("/api/v1/me", headers=token).status_code == 401


def test_sign_out_everywhere_ends_every_session_including_this_one(app, factory):
    user = factory.user("school")
    first, second = app.test_client(), app.test_client()
    Auth(first).login(user, remember=True)
    Auth(second).login(user, remember=True)
    copy_of_first = app.test_client()
    copy_cookie(first, copy_of_first, REMEMBER)

    response = first.post("/account/sessions/revoke-all", data={"csrf_token": csrf_token(first, "/account/sessions")})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")

    for client in (first, second, copy_of_first):
        assert not signed_in(client)
    assert all(row.revoked_at is not None for row in rows(user))


def test_the_account_page_lists_devices_and_signs_out_one(app, factory):
    user = factory.user("ikm")
    laptop, phone = app.test_client(), app.test_client()
    Auth(laptop).login(user)
    phone.environ_base["HTTP_USER_AGENT"] = PHONE
    Auth(phone).login(user)

    page = laptop.get("/account/sessions")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Chrome / Android" in html and "perangkat ini" in html
    phone_row = next(row for row in rows(user) if row.user_agent == "Chrome / Android")

    response = laptop.post(
        f"/account/sessions/{phone_row.id}/revoke", data={"csrf_token": csrf_token(laptop, "/account/sessions")}
    )
    assert response.status_code == 302
    assert not signed_in(phone) and signed_in(laptop)
    assert "Chrome / Android" not in laptop.get("/account/sessions").get_data(as_text=True)


def test_nobody_ends_someone_elses_session(app, factory):
    owner, other = factory.user("ikm"), factory.user("ikm")
    owner_browser, other_browser = app.test_client(), app.test_client()
    Auth(owner_browser).login(owner)
    Auth(other_browser).login(other)
    [owner_row] = rows(owner)
    response = other_browser.post(
        f"/account/sessions/{owner_row.id}/revoke", data={"csrf_token": csrf_token(other_browser, "/account/sessions")}
    )
    assert response.status_code == 404
    assert signed_in(owner_browser)


def test_last_seen_is_written_every_few_minutes_not_per_request(app, factory):
    user = factory.user("ikm")
    browser = app.test_client()
    Auth(browser).login(user)
    [row] = rows(user)
    first_seen = row.last_seen_at
    browser.get("/api/v1/me")
    assert rows(user)[0].last_seen_at == first_seen

    earlier = utcnow() - timedelta(minutes=6)
    db.session.execute(db.update(UserSession).where(UserSession.id == row.id).values(last_seen_at=earlier))
    db.session.commit()
    browser.get("/api/v1/me")
    assert rows(user)[0].last_seen_at > earlier + timedelta(minutes=5)


def test_a_session_idle_longer_than_the_remember_cookie_lives_is_over(app, factory):
    user = factory.user("ikm")
    browser = app.test_client()
    Auth(browser).login(user, remember=True)
    [row] = rows(user)
    idle = utcnow() - timedelta(days=31)
    db.session.execute(db.update(UserSession).where(UserSession.id == row.id).values(last_seen_at=idle))
    db.session.commit()
    assert not signed_in(browser)


def test_a_deactivated_account_loses_its_sessions(app, factory):
    user = factory.user("ikm")
    browser = app.test_client()
    Auth(browser).login(user)
    user.active = False
    db.session.commit()
    assert not signed_in(browser)


def test_loading_the_user_of_a_request_is_one_query(app, factory):
    user = factory.user("creator")
    browser = app.test_client()
    Auth(browser).login(user)
    browser.get("/api/v1/me")  # settle anything a first request does
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert browser.get("/api/v1/me").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    about_the_user = [s for s in statements if "user_sessions" in s or "FROM users" in s]
    assert len(about_the_user) == 1, statements
    assert "user_sessions.key_hash" in about_the_user[0]
