"""Hostile numbers and dates in URLs get a 4xx (or a usable page), never a 500: ids beyond a
database integer, pages too large or written in non-ASCII digits, days outside any calendar."""

import pytest

from koin_media.validators import lookup_text

from .booking_helpers import make_slot

HUGE = "1" + "0" * 30
SUPERSCRIPT_TWO = "%C2%B2"


@pytest.fixture
def staff_client(app, client, auth, factory):
    make_slot()
    auth.login(factory.user("staff"))
    return client


@pytest.mark.parametrize(
    "path",
    [
        f"/assets/{HUGE}",
        f"/api/v1/assets/{HUGE}",
        f"/bookings/{HUGE}",
        f"/moderation/{HUGE}",
        f"/venues/sirkuit-mandalika/programs/{HUGE}/edit",
        f"/assets?page={HUGE}",
        f"/admin/users?page={HUGE}",
        f"/schools?page={HUGE}",
        f"/api/v1/assets?page={HUGE}",
        f"/api/v1/regencies?page={SUPERSCRIPT_TWO}",
        f"/api/v1/slots?program={HUGE}",
        f"/api/v1/slots?group={HUGE}",
        f"/api/v1/slots?group={SUPERSCRIPT_TWO}",
        "/api/v1/slots?from=9999-12-31&to=9999-12-31",
        "/api/v1/slots?from=0001-01-01&to=0001-01-01",
        "/venues/sirkuit-mandalika/calendar?month=9999-12",
        "/venues/sirkuit-mandalika/calendar?month=0001-01",
        f"/venues/sirkuit-mandalika/calendar?group={SUPERSCRIPT_TWO}",
        "/manage/report?from=0001-01-01&to=0001-01-01",
        "/manage/report?from=9999-12-31&to=9999-12-31",
        f"/manage/bookings?venue={HUGE}",
    ],
)
def test_hostile_urls_never_500(staff_client, path):
    response = staff_client.get(path)
    assert response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize(
    "path",
    [
        "/calls/ab%00cd",
        "/api/v1/calls/ab%00cd",
        "/venues/ab%00cd",
        "/venues/ab%00cd/edit",
        "/kits/ab%00cd",
        "/api/v1/kits/ab%00cd",
        "/c/ab%00cd",
        "/calls/ab%1Bcd",
        "/venues/" + "a" * 81,
    ],
)
def test_a_nul_or_control_character_in_a_slug_or_token_is_a_404(staff_client, path):
    """On PostgreSQL a NUL in a query parameter is an error (a 500), not a miss: every slug and
    token lookup refuses it first (validators.lookup_text)."""
    assert staff_client.get(path).status_code == 404, path


def test_lookup_text_takes_only_plain_text_of_the_column_length():
    assert lookup_text("bau-nyale", 80) == "bau-nyale"
    for value in (None, 5, "", "a" * 81, "ab\x00cd", "ab\ncd", "ab\x7fcd"):
        assert lookup_text(value, 80) is None, value


def test_a_huge_slot_id_in_a_booking_request_is_a_clear_422(client, app):
    from koin_media.accounts.services import create_token

    from .booking_helpers import request_fields, school_user

    _token, plain = create_token(school_user(), "t")
    response = client.post(
        "/api/v1/bookings", json=request_fields(slot_id=10**30), headers={"Authorization": f"Bearer {plain}"}
    )
    assert response.status_code == 422 and "slot_id" in response.get_json()["errors"]


@pytest.mark.parametrize("path", ["/manage/bookings?week=9999-W52", "/manage/bookings?week=0001-W01"])
def test_weeks_outside_any_calendar_are_400(staff_client, path):
    assert staff_client.get(path).status_code == 400


@pytest.mark.parametrize("body", [5, "teks", [1, 2], None, {"name": {"a": 1}, "phone": [1, 2], "locale": True}])
def test_html_forms_posted_as_json_are_refused_not_crashed(client, auth, factory, body):
    from .conftest import csrf_token

    auth.login(factory.user("ikm"))
    token = csrf_token(client, "/account")
    for path in ("/account", "/account/password", "/checkin", "/upload"):
        response = client.post(path, json=body, headers={"X-CSRFToken": token})
        assert response.status_code < 500, (path, body, response.status_code)


def test_a_venue_cannot_be_placed_at_nan(client, auth, factory):
    from .booking_helpers import make_venue
    from .conftest import csrf_token

    venue = make_venue()
    auth.login(factory.user("staff"))
    page = f"/venues/{venue.slug}/edit"
    response = client.post(
        page,
        data={
            "name": venue.name,
            "regency": "lombok-tengah",
            "latitude": "nan",
            "csrf_token": csrf_token(client, page),
        },
    )
    assert response.status_code == 422
