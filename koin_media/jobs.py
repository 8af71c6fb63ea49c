"""The background job queue (Huey): SQLite file by default, Redis when KOIN_REDIS_URL is set,
inline when KOIN_QUEUE_IMMEDIATE is true.

The consumer imports ``koin_media.worker`` (which builds the app); jobs run inside its app
context. The queue is configured from the environment at import, because the consumer starts
from a module path, not from ``create_app``.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

from flask import current_app, has_app_context
from huey import RedisHuey, SqliteHuey, crontab

from .config import INSTANCE_DIR, env_bool, env_str, load_dotenv_file
from .database import writes_database

HEARTBEAT_KEY = "koin:worker-heartbeat"


def _make_huey():
    load_dotenv_file()
    immediate = env_bool("KOIN_QUEUE_IMMEDIATE", False)
    redis_url = env_str("KOIN_REDIS_URL")
    if redis_url:
        return RedisHuey("koin-media", url=redis_url, immediate=immediate)
    path = Path(env_str("KOIN_QUEUE_PATH", str(INSTANCE_DIR / "queue.sqlite3")))
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("koin-media", filename=str(path), immediate=immediate)


huey = _make_huey()

_worker_app = None


def worker_app():
    """The app the consumer runs jobs in, built once; building it imports every feature
    package, which registers their jobs with the queue."""
    global _worker_app
    if _worker_app is None:
        from . import create_app  # the factory sits above every job module: a top import is a cycle

        _worker_app = create_app()
    return _worker_app


def _in_app_context(fn):
    @functools.wraps(fn)
    @writes_database
    def run(*args, **kwargs):
        if has_app_context():
            return fn(*args, **kwargs)
        with worker_app().app_context():
            return fn(*args, **kwargs)

    return run


def job(**options):
    """A Huey task that runs inside the Flask app context (retries set per job)."""

    def decorator(fn):
        return huey.task(**options)(_in_app_context(fn))

    return decorator


def periodic_job(schedule, **options):
    def decorator(fn):
        return huey.periodic_task(schedule, **options)(_in_app_context(fn))

    return decorator


def record_worker_heartbeat() -> None:
    huey.put(HEARTBEAT_KEY, time.time())


@huey.periodic_task(crontab(minute="*"))
def worker_heartbeat():
    """Lets /healthz tell whether a consumer is running, not just whether the queue answers.
    Long jobs beat too (their lease heartbeat), so busy workers do not look dead."""
    record_worker_heartbeat()


@huey.on_startup()
def _heartbeat_at_start():
    # A consumer that just started is alive before its first periodic beat (up to a minute).
    record_worker_heartbeat()


def queue_status() -> dict:
    """What /healthz reports about the queue: reachable, backlog, last sign of a worker."""
    if huey.immediate:
        return {"ok": True, "mode": "immediate"}
    pending = huey.pending_count()
    seen = huey.get(HEARTBEAT_KEY, peek=True)
    status = {"ok": True, "mode": "redis" if isinstance(huey, RedisHuey) else "sqlite", "pending": pending}
    status["worker_seen_seconds_ago"] = round(time.time() - seen) if seen else None
    return status


def worker_status() -> dict:
    """What /healthz reports about the workers: failing when none gave a sign of life within
    WORKER_STALE_SECONDS (none running, or all stuck)."""
    if huey.immediate:
        return {"ok": True, "mode": "immediate"}
    stale_after = current_app.config["WORKER_STALE_SECONDS"]
    seen = huey.get(HEARTBEAT_KEY, peek=True)
    ago = round(time.time() - seen) if seen else None
    status = {"ok": ago is not None and ago <= stale_after, "seen_seconds_ago": ago, "stale_after": stale_after}
    if not status["ok"]:
        status["error"] = "no worker seen" if ago is None else "worker heartbeat is stale"
    return status


def configure(app) -> None:
    """Let an app built with explicit settings (tests) run jobs inline."""
    if app.config.get("QUEUE_IMMEDIATE"):
        huey.immediate = True
