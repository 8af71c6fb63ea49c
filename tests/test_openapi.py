"""The API's contract in one place (koin_media/api/contract.py): the OpenAPI 3.1 document is
valid, covers every route of /api/v1 and /uploads, README's tables are made from it, the rules it
states hold (empty bodies, list parameters, one error shape, timestamps, absolute links, expiries,
references by name, the lookup by code), and schemathesis finds no server error and no answer
that breaks it, for a bearer token of each role."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import OpenAPIV31SpecValidator
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from koin_media.accounts.services import create_token
from koin_media.api.contract import API, readme_table
from koin_media.booking import services
from koin_media.database import write_intent
from koin_media.extensions import db

from .booking_helpers import group_request, make_venue, request_fields, school_user
from .conftest import PASSWORD

README = Path(__file__).resolve().parent.parent / "README.md"
UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def bearer(user) -> dict:
    return {"Authorization": f"Bearer {create_token(user)[1]}"}


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


# -- the document -----------------------------------------------------------------------------


def test_document_is_valid_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    OpenAPIV31SpecValidator(spec).validate()


def test_document_describes_every_route_and_no_other(app, spec):
    def as_openapi(rule: str) -> str:
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)

    served = {
        (method, as_openapi(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith((API + "/", "/uploads/"))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(method.upper(), route) for route, methods in spec["paths"].items() for method in methods}
    assert documented == served


def test_readme_tables_are_made_from_the_document():
    text = README.read_text(encoding="utf-8")
    for prefix in (API, "/uploads"):
        assert readme_table(prefix) in text, f"README's {prefix} table differs: python -m koin_media.api.contract"


# -- the rules it states ----------------------------------------------------------------------


def test_an_empty_body_is_an_empty_object_everywhere(client, slot, school, manager):
    with write_intent():
        booking = services.book_slot(school, slot.id, group_request())
    headers = bearer(manager)
    # No Content-Type and no body: the check-in's fields are missing (422), not a 415.
    response = client.post(f"/api/v1/bookings/{booking.id}/check-in", headers=headers)
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {"students", "teachers"}
    empty_json = {**headers, "Content-Type": "application/json", "Content-Length": "0"}
    response = client.post(f"/api/v1/bookings/{booking.id}/confirm", headers=empty_json)
    assert response.status_code == 200 and response.get_json()["status"] == "confirmed"
    response = client.post(f"/api/v1/bookings/{booking.id}/cancel", data="reason=x", headers=headers)
    assert response.status_code == 415  # a body that is not JSON is still refused


@pytest.mark.parametrize("path", ["/venues", "/slots", "/communities", "/sectors", "/assets", "/users"])
@pytest.mark.parametrize(
    ("query", "name"),
    [("page=0", "page"), ("page=abc", "page"), ("per_page=0", "per_page"), ("per_page=101", "per_page")],
)
def test_list_parameters_follow_one_rule(client, factory, path, query, name):
    response = client.get(f"/api/v1{path}?{query}", headers=bearer(factory.user("staff")))
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["message"].startswith(name + " ")


@pytest.mark.parametrize(
    ("query", "name"), [("kind=videos", "kind"), ("license=CC0", "license"), ("sort=best", "sort")]
)
def test_a_catalogue_filter_outside_its_values_is_refused_by_the_api_only(client, query, name):
    """A script's typo is a 400 naming the parameter, not the whole unfiltered catalogue; the
    page keeps ignoring it, so a stale link still shows a list."""
    response = client.get(f"/api/v1/assets?{query}")
    assert response.status_code == 400
    assert response.get_json()["message"].startswith(f"{name} harus salah satu dari: ")
    assert client.get(f"/assets?{query}").status_code == 200


def test_a_list_kept_in_memory_is_paged_like_the_others(client):
    body = client.get("/api/v1/sectors?per_page=3&page=2").get_json()
    assert (body["page"], body["per_page"], body["total"], len(body["items"])) == (2, 3, 8, 3)


def test_slots_carry_the_venue_slug_and_take_slug_or_id(client, slot):
    venue = slot.program.venue
    by_slug = client.get(f"/api/v1/slots?venue={venue.slug}").get_json()["items"]
    by_id = client.get(f"/api/v1/slots?venue={venue.id}").get_json()["items"]
    assert by_slug == by_id and [item["id"] for item in by_id] == [slot.id]
    assert by_id[0]["venue_slug"] == venue.slug and by_id[0]["venue_id"] == venue.id
    assert client.get("/api/v1/slots?venue=999999").status_code == 400


@pytest.mark.parametrize("sector", ["coffee", "Kopi", "coffee ", "COFFEE", "Coffee"])
def test_sector_is_resolved_like_community_and_regency(client, sector):
    response = client.post(
        "/api/v1/auth/register",
        json={
            "email": "kopi@contoh.id",
            "password": PASSWORD,
            "role": "ikm",
            "name": "Inaq Sinah",
            "business_name": "Kopi Sembalun",
            "sector": sector,
            "regency": "Lombok Timur",
        },
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["sector"] == "coffee" and response.get_json()["regency"]["slug"] == "lombok-timur"


def test_rule_refusals_have_one_shape(client, slot):
    unverified = school_user(False, 1)
    response = client.post(
        "/api/v1/bookings", json={"slot_id": slot.id, **request_fields()}, headers=bearer(unverified)
    )
    assert response.status_code == 422
    assert set(response.get_json()) == {"error", "message"} and response.get_json()["error"] == "school_unverified"
    response = client.post(
        "/api/v1/bookings", json={"slot_id": slot.id, **request_fields(students=9)}, headers=bearer(school_user())
    )
    body = response.get_json()
    assert response.status_code == 422 and set(body) == {"error", "message", "errors"}
    assert body["error"] == "group_too_small" and list(body["errors"]) == ["students"]


def test_timestamps_end_in_z_and_links_are_absolute(client, app, slot, school, manager):
    headers = bearer(school)
    created = client.post("/api/v1/bookings", json={"slot_id": slot.id, **request_fields()}, headers=headers)
    assert created.headers["Location"].startswith("http://localhost/api/v1/bookings/")
    booking_id = created.get_json()["id"]
    client.post(f"/api/v1/bookings/{booking_id}/confirm", headers=bearer(manager))
    body = client.get(f"/api/v1/bookings/{booking_id}", headers=headers).get_json()
    for moment in (body["created_at"], body["decided_at"], body["slot"]["starts_at"]):
        assert UTC_Z.match(moment), moment
    assert set(body["links"]) == {"page", "ics", "qr"}
    assert all(link.startswith("http://localhost/") for link in body["links"].values())
    assert UTC_Z.match(client.get("/api/v1/me", headers=headers).get_json()["created_at"])


def test_booking_by_code_sees_what_by_id_sees(client, slot, school, manager, factory):
    with write_intent():
        booking = services.book_slot(school, slot.id, group_request())
    typed = " ".join(booking.code.lower())  # as read aloud or scanned: any case, spaces
    for user in (school, manager, factory.user("staff")):
        response = client.get(f"/api/v1/bookings/by-code/{typed}", headers=bearer(user))
        assert (
            response.status_code == 200
            and response.get_json() == client.get(f"/api/v1/bookings/{booking.id}", headers=bearer(user)).get_json()
        )
    stranger = factory.user("venue_manager")
    other_venue = make_venue(slug="meninting-bike-park", name="Meninting Bike Park")
    other_venue.managers.append(stranger)
    db.session.commit()
    for user in (school_user(start=70), stranger):
        assert client.get(f"/api/v1/bookings/by-code/{booking.code}", headers=bearer(user)).status_code == 404
    assert client.get("/api/v1/bookings/by-code/NOPE", headers=bearer(school)).status_code == 404
    assert client.get(f"/api/v1/bookings/by-code/{booking.code}").status_code == 401


# -- the fuzzer -------------------------------------------------------------------------------

EXAMPLES = 6  # per operation and role: enough to meet every branch of the parameters, bounded
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


def _run(operation, headers: dict) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,  # the same cases every run, on every machine
        database=None,  # no .hypothesis directory in the working tree
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_answer_off_the_document(app, slot, manager, factory):
    school = school_user()
    with write_intent():
        services.book_slot(school, slot.id, group_request())
    roles = {
        "anonymous": {},
        "school": bearer(school),
        "venue_manager": bearer(manager),
        "staff": bearer(factory.user("staff")),
        "creator": bearer(factory.user("creator")),
        "ikm": bearer(factory.user("ikm")),
    }
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # Revoking the token the run uses comes last, so the other calls keep their caller.
    operations.sort(key=lambda op: (op.method.upper(), op.path) == ("DELETE", "/api/v1/auth/token"))
    for role, headers in roles.items():
        for operation in operations:
            try:
                _run(operation, headers)
            except Exception as error:
                raise AssertionError(f"{role}: {operation.method.upper()} {operation.path}") from error
