"""Database details that differ between SQLite and PostgreSQL, kept in one place."""

from __future__ import annotations

import functools
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import g, has_request_context, request
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

SQLITE_BUSY_TIMEOUT_MS = 15_000


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC, hands back timezone-aware datetimes on every backend.

    SQLite has no time zone type, so values are stored as naive UTC and re-tagged on the
    way out; PostgreSQL gets ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Set by background jobs and CLI commands, which read and then write (True), and by views
# that read first and take the write lock only for their writes (False). None: by method.
_write_intent: ContextVar[bool | None] = ContextVar("koin_sqlite_write_intent", default=None)


@contextmanager
def write_intent():
    """Within this block, new SQLite transactions take the write lock up front."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def writes_database(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with write_intent():
            return fn(*args, **kwargs)

    return wrapper


def write_lock_when_writing(view):
    """A POST view whose transactions begin deferred: it reads, ends that transaction, does its
    slow work (hashing a password) holding nothing, then writes inside ``write_intent()``.

    Only for views built that way: a deferred SQLite transaction that turns into a write fails
    at once with "database is locked" when another connection wrote meanwhile (the busy
    timeout does not help an upgrade), which is why POSTs take the lock up front by default.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        with deferred_transactions():
            return view(*args, **kwargs)

    return wrapper


@contextmanager
def deferred_transactions():
    """Within this block, new SQLite transactions begin deferred: reads run beside a writer."""
    token = _write_intent.set(False)
    try:
        yield
    finally:
        _write_intent.reset(token)


def engine_options(database_url: str, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> dict:
    """Engine options for the configured database URL."""
    if database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": busy_timeout_ms / 1000}}
    return {"pool_pre_ping": True}


def request_takes_write_lock() -> bool:
    """Whether the current request's transactions begin with SQLite's write lock.

    Only a writing request (POST, PUT, PATCH, DELETE), and only once its view runs: what the
    request hooks do before it (loading the signed-in user, CSRF, rate limits) reads, and the
    last hook ends that read (``start_view``). So a hook never holds the lock that the
    database rate-limit store, writing on its own connection, would then wait for until the
    busy timeout.
    """
    return has_request_context() and request.method not in SAFE_METHODS and g.get("koin_view_started", False)


def write_bookkeeping(session, statement) -> None:
    """A small write made while loading the signed-in user (a session seen, a token used).

    A page view keeps its read: the write goes through a short transaction of its own. The
    hooks of a writing request only read, so it waits for them (``start_view`` runs it in a
    short transaction of its own, on the request's connection: one connection per request,
    so a full pool cannot deadlock). Anywhere else it joins the current transaction.
    """
    statement = statement.execution_options(synchronize_session=False)
    if has_request_context() and request.method in SAFE_METHODS:
        with session.get_bind().connect().execution_options(sqlite_write=True) as conn:
            conn.execute(statement)
            conn.commit()
    elif has_request_context() and not g.get("koin_view_started", False):
        g.setdefault("koin_hook_writes", []).append(statement)
    else:
        session.execute(statement)
        session.commit()


def start_view(session) -> None:
    """The last request hook: end what the hooks read and make the writes they left, so the
    view begins its own transaction (with the write lock on a writing request). Costs one
    query to reload the signed-in user on writing requests that use it; page views keep
    their transaction."""
    if has_request_context() and request.method not in SAFE_METHODS and session().in_transaction():
        session.rollback()
    g.koin_view_started = True
    writes = g.pop("koin_hook_writes", None)
    if writes:
        for statement in writes:
            session.execute(statement)
        session.commit()


def _wants_write_lock(connection) -> bool:
    """Whether a new SQLite transaction should take the write lock up front.

    Requests that may write (POST, PUT, PATCH, DELETE), CLI commands and jobs begin with
    BEGIN IMMEDIATE, so that concurrent writers queue on the busy timeout instead of failing
    with "database is locked" when a read turns into a write. Page views stay deferred and
    run side by side under WAL. Code on a GET path that must write asks for it explicitly
    with the ``sqlite_write`` execution option (``False`` keeps a read a read, even on a POST);
    a POST view that reads first and writes
    briefly at the end opts out with ``write_lock_when_writing``.
    """
    explicit = connection.get_execution_options().get("sqlite_write")
    if explicit is not None:
        return explicit
    intent = _write_intent.get()
    if intent is not None:
        return intent
    return request_takes_write_lock()


def install_sqlite_hooks(engine: Engine, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let the hooks here, not the driver, decide how transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock(connection) else "BEGIN")


# Tables made by migrations but kept outside the ORM models: the full-text indexes (SQLite
# FTS5 with its shadow tables, or PostgreSQL tsvector); see koin_media/assets/search.py.
UNMODELLED_TABLE_PREFIXES = ("asset_search",)


def include_in_autogenerate(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "table" and name.startswith(UNMODELLED_TABLE_PREFIXES))
