"""Fixtures: an app per test on one migrated database (SQLite, or PostgreSQL when
KOIN_TEST_DATABASE_URL is set), emptied after every test; factories for users of every role."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from koin_media import create_app
from koin_media.accounts.models import School, User
from koin_media.database import utcnow
from koin_media.extensions import db, limiter
from koin_media.reference.models import Community, Regency
from koin_media.reference.services import ensure_reference_data

PASSWORD = "rinjani-2026-aman"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')

pytest_plugins = ["tests.storage_fixtures", "tests.browser_fixtures", "tests.booking_fixtures", "tests.mail_fixtures"]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("KOIN_TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def settings_for(database_url: str, tmp_path: Path, **overrides) -> dict:
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "QUEUE_IMMEDIATE": True,
        "STORAGE_DIR": str(tmp_path / "storage"),
        "MAIL_DIR": str(tmp_path / "mail"),  # never the project's own instance/mail
        "PROCESSING_DIR": str(tmp_path / "processing"),
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "database://",  # the embedded default: counters in the test database
    }
    settings.update(overrides)
    return settings


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory):
    """Build the schema once per run, from empty, with the committed migrations."""
    app = create_app(settings_for(database_url, tmp_path_factory.mktemp("migrate")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


@pytest.fixture
def make_app(migrated, tmp_path):
    """Build an app with extra settings; the database is emptied after the test."""
    apps = []

    def build(**overrides):
        app = create_app(settings_for(migrated, tmp_path, **overrides))
        with app.app_context():
            ensure_reference_data()
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            _empty_database()
            limiter.reset()  # before dispose: the database store opens a connection to reset
            db.engine.dispose()


def _empty_database() -> None:
    db.session.remove()
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, path: str = "/") -> str:
    """The CSRF token a page hands the browser, read the way the front end reads it."""
    page = client.get(path)
    match = CSRF_META.search(page.get_data(as_text=True))
    assert match, f"no csrf-token meta tag on {path}"
    return match.group(1)


class Factory:
    """Creates users of every role with realistic profiles."""

    def __init__(self):
        self.count = 0

    def _regency(self, slug="kota-mataram"):
        return db.session.scalar(db.select(Regency).where(Regency.slug == slug))

    def user(self, role="creator", email=None, password=PASSWORD, verified=True, **fields) -> User:
        """``verified=False``: an address not confirmed yet (a fresh self-service account)."""
        self.count += 1
        user = User(
            email=email or f"{role}{self.count}@contoh.id", name=fields.pop("name", f"{role} {self.count}"), role=role
        )
        user.email_verified_at = utcnow() if verified else None
        user.set_password(password)
        if role == "creator":
            user.community = db.session.scalar(db.select(Community).where(Community.slug == "lombok-phonegraphy"))
        elif role == "ikm":
            user.business_name = fields.pop("business_name", "Tenun Sukarara")
            user.sector = "weaving"
            user.regency = self._regency("lombok-tengah")
        elif role == "school":
            npsn = fields.pop("npsn", f"{50200000 + self.count}")
            school = db.session.scalar(db.select(School).where(School.npsn == npsn))
            user.regency = self._regency()
            user.school = school or School(npsn=npsn, name=f"SMPN {self.count} Mataram", regency=user.regency)
            # The school's first coordinator is an established (approved) one; a further one
            # only asked to join and waits (pass coordinator_status= to choose).
            user.coordinator_status = "pending" if school is not None else "approved"
        for key, value in fields.items():
            setattr(user, key, value)
        db.session.add(user)
        db.session.commit()
        return user


@pytest.fixture
def factory(migrated):
    """Works in whichever app context the test has pushed (``app`` or another app's)."""
    return Factory()


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user_or_email, password=PASSWORD, remember=False):
        email = getattr(user_or_email, "email", user_or_email)
        token = csrf_token(self.client, "/login")
        data = {"email": email, "password": password, "csrf_token": token}
        if remember:
            data["remember"] = "y"
        return self.client.post("/login", data=data)

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client)})


@pytest.fixture
def auth(client):
    return Auth(client)
