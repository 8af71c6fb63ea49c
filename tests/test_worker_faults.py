"""Faults of the workers: a consumer killed mid-job (leases, heartbeat, takeover), /healthz for
a stale worker and a nearly full disk, and sweeping the temporary files killed processes leave.

The killed-worker test runs the real consumer (as the Procfile starts it) in processes of its
own and kills one with SIGKILL while it holds a job at a known point (a gate file, not a sleep).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import update
from sqlalchemy.orm import Session

from koin_media import localdisk
from koin_media.assets import jobs, leases
from koin_media.assets.models import Asset
from koin_media.database import utcnow
from koin_media.extensions import db
from koin_media.storage import get_storage

from . import samples

PROJECT = Path(__file__).resolve().parent.parent
CONSUMER = Path(sys.executable).parent / "huey_consumer"
HANG_GUARD_SECONDS = 180  # only so that a broken build fails instead of hanging


def wait_for(predicate, what: str, timeout: float = HANG_GUARD_SECONDS):
    """Poll until ``predicate()`` is truthy; an AssertionError naming ``what`` if it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def waiting_asset(owner, original: Path) -> Asset:
    """An asset that passed verification and waits for processing, its original stored."""
    asset = Asset(owner=owner, original_filename="foto.jpg", status="processing", kind="image", mime="image/jpeg",
                  title="Pantai Kuta Mandalika", license="CC-BY-4.0", consent=True, uuid=uuid.uuid4().hex)  # fmt: skip
    asset.storage_key = f"assets/{asset.uuid}/original"
    db.session.add(asset)
    get_storage().put(asset.storage_key, original, "image/jpeg")
    db.session.commit()
    return asset


def fresh(asset_id: int) -> Asset:
    """The row as it is now (another thread or process may have written it)."""
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Asset, asset_id)


def in_thread(app, fn) -> threading.Thread:
    errors = []

    def run():
        with app.app_context():
            try:
                fn()
            except BaseException as exc:  # surfaced by join_ok
                errors.append(exc)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, daemon=True)
    thread.errors = errors
    thread.start()
    return thread


def join_ok(thread: threading.Thread) -> None:
    thread.join(HANG_GUARD_SECONDS)
    assert not thread.is_alive(), "thread hangs"
    assert not thread.errors, thread.errors


# -- a worker killed mid-job ---------------------------------------------------------------------


def worker_env(database_url: str, tmp_path: Path, **extra: str) -> dict:
    env = {
        **os.environ,
        "KOIN_SECRET_KEY": "worker-test-secret",
        "KOIN_DATABASE_URL": database_url,
        "KOIN_QUEUE_PATH": str(tmp_path / "queue.sqlite3"),
        "KOIN_QUEUE_IMMEDIATE": "false",
        "KOIN_REDIS_URL": "",
        "KOIN_STORAGE_BACKEND": "local",
        "KOIN_STORAGE_DIR": str(tmp_path / "storage"),
        "KOIN_PROCESSING_DIR": str(tmp_path / "processing"),
        "KOIN_MAIL_DIR": str(tmp_path / "mail"),
    }
    env.update(extra)
    return env


def start_consumer(env: dict, log: Path) -> subprocess.Popen:
    """The consumer as the Procfile starts it, in a process of its own."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(CONSUMER), "koin_media.worker.huey", "--workers", "2", "--worker-type", "thread"],
            cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # huey's graceful stop
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_killed_worker_s_asset_is_finished_by_a_new_worker_within_the_lease(make_app, factory, tmp_path, capsys):
    lease_seconds = 4
    gate = tmp_path / "gate"
    gate.mkdir()
    app = make_app()
    env = worker_env(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, KOIN_JOB_LEASE_SECONDS=str(lease_seconds),
                     KOIN_TEST_PROCESSING_GATE=str(gate))  # fmt: skip
    log = tmp_path / "consumers.log"
    consumers = []
    with app.app_context():
        asset_id = waiting_asset(factory.user("creator"), samples.jpeg(tmp_path)).id
        try:
            consumers.append(start_consumer(env, log))
            # Queued the way an operator (or verification) queues it: through the real queue.
            subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "media", "reprocess", str(asset_id)],
                           cwd=PROJECT, env=env, check=True, capture_output=True)  # fmt: skip
            first = gate / f"asset-{asset_id}-attempt-1.started"
            wait_for(first.exists, "the first consumer to start processing")
            held = fresh(asset_id)
            assert held.lease_owner and f":{consumers[0].pid}:" in held.lease_owner
            assert held.processing_attempts == 1

            consumers[0].send_signal(signal.SIGKILL)
            consumers[0].wait()
            killed_at = time.monotonic()
            assert fresh(asset_id).status == "processing"  # the task died with its worker
            left_behind = list((tmp_path / "processing").iterdir())
            assert [p.name.startswith(f"asset-{asset_id}-") for p in left_behind] == [True]

            (gate / f"asset-{asset_id}-attempt-2.go").touch()  # the next attempt runs through
            consumers.append(start_consumer(env, log))
            done = wait_for(lambda: fresh(asset_id).status in ("pending_review", "draft"), "the asset to finish")
            elapsed = time.monotonic() - killed_at
        finally:
            for consumer in consumers:
                stop(consumer)
        assert done
        with capsys.disabled():
            print(f"\ntime until the asset finishes after the kill: {elapsed:.1f} s "
                  f"(KOIN_JOB_LEASE_SECONDS={lease_seconds})")  # fmt: skip

        asset = fresh(asset_id)
        assert asset.status == "pending_review" and asset.processing_attempts == 2
        assert asset.lease_owner is None and asset.lease_expires_at is None
        assert get_storage().head(asset.thumb_key) is not None
        assert (gate / f"asset-{asset_id}-attempt-2.started").read_text() == str(consumers[1].pid)
        assert "lapsed" in log.read_text()

        # What the killed worker left in the processing directory is swept (nothing runs now).
        removed = localdisk.sweep_temp_files(None, max_age_seconds=0)
        assert len(removed) == 1
        assert removed[0].startswith(f"processing/asset-{asset_id}-")
        assert list((tmp_path / "processing").iterdir()) == []


# -- takeover, heartbeat, attempt limit (in this process, inline queue) --------------------------


def test_an_attempt_whose_lease_was_taken_over_writes_nothing(make_app, factory, tmp_path, caplog):
    gate = tmp_path / "gate"
    gate.mkdir()
    app = make_app(PROCESSING_TEST_GATE=str(gate), JOB_LEASE_SECONDS=600)
    with app.app_context():
        asset = waiting_asset(factory.user("creator"), samples.jpeg(tmp_path / "a.jpg", size=(640, 480)))
        asset_id, key = asset.id, asset.storage_key
        first = in_thread(app, lambda: jobs.process_asset.call_local(asset_id))
        wait_for((gate / f"asset-{asset_id}-attempt-1.started").exists, "attempt 1 to hold the original")

        # Attempt 1 has its copy of the original. As far as the database can tell its worker then
        # died: the sweep, run as if the lease had lapsed, hands the asset to attempt 2, which
        # reads a (different) original.
        get_storage().put(key, samples.jpeg(tmp_path / "b.jpg", size=(320, 200)), "image/jpeg")
        later = utcnow() + timedelta(seconds=601)
        second = in_thread(app, lambda: jobs.requeue_lapsed(now=later))
        wait_for((gate / f"asset-{asset_id}-attempt-2.started").exists, "attempt 2 to start")
        (gate / f"asset-{asset_id}-attempt-2.go").touch()
        join_ok(second)
        won = fresh(asset_id)
        assert won.status == "pending_review" and (won.width, won.height) == (200, 320)
        thumb = b"".join(get_storage().iter_chunks(won.thumb_key))

        (gate / f"asset-{asset_id}-attempt-1.go").touch()  # the old attempt wakes up and goes on
        join_ok(first)
        after = fresh(asset_id)
        assert (after.width, after.height, after.processing_attempts) == (200, 320, 2)
        assert b"".join(get_storage().iter_chunks(after.thumb_key)) == thumb  # renditions not overwritten
        assert "lost its lease" in caplog.text


def test_results_are_not_committed_without_the_lease(make_app, factory, tmp_path):
    app = make_app(JOB_LEASE_SECONDS=600)
    with app.app_context():
        asset_id = waiting_asset(factory.user("creator"), samples.jpeg(tmp_path)).id
        lease = leases.claim(asset_id, 600)
        assert leases.take_back(asset_id, lease.owner, utcnow() + timedelta(seconds=601))
        db.session.commit()
        taken_over_by = leases.claim(asset_id, 600)  # the new attempt
        with Session(db.engine) as private:  # the detached copy a job works on
            done = private.get(Asset, asset_id)
        done.width, done.height = 9999, 9999
        with pytest.raises(leases.LeaseLost):
            jobs._commit_results(done, lease)
        row = fresh(asset_id)
        assert row.width is None and row.status == "processing" and row.lease_owner == taken_over_by.owner


def test_the_heartbeat_renews_the_lease_while_the_job_runs(make_app, factory, tmp_path):
    gate = tmp_path / "gate"
    gate.mkdir()
    app = make_app(PROCESSING_TEST_GATE=str(gate), JOB_LEASE_SECONDS=2)
    with app.app_context():
        asset_id = waiting_asset(factory.user("creator"), samples.jpeg(tmp_path)).id
        job = in_thread(app, lambda: jobs.process_asset.call_local(asset_id))
        try:
            wait_for((gate / f"asset-{asset_id}-attempt-1.started").exists, "the job to start")
            first_expiry = fresh(asset_id).lease_expires_at
            wait_for(lambda: fresh(asset_id).lease_expires_at > first_expiry, "the heartbeat to renew the lease")
            # A renewed lease is not taken over, however often the sweep looks.
            assert jobs.requeue_lapsed() == {"requeued": [], "failed": []}
        finally:
            (gate / f"asset-{asset_id}-attempt-1.go").touch()
        join_ok(job)
        asset = fresh(asset_id)
        assert asset.status == "pending_review" and asset.processing_attempts == 1 and asset.lease_owner is None


def _lapse(asset_id: int, owner: str = "gone-host:4242:0123456789abcdef", attempts: int = 1) -> None:
    db.session.execute(
        update(Asset)
        .where(Asset.id == asset_id)
        .values(lease_owner=owner, lease_expires_at=utcnow() - timedelta(seconds=1), processing_attempts=attempts)
    )
    db.session.commit()


def test_a_lapsed_lease_is_requeued_and_a_live_one_is_left_alone(make_app, factory, tmp_path):
    app = make_app()
    with app.app_context():
        owner = factory.user("creator")
        lapsed = waiting_asset(owner, samples.jpeg(tmp_path / "a.jpg")).id
        live = waiting_asset(owner, samples.jpeg(tmp_path / "b.jpg")).id
        _lapse(lapsed)
        db.session.execute(update(Asset).where(Asset.id == live).values(
            lease_owner="busy-host:1:feedfacefeedface", lease_expires_at=utcnow() + timedelta(minutes=2)))  # fmt: skip
        db.session.commit()

        assert jobs.requeue_lapsed() == {"requeued": [lapsed], "failed": []}
        assert fresh(lapsed).status == "pending_review" and fresh(lapsed).processing_attempts == 2
        jobs.process_asset.call_local(live)  # a duplicate task: the live lease turns it away
        row = fresh(live)
        assert row.status == "processing" and row.processing_attempts == 0
        assert row.lease_owner == "busy-host:1:feedfacefeedface"


def test_after_the_last_attempt_a_lapsed_asset_fails_with_a_reason_and_keeps_its_original(make_app, factory, tmp_path):
    app = make_app()
    with app.app_context():
        asset = waiting_asset(factory.user("creator"), samples.jpeg(tmp_path))
        _lapse(asset.id, attempts=jobs.MAX_ATTEMPTS)
        assert jobs.requeue_lapsed() == {"requeued": [], "failed": [asset.id]}
        row = fresh(asset.id)
        assert row.status == "failed" and row.problem_code == "interrupted" and row.lease_owner is None
        assert "Pemrosesan terhenti beberapa kali" in row.problem_message
        assert get_storage().head(row.storage_key) is not None  # staff can `media reprocess` it
        with force_locale("en"):
            assert "Processing stopped several times" in row.problem_message


# -- /healthz: stale worker, nearly full disk ------------------------------------------------------

HEALTH_SCRIPT = """
import json, sys, time
from koin_media import create_app
from koin_media.jobs import HEARTBEAT_KEY, queue
beat = sys.argv[1]
if beat != "never":
    queue.put(HEARTBEAT_KEY, time.time() - float(beat))
response = create_app().test_client().get("/healthz")
print(json.dumps({"code": response.status_code, "body": response.get_json()}))
"""


def healthz_in_a_process(env: dict, last_beat: str) -> tuple[int, dict]:
    """/healthz of an app with a real queue (not inline), as a deployment runs it."""
    result = subprocess.run([sys.executable, "-c", HEALTH_SCRIPT, last_beat], cwd=PROJECT, env=env,
                            capture_output=True, text=True, check=True)  # fmt: skip
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    return answer["code"], answer["body"]


def test_healthz_fails_for_a_stale_or_missing_worker(make_app, tmp_path):
    app = make_app()  # the database, migrated
    env = worker_env(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, KOIN_WORKER_STALE_SECONDS="300")
    code, body = healthz_in_a_process(env, "never")
    assert code == 503 and body["failing"] == ["worker"] and body["checks"]["worker"]["error"] == "no worker seen"

    code, body = healthz_in_a_process(env, "900")  # the last sign of life was 15 minutes ago
    assert code == 503 and body["failing"] == ["worker"]
    assert body["checks"]["worker"]["error"] == "worker heartbeat is stale"
    assert body["checks"]["worker"]["seen_seconds_ago"] >= 900

    code, body = healthz_in_a_process(env, "5")
    assert code == 200 and body["checks"]["worker"]["ok"] is True


def test_healthz_fails_when_the_disk_is_nearly_full(make_app):
    free = make_app().test_client().get("/healthz").get_json()
    assert free["checks"]["disk"]["ok"] is True
    assert set(free["checks"]["disk"]["free_mb"]) == {"instance", "processing", "storage"}

    full = make_app(MIN_FREE_DISK_MB=max(free["checks"]["disk"]["free_mb"].values()) + 1)
    response = full.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["disk"] and body["checks"]["disk"]["low"] == ["instance", "processing", "storage"]
    assert "/" not in json.dumps(body["checks"]["disk"])  # names, never paths, on a public page


# -- sweeping temporary files ------------------------------------------------------------------------

HOURS_AGO = 3 * 3600


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_cleanup_sweeps_old_temp_files_and_keeps_fresh_and_running_ones(make_app, factory, tmp_path):
    app = make_app(TEMP_MAX_AGE_MINUTES=60)
    with app.app_context():
        storage = get_storage()
        storage.tmp.mkdir(parents=True, exist_ok=True)
        stale_part = storage.tmp / "w-killed"
        stale_part.write_bytes(b"x" * 2048)
        _age(stale_part, HOURS_AGO)
        fresh_part = storage.tmp / "w-fresh"
        fresh_part.write_bytes(b"y")

        # A part being written right now (a slow phone): its temp file is old, but in use.
        key = "assets/feedfacefeedfacefeedfacefeedface/original"
        upload_id = storage.create_multipart(key, "video/mp4")
        read_end, write_end = os.pipe()
        body, etags = os.fdopen(read_end, "rb"), []
        writer = in_thread(app, lambda: etags.append(storage.write_part(key, upload_id, 1, body)))
        first_half = os.urandom(300_000)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(first_half)
            pipe.flush()
            writing = wait_for(
                lambda: [p for p in storage.tmp.iterdir() if p.name not in ("w-killed", "w-fresh")], "the part file"
            )
            _age(writing[0], HOURS_AGO)

            # Processing directories: one of a killed job, one of a job still running, one new.
            root = tmp_path / "processing"
            root.mkdir(exist_ok=True)
            killed = root / "asset-7-killed"
            killed.mkdir()
            (killed / localdisk.IN_USE).touch()
            (killed / "original").write_bytes(b"z" * 4096)
            _age(killed, HOURS_AGO)
            new = root / "asset-8-new"
            new.mkdir()
            with localdisk.work_dir("asset-9") as running:
                _age(running, HOURS_AGO)
                result = app.test_cli_runner().invoke(args=["storage", "cleanup"])
                assert running.exists()
            second_half = os.urandom(100_000)
            pipe.write(second_half)
        join_ok(writer)
        body.close()

        assert result.exit_code == 0, result.output
        assert "temp files: removed 2 left by stopped processes" in result.output
        assert "storage tmp/w-killed (0.0 MB, 3.0 h old)" in result.output
        assert "processing/asset-7-killed" in result.output
        assert not stale_part.exists() and not killed.exists()
        assert fresh_part.exists() and new.exists()
        # The upload that was running is whole.
        assert etags == [hashlib.md5(first_half + second_half, usedforsecurity=False).hexdigest()]
        assert [p.size for p in storage.list_parts(key, upload_id)] == [400_000]
