"""The factory, its configuration, and the health endpoint."""

import pytest

from koin_media import InsecureConfiguration, create_app
from koin_media.config import DEV_SECRET_KEY, from_environment


def test_refuses_the_built_in_secret_outside_debug_and_testing(monkeypatch, tmp_path):
    monkeypatch.delenv("KOIN_SECRET_KEY", raising=False)
    with pytest.raises(InsecureConfiguration, match="KOIN_SECRET_KEY"):
        create_app({"SECRET_KEY": DEV_SECRET_KEY, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_starts_with_a_real_secret(tmp_path):
    app = create_app({"SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert not app.debug and not app.testing


def test_configuration_comes_from_koin_variables(monkeypatch):
    monkeypatch.setenv("KOIN_DATABASE_URL", "postgresql+psycopg://u:p@db/koin")
    monkeypatch.setenv("KOIN_STORAGE_BACKEND", "s3")
    monkeypatch.setenv("KOIN_S3_BUCKET", "koin-media")
    monkeypatch.setenv("KOIN_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("KOIN_RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("KOIN_RATELIMIT_LOGIN", "5 per minute")
    settings = from_environment()
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db/koin"
    assert settings["STORAGE_BACKEND"] == "s3" and settings["S3_BUCKET"] == "koin-media"
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert settings["RATELIMIT_ENABLED"] is False and settings["RATELIMIT_LOGIN"] == "5 per minute"


def test_a_mistyped_boolean_is_an_error_not_a_guess(monkeypatch):
    monkeypatch.setenv("KOIN_QUEUE_IMMEDIATE", "ya")
    with pytest.raises(ValueError, match="KOIN_QUEUE_IMMEDIATE"):
        from_environment()


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["checks"]["database"]["ok"] is True
    assert body["checks"]["queue"]["ok"] is True


def test_healthz_is_503_naming_what_fails(tmp_path):
    app = create_app(
        {"TESTING": True, "QUEUE_IMMEDIATE": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.db"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["failing"] == ["database"]


def test_server_errors_are_a_friendly_page_not_a_trace(make_app):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    app.testing = False  # let the error handler answer, as in production
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Terjadi kesalahan" in html and "kaboom" not in html


def test_form_too_large_is_413_with_a_message(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    response = app.test_client().post("/login", data={"email": "a" * 4096})
    assert response.status_code == 413
    assert "lebih besar" in response.get_data(as_text=True)


def test_the_worker_knows_every_job(tmp_path):
    """The consumer imports koin_media.worker in a process of its own; a job it does not know
    would fail there. Started as the Procfile starts it, with its own settings."""
    import json
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "KOIN_SECRET_KEY": "worker-test-secret",
        "KOIN_DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "KOIN_QUEUE_PATH": str(tmp_path / "queue.sqlite3"),
        "KOIN_STORAGE_DIR": str(tmp_path / "storage"),
    }
    script = "import json, koin_media.worker as w; print(json.dumps(sorted(w.huey._registry._registry)))"
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    names = set(json.loads(result.stdout.strip().splitlines()[-1]))
    for job in (
        "koin_media.jobs.worker_heartbeat",
        "koin_media.assets.jobs.process_asset",
        "koin_media.assets.jobs.storage_cleanup",
        "koin_media.booking.jobs.booking_housekeeping",
    ):
        assert job in names, sorted(names)
