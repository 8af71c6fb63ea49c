"""``flask seed-demo`` on a fresh machine: demo media made on the spot, processed by the real
pipeline and published, so the catalogue and the venue pages show the product; a second run
adds nothing. Run as ``make run`` runs it: its own process, with the ordinary queue (not inline)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from koin_media.accounts.models import School, User
from koin_media.assets.demo import DEMO_MEDIA
from koin_media.assets.models import Asset
from koin_media.extensions import db
from koin_media.storage import get_storage
from scripts import serve_env

PROJECT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).with_name("flask")


def seed_demo(database_url: str, tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    env = {
        **os.environ,
        "KOIN_SECRET_KEY": "seed-test-secret",
        "KOIN_DATABASE_URL": database_url,
        "KOIN_QUEUE_IMMEDIATE": "false",  # as under `make run`: jobs would go to the worker's queue
        "KOIN_QUEUE_PATH": str(tmp_path / "queue.sqlite3"),
        "KOIN_REDIS_URL": "",
        "KOIN_STORAGE_BACKEND": "local",
        "KOIN_STORAGE_DIR": str(tmp_path / "storage"),  # the test app's own store (conftest)
        "KOIN_PROCESSING_DIR": str(tmp_path / "processing"),
        "KOIN_MAIL_DIR": str(tmp_path / "mail"),
    }
    started = time.monotonic()
    done = subprocess.run(
        [str(FLASK), "--app", "wsgi", "seed-demo", *args],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    return done, time.monotonic() - started


@pytest.mark.slow  # two runs of the command in processes of their own: 10-20 s on two busy cores
def test_seed_demo_publishes_real_media_once(app, client, database_url, tmp_path):
    first, seconds = seed_demo(database_url, tmp_path)
    assert first.returncode == 0, first.stderr
    print(f"seed-demo on an empty database: {seconds:.1f} s")  # figures, not an assertion

    db.session.expire_all()
    assets = db.session.scalars(select(Asset).order_by(Asset.id)).all()
    staff = db.session.scalar(select(User).where(User.email == "staf@demo.koin.test"))
    assert [a.original_filename for a in assets] == [item.filename for item in DEMO_MEDIA]
    assert {a.status for a in assets} == {"approved"} and {a.reviewed_by_id for a in assets} == {staff.id}
    assert sorted(a.kind for a in assets) == ["audio", "document", "image", "image", "image", "image", "video"]
    assert all(a.title and a.description and a.tags and a.license and a.credit for a in assets)
    assert all(a.community and a.regency for a in assets)
    # The pipeline ran: every rendition it makes is in the store, with what it measured.
    storage = get_storage()
    for asset in assets:
        assert storage.head(asset.storage_key) is not None and storage.head(asset.thumb_key) is not None
        assert asset.web_file is not None and storage.head(asset.web_file[0]) is not None
    video = next(a for a in assets if a.kind == "video")
    assert video.poster_key and video.duration_seconds >= 5 and video.media_info["web_dimensions"] == [640, 360]
    audio = next(a for a in assets if a.kind == "audio")
    assert audio.duration_seconds >= 7 and audio.web_key.endswith("web.m4a")
    document = next(a for a in assets if a.kind == "document")
    assert document.media_info["page_count"] == 2
    assert "Demo media: 7 added" in first.stdout

    catalogue = client.get("/assets").get_data(as_text=True)
    assert all(asset.title in catalogue for asset in assets)
    venue = client.get("/venues/sirkuit-mandalika").get_data(as_text=True)
    assert "Fajar di Sirkuit Mandalika" in venue and "Pantai Kuta Mandalika" in venue

    objects = len(list(storage.list_keys("assets/")))
    second, seconds = seed_demo(database_url, tmp_path)
    assert second.returncode == 0, second.stderr
    print(f"seed-demo again: {seconds:.1f} s")
    assert "Demo media: 0 added" in second.stdout and "password:" not in second.stdout
    assert db.session.scalar(select(func.count()).select_from(Asset)) == len(DEMO_MEDIA)
    assert len(list(storage.list_keys("assets/"))) == objects


def test_demo_media_can_be_left_out(runner):
    result = runner.invoke(args=["seed-demo", "--no-media"])
    assert result.exit_code == 0, result.output
    assert "Demo media" not in result.output
    assert db.session.scalar(select(func.count()).select_from(Asset)) == 0
    assert runner.invoke(args=["seed-demo", "--no-users"]).exit_code == 0  # no accounts: no media either
    assert db.session.scalar(select(func.count()).select_from(Asset)) == 0


def test_the_demo_school_teaches_smp_unless_its_levels_were_recorded(runner):
    """So that a fresh machine shows the level warning (an SMA program asked for by an SMP)."""
    assert runner.invoke(args=["seed-demo", "--no-media"]).exit_code == 0
    school = db.session.scalar(select(School).where(School.npsn == "50201234"))
    assert school.name == "SMPN 2 Mataram" and school.levels == "SMP"
    assert school.teaches("SMP") is True and school.teaches("SMA") is False

    school.levels = ""  # a machine seeded before the levels existed: the next run fills them in
    db.session.commit()
    assert runner.invoke(args=["seed-demo", "--no-media"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(School, school.id).levels == "SMP"

    db.session.get(School, school.id).level_set = {"SMP", "SMA"}  # recorded by its coordinator: kept
    db.session.commit()
    assert runner.invoke(args=["seed-demo", "--no-media"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(School, school.id).levels == "SMP,SMA"


# -- make run: the address it serves, and the accounts, last ----------------------------------


def test_the_procfile_settings_resolve_as_the_app_reads_its_own(tmp_path, monkeypatch):
    procfile, dotenv = tmp_path / "Procfile", tmp_path / ".env"
    procfile.write_text("web: gunicorn --bind ${KOIN_BIND:-127.0.0.1:8000} --workers ${KOIN_WEB_WORKERS:-2} x\n")
    monkeypatch.delenv("KOIN_BIND", raising=False)
    monkeypatch.delenv("KOIN_WEB_WORKERS", raising=False)
    assert serve_env.resolved(procfile, dotenv) == {"KOIN_BIND": "127.0.0.1:8000", "KOIN_WEB_WORKERS": "2"}
    dotenv.write_text("KOIN_BIND=127.0.0.1:8100\n")
    assert serve_env.resolved(procfile, dotenv)["KOIN_BIND"] == "127.0.0.1:8100"
    monkeypatch.setenv("KOIN_BIND", "0.0.0.0:8200")  # the environment wins, as for every setting
    assert serve_env.resolved(procfile, dotenv)["KOIN_BIND"] == "0.0.0.0:8200"


def test_make_run_prints_the_address_it_serves_after_the_demo_accounts(tmp_path):
    """`make run` with stand-ins for flask (the seed) and honcho (the servers): what is printed
    last before serving, and what honcho is given."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python").symlink_to(sys.executable)
    (fake / "flask").write_text(
        '#!/bin/sh\necho "Installing…"\necho "Demo accounts (…):"\necho "  staf@demo.koin.test"\n'
    )
    (fake / "honcho").write_text('#!/bin/sh\necho "honcho $* bind=$KOIN_BIND"\n')
    for script in ("flask", "honcho"):
        (fake / script).chmod(0o755)
    prepared = [
        arg for target in ("install", "frontend", "translations", ".env", "db-upgrade") for arg in ("-o", target)
    ]
    done = subprocess.run(
        ["make", "-s", "-C", str(PROJECT), *prepared, "run", f"BIN={fake}"],
        env={**os.environ, "KOIN_BIND": "127.0.0.1:8100"}, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert lines[-4:] == [
        "Demo accounts (…):",
        "  staf@demo.koin.test",
        "KOIN Media: http://127.0.0.1:8100  (Ctrl+C stops the web server and the worker)",
        "honcho start -f Procfile -e /dev/null bind=127.0.0.1:8100",
    ]
