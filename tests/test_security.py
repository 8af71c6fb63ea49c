"""Forgery, access control, rate limits and headers."""

import pytest

from koin_media.extensions import db

from .conftest import PASSWORD, Auth, csrf_token


def test_form_post_without_csrf_token_is_400(client, factory):
    user = factory.user("creator")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Muat ulang halaman" in response.get_data(as_text=True)


def test_session_json_call_without_csrf_header_is_400(client, auth, factory):
    auth.login(factory.user("creator"))
    response = client.delete("/api/v1/auth/token")
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf_failed"


def test_session_json_call_with_csrf_header_passes_the_check(client, auth, factory):
    auth.login(factory.user("creator"))
    token = csrf_token(client)
    response = client.delete("/api/v1/auth/token", headers={"X-CSRFToken": token})
    # Past CSRF: the endpoint itself says a session has no bearer token to revoke.
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


def test_bearer_token_calls_need_no_csrf(client, factory):
    user = factory.user("creator")
    token = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).get_json()["email"] == user.email
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_bearer_request_ignores_the_session(client, auth, factory):
    auth.login(factory.user("staff"))
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer koin_not-a-real-token"})
    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/account", "/account/password", "/account/tokens", "/admin/users"])
def test_anonymous_member_page_redirects_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/login?next={path}")


def test_anonymous_json_call_is_401(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


@pytest.mark.parametrize("role", ["creator", "ikm", "school", "venue_manager"])
def test_wrong_role_is_403(client, auth, factory, role):
    auth.login(factory.user(role))
    assert client.get("/admin/users").status_code == 403
    assert client.get("/api/v1/users").status_code == 403


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_office_roles_see_the_user_list(client, auth, factory, role):
    factory.user("ikm", business_name="Tenun Pringgasela")
    auth.login(factory.user(role))
    assert "Tenun Pringgasela" in client.get("/admin/users?q=pringgasela").get_data(as_text=True)
    body = client.get("/api/v1/users?role=ikm").get_json()
    assert body["total"] == 1 and body["items"][0]["business_name"] == "Tenun Pringgasela"


def test_only_admins_deactivate_users(client, auth, factory):
    target = factory.user("ikm")
    auth.login(factory.user("staff"))
    token = csrf_token(client, "/admin/users")
    assert client.post(f"/admin/users/{target.id}/active", data={"active": "0", "csrf_token": token}).status_code == 403
    auth.logout()
    auth.login(factory.user("admin"))
    token = csrf_token(client, "/admin/users")
    assert client.post(f"/admin/users/{target.id}/active", data={"active": "0", "csrf_token": token}).status_code == 302
    db.session.refresh(target)
    assert target.active is False


def test_someone_elses_object_is_404(client, auth, factory):
    owner, other = factory.user("creator"), factory.user("creator")
    from koin_media.accounts import services

    token, _plain = services.create_token(owner, "milik orang lain")
    auth.login(other)
    response = client.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(type(token), token.id).revoked_at is None  # the owner's token still works


def test_eleventh_failed_login_in_a_minute_is_429(client, auth, factory):
    user = factory.user("ikm")
    for _ in range(10):
        assert auth.login(user, password="salah-salah").status_code == 401
    response = auth.login(user, password="salah-salah")
    assert response.status_code == 429
    assert "Terlalu banyak percobaan" in response.get_data(as_text=True)
    assert "Retry-After" in response.headers
    # Even the right password waits: the limit is on the account.
    assert auth.login(user).status_code == 429


def test_one_persons_typos_do_not_lock_out_colleagues_behind_the_same_address(app, factory):
    careless, colleague = factory.user("school"), factory.user("school")
    office = app.test_client()
    for _ in range(11):
        Auth(office).login(careless, password="salah-salah")
    assert Auth(office).login(careless, password="salah-salah").status_code == 429
    assert Auth(office).login(colleague).status_code == 302


def test_successful_logins_do_not_count_towards_the_limit(app, factory):
    user = factory.user("creator")
    for _ in range(12):
        client = app.test_client()
        assert Auth(client).login(user).status_code == 302


def test_per_address_limit_is_looser_but_real(make_app):
    app = make_app(RATELIMIT_LOGIN_ADDRESS="3 per minute")
    client = app.test_client()
    for n in range(3):
        assert Auth(client).login(f"orang{n}@contoh.id", password="salah-salah").status_code == 401
    assert Auth(client).login("orang-lain@contoh.id", password="salah-salah").status_code == 429


def test_api_token_endpoint_shares_the_login_limit(client, factory):
    user = factory.user("creator")
    for _ in range(10):
        assert client.post("/api/v1/auth/token", json={"email": user.email, "password": "x" * 9}).status_code == 401
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert response.get_json()["error"] == "rate_limited"


def test_limits_can_be_switched_off_for_load_tests(make_app, factory):
    app = make_app(RATELIMIT_ENABLED=False)
    with app.app_context():
        user = factory.user("ikm")
        client = app.test_client()
        for _ in range(12):
            assert Auth(client).login(user, password="salah-salah").status_code == 401


def test_registration_is_rate_limited_per_address(make_app):
    app = make_app(RATELIMIT_REGISTER_ADDRESS="2 per hour")
    client = app.test_client()
    for n in range(2):
        client.post("/api/v1/auth/register", json={"email": f"x{n}@contoh.id"})
    assert client.post("/api/v1/auth/register", json={"email": "y@contoh.id"}).status_code == 429


def test_security_headers_and_cookie_flags(make_app, factory):
    app = make_app(SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie


def test_pages_satisfy_their_content_security_policy(client, auth, factory):
    """No inline scripts, styles or style attributes: the CSP forbids them."""
    auth.login(factory.user("admin"))
    for path in [
        "/",
        "/login",
        "/register",
        "/register/school",
        "/account",
        "/account/tokens",
        "/admin/users",
        "/nope",
    ]:
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and "<style" not in html and " style=" not in html, path
        assert " onclick=" not in html and "javascript:" not in html, path
