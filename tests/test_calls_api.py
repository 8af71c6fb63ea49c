"""``/api/v1/calls``: anyone lists and reads calls (drafts: staff only) with their published
contributions; only staff create and edit them, by the pages' rules, with errors in the caller's
language."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from koin_media.accounts.services import create_token
from koin_media.assets import models as models_module
from koin_media.assets.calls import save_call
from koin_media.assets.models import CALL_CLOSED, CALL_DRAFT, CALL_OPEN, Call
from koin_media.extensions import db

from .asset_helpers import approved_asset

NOW = datetime(2027, 2, 14, 4, 0, tzinfo=UTC)  # noon WITA on the 14th


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(models_module, "utcnow", lambda: NOW)


def bearer(user) -> dict:
    return {"Authorization": f"Bearer {create_token(user)[1]}"}


@pytest.fixture
def staff(app, factory):
    return factory.user("staff")


def make_call(staff, title: str, status: str, deadline=date(2027, 2, 20)) -> Call:
    call = save_call(None, {"title": title, "deadline": deadline, "license": "NTB-PROMO", "tags": "ntb"}, staff)
    call.status = status
    db.session.commit()
    return call


def test_anyone_lists_calls_and_staff_also_see_drafts(client, staff):
    make_call(staff, "Bau Nyale 2027", CALL_OPEN)
    make_call(staff, "Rahasia", CALL_DRAFT)
    make_call(staff, "Lebaran Topat", CALL_CLOSED)
    body = client.get("/api/v1/calls").get_json()
    assert [c["title"] for c in body["items"]] == ["Bau Nyale 2027", "Lebaran Topat"] and body["total"] == 2
    first = body["items"][0]
    assert (first["slug"], first["status"], first["takes_uploads"], first["deadline"]) == (
        "bau-nyale-2027",
        "open",
        True,
        "2027-02-20",
    )
    assert first["closes_at"] == "2027-02-20T16:00:00Z" and first["tags"] == ["ntb"]
    assert first["links"]["upload"] == "http://localhost/upload?call=bau-nyale-2027"
    staff_view = client.get("/api/v1/calls", headers=bearer(staff)).get_json()
    assert [c["title"] for c in staff_view["items"]] == ["Bau Nyale 2027", "Rahasia", "Lebaran Topat"]
    assert client.get("/api/v1/calls/rahasia").status_code == 404
    assert client.get("/api/v1/calls/rahasia", headers=bearer(staff)).status_code == 200


def test_a_call_comes_with_its_published_contributions(client, factory, staff):
    call = make_call(staff, "Bau Nyale 2027", CALL_OPEN)
    creator = factory.user("creator")
    shown = approved_asset(creator, "Nyale di Seger", call_id=call.id)
    waiting = approved_asset(creator, "Menunggu", call_id=call.id)
    waiting.status = "pending_review"
    db.session.commit()
    body = client.get(f"/api/v1/calls/{call.slug}?per_page=5").get_json()
    contributions = body["contributions"]
    assert (contributions["total"], contributions["per_page"]) == (1, 5)
    assert [a["id"] for a in contributions["items"]] == [shown.id]
    assert contributions["items"][0]["url"] == f"http://localhost/assets/{shown.id}"
    assert client.get(f"/api/v1/calls/{call.slug}?per_page=500").status_code == 400


def test_staff_create_and_edit_calls(client, staff):
    headers = bearer(staff)
    answer = client.post(
        "/api/v1/calls",
        json={
            "title": "Produk tenun Sukarara",
            "deadline": "2027-03-01",
            "license": "CC-BY-4.0",
            "tags": ["tenun", "Sukarara"],
            "regency": "Lombok Tengah",
            "required_fields": ["description"],
        },
        headers=headers,
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert answer.headers["Location"] == "http://localhost/api/v1/calls/produk-tenun-sukarara"
    assert (body["status"], body["regency"], body["tags"], body["required_fields"]) == (
        "draft",
        "lombok-tengah",
        ["tenun", "Sukarara"],
        ["description"],
    )
    # An edit sends only what changes; opening is a status like any field.
    answer = client.post("/api/v1/calls/produk-tenun-sukarara", json={"status": "open"}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert (answer.get_json()["status"], answer.get_json()["title"]) == ("open", "Produk tenun Sukarara")
    answer = client.post("/api/v1/calls/produk-tenun-sukarara", json={"brief": "Motif subahnale."}, headers=headers)
    assert answer.get_json()["brief"] == "Motif subahnale." and answer.get_json()["tags"] == ["tenun", "Sukarara"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "ab", "deadline": "2027-03-01", "license": "NTB-PROMO"}, "title"),
        ({"title": "Bau Nyale", "deadline": "2027-03-01", "license": "MIT"}, "license"),
        ({"title": "Bau Nyale", "deadline": "kemarin", "license": "NTB-PROMO"}, "deadline"),
        ({"title": "Bau Nyale", "license": "NTB-PROMO"}, "deadline"),
        ({"title": "Bau Nyale", "deadline": "2027-01-01", "license": "NTB-PROMO", "status": "open"}, "deadline"),
        ({"title": "Bau Nyale", "deadline": "2027-03-01", "license": "NTB-PROMO", "status": "published"}, "status"),
        ({"title": ["Bau", "Nyale"], "deadline": "2027-03-01", "license": "NTB-PROMO"}, "title"),
        ({"title": None, "deadline": "2027-03-01", "license": "NTB-PROMO"}, "title"),
        ({"title": "\u202eBau Nyale", "deadline": "2027-03-01", "license": "NTB-PROMO"}, "title"),
        ({"title": "Bau\u2066Nyale", "deadline": "2027-03-01", "license": "NTB-PROMO"}, "title"),
        ({"title": 12345, "deadline": "2027-03-01", "license": "NTB-PROMO"}, "title"),
        (
            {"title": "Bau Nyale", "deadline": "2027-03-01", "license": "NTB-PROMO", "required_fields": ["x"]},
            "required_fields",
        ),
        ({"title": "Bau Nyale", "deadline": "2027-03-01", "license": "NTB-PROMO", "venue": {"id": 1}}, "venue"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_in_indonesian(client, staff, body, field):
    answer = client.post("/api/v1/calls", json=body, headers=bearer(staff))
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["error"] == "validation_failed"
    assert field in answer.get_json()["errors"]
    assert answer.get_json()["message"] == "Beberapa isian tidak valid."
    assert db.session.query(Call).count() == 0


def test_only_staff_write_calls(client, factory, staff):
    call = make_call(staff, "Bau Nyale 2027", CALL_OPEN)
    body = {"title": "Diganti", "deadline": "2027-03-01", "license": "NTB-PROMO"}
    assert client.post("/api/v1/calls", json=body).status_code == 401
    for role in ("creator", "ikm", "school", "venue_manager"):
        headers = bearer(factory.user(role))
        assert client.post("/api/v1/calls", json=body, headers=headers).status_code == 403
        assert client.post(f"/api/v1/calls/{call.slug}", json={"title": "Diganti"}, headers=headers).status_code == 403
    db.session.refresh(call)
    assert (db.session.query(Call).count(), call.title) == (1, "Bau Nyale 2027")
    assert client.post("/api/v1/calls/tidak-ada", json={}, headers=bearer(staff)).status_code == 404
