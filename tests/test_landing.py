"""After logging in, registering or confirming the e-mail address, each role lands where its
work is (roles.home_endpoint), unless the log-in was asked to return to a page of this site."""

from __future__ import annotations

import pytest

from koin_media.accounts import email_links
from koin_media.roles import HOME_ENDPOINTS, ROLES, home_endpoint

from .conftest import PASSWORD, csrf_token
from .test_accounts import register

LANDING = {
    "creator": "/my/assets",
    "ikm": "/assets",
    "school": "/my/bookings",
    "venue_manager": "/manage/inbox",
    "staff": "/staff",
    "admin": "/staff",
}


def log_in(client, user, next_path: str | None = None):
    query = "" if next_path is None else f"?next={next_path}"
    data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client, "/login")}
    return client.post(f"/login{query}", data=data)


def expected_landing(app, role: str) -> str:
    # The managers' inbox is built beside this work; until it exists they land on their list.
    if role == "venue_manager" and "booking.inbox" not in app.view_functions:
        return "/manage/bookings"
    return LANDING[role]


def test_every_role_has_a_landing_page():
    assert set(HOME_ENDPOINTS) == set(ROLES) == set(LANDING)


@pytest.mark.parametrize("role", list(LANDING))
def test_log_in_lands_where_the_roles_work_is(app, client, factory, role):
    user = factory.user(role)
    response = log_in(client, user)
    assert response.status_code == 302
    assert response.headers["Location"] == expected_landing(app, role)
    assert client.get(response.headers["Location"]).status_code == 200  # and the role may open it
    # Signed in already, the log-in page sends there too.
    assert client.get("/login").headers["Location"] == expected_landing(app, role)


def test_a_manager_lands_on_the_booking_list_while_there_is_no_inbox(app, factory):
    manager = factory.user("venue_manager")
    app.view_functions.pop("booking.inbox", None)  # this app only (an app per test)
    with app.test_request_context("/"):
        assert home_endpoint(manager) == "booking.manage_list"


def test_someone_without_a_known_role_lands_on_the_home_page(app):
    with app.test_request_context("/"):
        assert home_endpoint(None) == "main.index"


@pytest.mark.parametrize("role", ["creator", "staff"])
def test_a_page_of_this_site_given_as_next_wins(client, factory, role):
    response = log_in(client, factory.user(role), next_path="/venues?month=2026-12")
    assert response.headers["Location"] == "/venues?month=2026-12"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_a_next_elsewhere_is_ignored_for_the_roles_page(client, factory, target):
    response = log_in(client, factory.user("school"), next_path=target)
    assert response.headers["Location"] == "/my/bookings"


@pytest.mark.parametrize(
    ("role", "landing"), [("creator", "/my/assets"), ("ikm", "/assets"), ("school", "/my/bookings")]
)
def test_registration_lands_where_the_new_roles_work_is(client, role, landing):
    response = register(client, role)
    assert response.status_code == 302
    assert response.headers["Location"] == landing


def test_confirming_the_address_signed_in_lands_on_the_roles_page_signed_out_on_log_in(app, client, factory):
    user = factory.user("ikm", verified=False)
    token = email_links.verification_token(user)
    log_in(client, user)
    response = client.post(f"/verify-email/{token}", data={"csrf_token": csrf_token(client, "/")})
    assert response.headers["Location"] == "/assets"

    other = factory.user("creator", verified=False)
    stranger = app.test_client()
    token = email_links.verification_token(other)
    response = stranger.post(f"/verify-email/{token}", data={"csrf_token": csrf_token(stranger, "/")})
    assert response.headers["Location"] == "/login"
