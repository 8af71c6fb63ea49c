from sqlalchemy import func, select

from koin_media.accounts.models import ApiToken, User
from koin_media.extensions import db
from koin_media.reference.models import Community, Regency


def test_create_user_reads_the_password_from_stdin(runner, client):
    result = runner.invoke(
        args=["create-user", "Staf@Disperin.NTBprov.go.id", "--role", "staff", "--password-stdin"],
        input="kata-sandi-staf\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert (user.email, user.role) == ("staf@disperin.ntbprov.go.id", "staff")
    assert user.check_password("kata-sandi-staf")


def test_create_user_prompts_for_the_password(runner):
    result = runner.invoke(
        args=["create-user", "admin@contoh.id", "--role", "admin"], input="rahasia-admin\nrahasia-admin\n"
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.role)) == "admin"


def test_create_user_refuses_duplicates_short_passwords_and_unknown_roles(runner, factory):
    factory.user("staff", email="ada@contoh.id")
    assert (
        "already exists"
        in runner.invoke(
            args=["create-user", "ada@contoh.id", "--role", "staff", "--password-stdin"], input="panjang-sekali\n"
        ).output
    )
    assert (
        runner.invoke(
            args=["create-user", "b@contoh.id", "--role", "staff", "--password-stdin"], input="pendek\n"
        ).exit_code
        != 0
    )
    assert (
        runner.invoke(
            args=["create-user", "c@contoh.id", "--role", "raja", "--password-stdin"], input="panjang-sekali\n"
        ).exit_code
        != 0
    )
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_create_token_prints_a_working_token(runner, client, factory):
    user = factory.user("ikm")
    result = runner.invoke(args=["create-token", user.email, "--label", "aplikasi"])
    token = result.output.strip()
    assert token.startswith("koin_")
    assert db.session.scalar(select(ApiToken.label)) == "aplikasi"
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()["id"] == user.id


def test_create_token_for_unknown_email_fails(runner):
    result = runner.invoke(args=["create-token", "siapa@contoh.id"])
    assert result.exit_code != 0 and "No account" in result.output


def test_seed_demo_is_idempotent(runner, auth):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert first.output.count("password:") == 6
    second = runner.invoke(args=["seed-demo"])
    assert second.output.count("password:") == 0 and second.output.count("exists") == 6
    assert db.session.scalar(select(func.count()).select_from(User)) == 6
    assert db.session.scalar(select(func.count()).select_from(Community)) == 14
    assert db.session.scalar(select(func.count()).select_from(Regency)) == 10
    # The printed password works.
    line = next(line for line in first.output.splitlines() if "staf@demo.koin.test" in line)
    assert auth.login("staf@demo.koin.test", password=line.split("password: ")[1]).status_code == 302


def test_set_password(runner, auth, factory):
    user = factory.user("school")
    result = runner.invoke(args=["set-password", user.email, "--password-stdin"], input="sandi-baru-sekali\n")
    assert result.exit_code == 0
    assert auth.login(user, password="sandi-baru-sekali").status_code == 302
