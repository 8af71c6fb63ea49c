import pytest
from sqlalchemy import select

from koin_media.accounts.models import ApiToken, User
from koin_media.extensions import db

from .conftest import PASSWORD

VALID = {
    "creator": {"community": "Lombok Phonegraphy"},
    "ikm": {"business_name": "Dodol Rumput Laut", "sector": "food", "regency": "Lombok Barat"},
    "school": {"school_name": "SDN 3 Cakranegara", "npsn": "50204567", "regency": "kota-mataram"},
}


def payload(kind, **overrides):
    data = {"email": f"{kind}@contoh.id", "password": PASSWORD, "role": kind, "name": "Lalu Ahmad", **VALID[kind]}
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", ["creator", "ikm", "school"])
def test_register_then_get_a_token(client, role):
    response = client.post("/api/v1/auth/register", json=payload(role))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["role"] == role and body["email"] == f"{role}@contoh.id"

    response = client.post("/api/v1/auth/token", json={"email": f"{role.upper()}@contoh.id", "password": PASSWORD})
    assert response.status_code == 201
    token = response.get_json()["token"]
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash != token and token not in stored.token_hash  # only the hash is kept
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["role"] == role


def test_register_accepts_community_by_slug_or_name(client):
    assert (
        client.post("/api/v1/auth/register", json=payload("creator", community="bengkel-aktor-lombok")).status_code
        == 201
    )
    user = db.session.scalar(select(User))
    assert user.community.name == "Bengkel Aktor Lombok"


def test_register_reports_every_bad_field(client):
    response = client.post(
        "/api/v1/auth/register",
        json=payload("school", email="bukan", password="123", npsn="12345", regency="Bali", name=""),
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_failed"
    assert set(body["errors"]) == {"email", "password", "npsn", "regency", "name"}
    assert body["errors"]["npsn"] == ["NPSN terdiri dari tepat 8 angka, misalnya 50201234."]


def test_register_errors_in_english_when_asked(client):
    response = client.post(
        "/api/v1/auth/register", json=payload("school", npsn="1"), headers={"Accept-Language": "en-US,en;q=0.9"}
    )
    assert response.get_json()["errors"]["npsn"] == ["An NPSN is exactly 8 digits, for example 50201234."]


def test_register_duplicate_email_is_422(client, factory):
    factory.user("ikm", email="ikm@contoh.id")
    response = client.post("/api/v1/auth/register", json=payload("ikm"))
    assert response.status_code == 422
    assert "email" in response.get_json()["errors"]


@pytest.mark.parametrize("role", ["staff", "admin", "venue_manager", "", None, "pirate"])
def test_register_refuses_roles_that_are_not_self_service(client, role):
    response = client.post("/api/v1/auth/register", json=payload("ikm", role=role))
    assert response.status_code == 422
    assert "role" in response.get_json()["errors"]
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 0


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [("not json", "application/json", 400), ("[1, 2]", "application/json", 400), ("email=a", "text/plain", 415)],
)
def test_malformed_bodies_get_clear_4xx(client, body, content_type, status):
    response = client.post("/api/v1/auth/register", data=body, content_type=content_type)
    assert response.status_code == status
    assert response.get_json()["message"]


def test_wrong_password_for_token_is_401(client, factory):
    user = factory.user("ikm")
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": "salah-salah"})
    assert response.status_code == 401
    assert response.get_json() == {"error": "invalid_credentials", "message": "E-mail atau kata sandi salah."}


def test_lists_share_one_envelope(client):
    body = client.get("/api/v1/regencies?per_page=3&page=2").get_json()
    assert body["page"] == 2 and body["per_page"] == 3 and body["total"] == 10
    assert len(body["items"]) == 3
    assert set(body["items"][0]) == {"slug", "name"}
    communities = client.get("/api/v1/communities?per_page=100").get_json()
    assert communities["total"] == 14 and len(communities["items"]) == 14
    assert client.get("/api/v1/sectors").get_json()["total"] >= 5


@pytest.mark.parametrize("query", ["page=0", "page=abc", "per_page=-1"])
def test_bad_paging_is_400(client, query):
    response = client.get(f"/api/v1/regencies?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/tidak-ada")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_revoked_token_no_longer_works(client, runner, factory):
    user = factory.user("creator")
    plain = runner.invoke(args=["create-token", user.email]).output.strip()
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert "Revoked 1 token" in runner.invoke(args=["revoke-tokens", user.email]).output
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_of_a_deactivated_user_is_refused(client, factory):
    user = factory.user("creator")
    token = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}).get_json()["token"]
    user.active = False
    db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
