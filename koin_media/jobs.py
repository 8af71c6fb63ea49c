"""The background job queue (Huey): SQLite file by default, Redis when KOIN_REDIS_URL is set,
inline when the app's QUEUE_IMMEDIATE (KOIN_QUEUE_IMMEDIATE) is true.

The consumer imports ``koin_media.worker`` (which builds the app); jobs run inside its app
context. The real queue is configured from the environment at import, because the consumer
starts from a module path, not from ``create_app``; its SQLite file is created on first use,
so importing the package (tests, the CLI) leaves the working tree alone.

Every job is registered twice: on the real queue and on an in-memory inline one. Which one a
call goes to is decided per call by the app it runs in, so one app built inline (a test) never
changes how another app's jobs run.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

from flask import current_app, has_app_context
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.storage import SqliteStorage

from .config import INSTANCE_DIR, env_bool, env_str, load_dotenv_file
from .database import writes_database

HEARTBEAT_KEY = "koin:worker-heartbeat"


class _LazySqliteStorage(SqliteStorage):
    """Huey's SQLite storage, creating its directory, file and tables on first connection
    rather than when the queue object is built (at import)."""

    def __init__(self, *args, **kwargs):
        kwargs["create_tables"] = False
        super().__init__(*args, **kwargs)
        self._schema_ready = False

    def _create_connection(self):
        Path(self.filename).parent.mkdir(parents=True, exist_ok=True)
        conn = super()._create_connection()
        if not self._schema_ready:
            # Called under the storage lock from ``db()``: run the DDL on this connection
            # directly (``initialize_schema`` would take the lock again).
            for statement in self.ddl:
                conn.execute(statement)
            self._schema_ready = True
        return conn


def _make_queue():
    load_dotenv_file()
    redis_url = env_str("KOIN_REDIS_URL")
    if redis_url:
        return RedisHuey("koin-media", url=redis_url)
    path = env_str("KOIN_QUEUE_PATH", str(INSTANCE_DIR / "queue.sqlite3"))
    return SqliteHuey("koin-media", filename=path, storage_class=_LazySqliteStorage)


queue = _make_queue()  # what the consumer reads (koin_media.worker.huey)
inline_queue = MemoryHuey("koin-media", immediate=True)  # runs each job inside the call


@functools.cache
def _environment_inline() -> bool:
    load_dotenv_file()
    return env_bool("KOIN_QUEUE_IMMEDIATE", False)


def runs_inline() -> bool:
    """Whether a job called now runs inside the call: the current app's QUEUE_IMMEDIATE, or,
    outside any app (scripts, the consumer's own bookkeeping), the environment's."""
    if has_app_context():
        return bool(current_app.config.get("QUEUE_IMMEDIATE"))
    return _environment_inline()


def current_queue():
    return inline_queue if runs_inline() else queue


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


class Job:
    """One job on both queues; calling it (or ``.schedule``, ``.call_local``) uses the queue of
    the app it is called in (``runs_inline``)."""

    def __init__(self, queued, inline):
        self.queued, self.inline = queued, inline
        functools.update_wrapper(self, queued.func)

    def __call__(self, *args, **kwargs):
        return self._current()(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._current(), name)

    def _current(self):
        return self.inline if runs_inline() else self.queued


def job(**options):
    """A Huey task that runs inside the Flask app context (retries set per job)."""

    def decorator(fn):
        run = _in_app_context(fn)
        return Job(queue.task(**options)(run), inline_queue.task(**options)(run))

    return decorator


def periodic_job(schedule, **options):
    """Scheduled by the consumer of the real queue; called directly (tests, CLI) like ``job``."""

    def decorator(fn):
        run = _in_app_context(fn)
        return Job(queue.periodic_task(schedule, **options)(run), inline_queue.periodic_task(schedule, **options)(run))

    return decorator


def record_worker_heartbeat() -> None:
    current_queue().put(HEARTBEAT_KEY, time.time())


def heartbeat_recorder():
    """``record_worker_heartbeat`` bound to the current app's queue, for a thread the job starts
    (it has no app context: left to decide alone, it would beat on the real queue inline too)."""
    target = current_queue()
    return lambda: target.put(HEARTBEAT_KEY, time.time())


@queue.periodic_task(crontab(minute="*"))
def worker_heartbeat():
    """Lets /healthz tell whether a consumer is running, not just whether the queue answers.
    Long jobs beat too (their lease heartbeat), so busy workers do not look dead."""
    record_worker_heartbeat()


@queue.on_startup()
def _heartbeat_at_start():
    # A consumer that just started is alive before its first periodic beat (up to a minute).
    record_worker_heartbeat()


def queue_status() -> dict:
    """What /healthz reports about the queue: reachable, backlog, last sign of a worker."""
    if runs_inline():
        return {"ok": True, "mode": "immediate"}
    pending = queue.pending_count()
    seen = queue.get(HEARTBEAT_KEY, peek=True)
    status = {"ok": True, "mode": "redis" if isinstance(queue, RedisHuey) else "sqlite", "pending": pending}
    status["worker_seen_seconds_ago"] = round(time.time() - seen) if seen else None
    return status


def worker_status() -> dict:
    """What /healthz reports about the workers: failing when none gave a sign of life within
    WORKER_STALE_SECONDS (none running, or all stuck)."""
    if runs_inline():
        return {"ok": True, "mode": "immediate"}
    stale_after = current_app.config["WORKER_STALE_SECONDS"]
    seen = queue.get(HEARTBEAT_KEY, peek=True)
    ago = round(time.time() - seen) if seen else None
    status = {"ok": ago is not None and ago <= stale_after, "seen_seconds_ago": ago, "stale_after": stale_after}
    if not status["ok"]:
        status["error"] = "no worker seen" if ago is None else "worker heartbeat is stale"
    return status
