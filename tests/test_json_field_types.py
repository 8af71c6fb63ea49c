"""JSON values a form field cannot take are refused by name (422), never dropped or spread: an
object, null or list sent for a one-value field used to empty it, so a partial edit wiped a
published asset. Text fields refuse control characters; WTForms' own messages speak the user's
language, once per field; ``POST /api/v1/notices/read`` reads its body as every JSON call does."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from koin_media.accounts.models import User
from koin_media.accounts.services import create_token
from koin_media.booking.models import Booking
from koin_media.extensions import db
from koin_media.reference.models import Regency

from .asset_helpers import approved_asset
from .booking_helpers import make_slot, request_fields, school_user
from .conftest import PASSWORD, Auth, csrf_token

ID = {"Accept-Language": "id"}
EN = {"Accept-Language": "en"}


def bearer(user, **headers) -> dict:
    return {"Authorization": f"Bearer {create_token(user, 'tests')[1]}", **headers}


@pytest.fixture
def published(app, factory):
    regency = db.session.scalar(select(Regency).where(Regency.slug == "lombok-tengah"))
    return approved_asset(
        factory.user("creator"),
        "Sunrise Bukit Merese",
        description="Pagi di bukit",
        tags="pantai, fajar",
        regency=regency,
        credit="Foto: Baiq",
    )


def live(asset) -> tuple:
    db.session.expire_all()
    return asset.title, asset.description, asset.tags, asset.regency.slug, asset.credit, asset.has_pending_edit


def test_the_reported_body_is_refused_field_by_field_and_changes_nothing(client, published):
    before = live(published)
    response = client.post(
        f"/api/v1/assets/{published.id}",
        json={"description": {"x": 1}, "regency": [], "tags": [{"a": 1}, None, 3.5]},
        headers=bearer(published.owner, **EN),
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_failed"
    assert body["errors"] == {
        "description": ["Send one value here (text, a number or true/false), not a list or an object."],
        "regency": ["Send one value here (text, a number or true/false), not a list or an object."],
        "tags": ["Send text separated by commas, or a list of texts."],
    }
    assert live(published) == before


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"credit": 1e400}', "credit"),
        ('{"credit": NaN}', "credit"),
        ('{"title": "\\u0000abc"}', "title"),
        ('{"title": "a\\u001bb"}', "title"),
        ('{"title": "a\\tb"}', "title"),  # one line: no tab either
        ('{"description": "a\\u0000b"}', "description"),
        ('{"title": ["a"]}', "title"),
        ('{"description": null}', "description"),  # null is documented nowhere in a request
        ('{"tags": 3.5}', "tags"),
        ('{"tags": ["kopi", 3]}', "tags"),
        ('{"consent": {"a": 1}}', "consent"),
    ],
)
def test_values_no_field_can_take_are_422_naming_the_field(client, published, raw, field):
    before = live(published)
    response = client.post(
        f"/api/v1/assets/{published.id}",
        data=raw,
        content_type="application/json",
        headers=bearer(published.owner, **ID),
    )
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["errors"]) == [field]
    assert live(published) == before


def test_the_messages_are_in_the_callers_language(client, published):
    response = client.post(
        f"/api/v1/assets/{published.id}", json={"title": "\x00abc", "credit": None}, headers=bearer(published.owner)
    )
    assert response.get_json()["errors"] == {
        "title": ["Hapus karakter kontrol (seperti NUL) dari teks ini."],
        "credit": ["Kolom ini tidak boleh null: hilangkan kolomnya, atau kirim sebuah nilai."],
    }


def test_what_the_fields_take_still_goes_through(client, published):
    url, headers = f"/api/v1/assets/{published.id}", bearer(published.owner)
    response = client.post(
        url, json={"description": "Baris satu\r\n\tbaris dua", "tags": ["kopi", "Sembalun"]}, headers=headers
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["tags"] == ["kopi", "Sembalun"]
    assert client.post(url, json={"tags": "tenun, songket"}, headers=headers).get_json()["tags"] == ["tenun", "songket"]
    assert live(published)[1] == "Baris satu\r\n\tbaris dua"


def test_an_edit_version_that_is_no_value_is_422_not_a_missing_one(client, published, factory):
    client.post(f"/api/v1/assets/{published.id}", json={"title": "Fajar di Merese"}, headers=bearer(published.owner))
    for decision in ("approve", "reject"):
        response = client.post(
            f"/api/v1/assets/{published.id}/{decision}",
            json={"edit_version": {"a": 1}, "reason": "x"},
            headers=bearer(factory.user("staff")),
        )
        assert response.status_code == 422 and list(response.get_json()["errors"]) == ["edit_version"]
    db.session.expire_all()
    assert published.has_pending_edit and published.title == "Sunrise Bukit Merese"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"students": [30]}, "students"),
        ({"students": {"n": 30}}, "students"),
        ({"teachers": 1e400}, "teachers"),
        ({"contact_name": {"a": 1}}, "contact_name"),
        ({"contact_name": "Baiq\x00"}, "contact_name"),
        ({"special_needs": "kursi roda\x07"}, "special_needs"),
        ({"special_needs": None}, "special_needs"),
    ],
)
def test_booking_requests_refuse_values_no_field_can_take(client, app, changes, field):
    slot = make_slot()
    school = school_user()
    body = {"slot_id": slot.id, **request_fields(), **changes}
    response = client.post("/api/v1/bookings", json=body, headers=bearer(school))
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["errors"]) == [field]
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_a_special_needs_note_keeps_its_lines(client, app):
    slot = make_slot()
    body = {"slot_id": slot.id, **request_fields(), "special_needs": "Dua siswa:\n\tkursi roda"}
    assert client.post("/api/v1/bookings", json=body, headers=bearer(school_user())).status_code == 201


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"name": {"a": 1}}, "name"), ({"email": None}, "email"), ({"name": "Lalu\x00Ahmad"}, "name")],
)
def test_registration_refuses_values_no_field_can_take(client, changes, field):
    body = {"email": "baru@contoh.id", "password": PASSWORD, "role": "creator", "name": "Lalu Ahmad"}
    body["community"] = "Lombok Phonegraphy"
    response = client.post("/api/v1/auth/register", json={**body, **changes})
    assert response.status_code == 422 and list(response.get_json()["errors"]) == [field]
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_password_reset_refuses_a_list_for_the_address(client):
    response = client.post("/api/v1/auth/password-reset", json={"email": ["a@contoh.id", "b@contoh.id"]})
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["email"]


# -- WTForms' own messages in the user's language, once --------------------------------------


def test_a_title_too_long_on_the_edit_page_is_said_in_indonesian_once(app, published):
    client = app.test_client()
    Auth(client).login(published.owner)
    page = f"/assets/{published.id}/edit"
    data = {"title": "a" * 201, "license": "CC-BY-4.0", "consent": "y", "csrf_token": csrf_token(client, page)}
    html = client.post(page, data=data, headers=ID).get_data(as_text=True)
    assert html.count("Isian tidak boleh lebih dari 200 karakter.") == 1
    assert "Field cannot be longer" not in html


def test_a_number_that_is_no_number_is_said_in_indonesian_once(client, app):
    slot = make_slot()
    body = {"slot_id": slot.id, **request_fields(students="abc")}
    response = client.post("/api/v1/bookings", json=body, headers=bearer(school_user(), **ID))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"students": ["Isi bilangan bulat."]}
    english = client.post("/api/v1/bookings", json=body, headers=bearer(school_user(start=901), **EN))
    assert english.get_json()["errors"] == {"students": ["Not a valid integer value."]}


# -- POST /api/v1/notices/read ----------------------------------------------------------------


def test_marking_notices_read_reads_its_body_as_every_json_call(client, factory):
    headers = bearer(factory.user("creator"))
    url = "/api/v1/notices/read"
    assert client.post(url, data="alles", content_type="text/plain", headers=headers).status_code == 415
    assert client.post(url, json=[1], headers=headers).status_code == 400
    assert client.post(url, headers=headers).get_json() == {"unread": 0}
    assert client.post(url, json={}, headers=headers).status_code == 200
