import pytest
from sqlalchemy import select

from koin_media.accounts.models import ApiToken, School, User
from koin_media.extensions import db

from .conftest import PASSWORD, csrf_token

REGISTRATIONS = {
    "creator": {"community": "lombok-phonegraphy"},
    "ikm": {"business_name": "Kopi Sembalun", "sector": "coffee", "regency": "lombok-timur"},
    "school": {"school_name": "SMAN 1 Praya", "npsn": "50203456", "regency": "lombok-tengah"},
}


def register(client, role, **overrides):
    data = {
        "name": "Baiq Nurul",
        "email": f"{role}@contoh.id",
        "password": PASSWORD,
        "confirm": PASSWORD,
        **REGISTRATIONS[role],
        "csrf_token": csrf_token(client, f"/register/{role}"),
    }
    data.update(overrides)
    return client.post(f"/register/{role}", data=data)


@pytest.mark.parametrize("role", ["creator", "ikm", "school"])
def test_each_self_service_role_registers_logs_out_and_in(client, auth, role):
    response = register(client, role, email=f"  {role.upper()}@Contoh.ID ")
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == f"{role}@contoh.id"))
    assert user is not None and user.role == role
    assert user.password_hash.startswith("scrypt:")
    assert "Akun saya" in client.get("/").get_data(as_text=True)  # logged in after registering

    assert auth.logout().status_code == 302
    assert client.get("/account").status_code == 302

    response = auth.login(f"{role.upper()}@CONTOH.id")  # e-mail is case-insensitive
    assert response.status_code == 302
    assert client.get("/account").status_code == 200


def test_registration_keeps_the_role_profile(client):
    register(client, "ikm")
    user = db.session.scalar(select(User).where(User.email == "ikm@contoh.id"))
    assert (user.business_name, user.sector, user.regency.slug) == ("Kopi Sembalun", "coffee", "lombok-timur")


def test_second_coordinator_asks_to_join_the_same_school(client, auth):
    register(client, "school", email="guru1@contoh.id")
    auth.logout()
    register(client, "school", email="guru2@contoh.id", school_name="SMA Negeri 1 Praya")
    schools = db.session.scalars(select(School)).all()
    assert len(schools) == 1
    coordinators = db.session.scalars(select(User).where(User.school_id == schools[0].id)).all()
    # Nobody acts for the school yet: the office verifies it (approving the first), and the
    # second waits for approval (tests/test_school_coordinators.py).
    assert {(u.email, u.coordinator_status) for u in coordinators} == {
        ("guru1@contoh.id", "pending"),
        ("guru2@contoh.id", "pending"),
    }


def test_wrong_password_gets_a_clear_message(client, auth, factory):
    user = factory.user("ikm")
    response = auth.login(user, password="salah-sekali")
    assert response.status_code == 401
    assert "E-mail atau kata sandi salah." in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_unknown_email_gets_the_same_message(client, auth):
    response = auth.login("tidak-ada@contoh.id")
    assert response.status_code == 401
    assert "E-mail atau kata sandi salah." in response.get_data(as_text=True)


def test_duplicate_email_is_refused_with_a_message(client, factory):
    factory.user("creator", email="sudah@contoh.id")
    response = register(client, "creator", email="Sudah@Contoh.id")
    assert response.status_code == 422
    assert "Sudah ada akun dengan e-mail ini." in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 1


@pytest.mark.parametrize(
    "npsn",
    ["1234567", "123456789", "5020A123", "", "5020 123"],
)
def test_bad_npsn_is_refused_with_a_message(client, npsn):
    response = register(client, "school", npsn=npsn)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "NPSN" in body and ("tepat 8 angka" in body or "Isi NPSN sekolah." in body)
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "bukan-email", "Masukkan alamat e-mail yang benar"),
        ("password", "pendek", "Kata sandi harus 8 sampai 128 karakter."),
        ("confirm", "lain-lagi-123", "Kedua kata sandi berbeda."),
        ("community", "komunitas-fiktif", "Pilih salah satu pilihan dalam daftar."),
        ("name", "   ", "Isi nama Anda."),
    ],
)
def test_registration_field_rules(client, field, value, message):
    response = register(client, "creator", **{field: value})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_unknown_registration_role_is_404(client):
    assert client.get("/register/staff").status_code == 404


def test_next_parameter_only_goes_to_this_site(client, auth, factory):
    user = factory.user("ikm")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=https://evil.example/", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/assets"  # the IKM's own landing page, not the evil one


def test_change_password_signs_out_other_sessions(app, factory):
    user = factory.user("creator")
    phone, laptop = app.test_client(), app.test_client()
    from .conftest import Auth

    Auth(phone).login(user)
    Auth(laptop).login(user)
    response = laptop.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": "baru-dan-panjang",
            "confirm": "baru-dan-panjang",
            "csrf_token": csrf_token(laptop, "/account/password"),
        },
    )
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 200  # the device that changed it stays in
    assert phone.get("/account").status_code == 302  # the other one is logged out
    assert Auth(phone).login(user, password="baru-dan-panjang").status_code == 302


def test_change_password_needs_the_current_one(client, auth, factory):
    user = factory.user("creator")
    auth.login(user)
    response = client.post(
        "/account/password",
        data={
            "current": "bukan-ini-123",
            "password": "baru-dan-panjang",
            "confirm": "baru-dan-panjang",
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )
    assert response.status_code == 422
    assert "Kata sandi Anda saat ini salah." in response.get_data(as_text=True)


def test_edit_profile(client, auth, factory):
    user = factory.user("ikm")
    auth.login(user)
    response = client.post(
        "/account",
        data={
            "name": "Lalu Kopi",
            "phone": "0812-3456-7890",
            "business_name": "Kopi Lestari",
            "sector": "coffee",
            "regency": "Lombok Utara",
            "locale": "en",
            "csrf_token": csrf_token(client, "/account"),
        },
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.phone, user.business_name, user.regency.slug, user.locale) == (
        "Lalu Kopi",
        "+6281234567890",
        "Kopi Lestari",
        "lombok-utara",
        "en",
    )
    assert "My account" in client.get("/account").get_data(as_text=True)


def test_remember_me_sets_a_lasting_cookie(client, auth, factory):
    user = factory.user("creator")
    response = auth.login(user, remember=True)
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


def test_deactivated_user_cannot_log_in(client, auth, factory):
    user = factory.user("creator", active=False)
    assert auth.login(user).status_code == 401


def test_api_tokens_page_creates_and_revokes(client, auth, factory):
    user = factory.user("creator")
    auth.login(user)
    page = client.post(
        "/account/tokens", data={"label": "skrip unggah", "csrf_token": csrf_token(client, "/account/tokens")}
    )
    plain = page.get_data(as_text=True).split('class="token">')[1].split("<")[0]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client, "/account/tokens")})
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    db.session.expire_all()
    assert db.session.get(ApiToken, token_id).revoked_at is not None  # kept, marked, not deleted
