"""Database details that differ between SQLite and PostgreSQL, kept in one place."""

from __future__ import annotations

import functools
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import has_request_context, request
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

# Set by background jobs and CLI commands, which read and then write.
_write_intent: ContextVar[bool] = ContextVar("koin_sqlite_write_intent", default=False)


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


def engine_options(database_url: str) -> dict:
    """Engine options for the configured database URL."""
    if database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    return {"pool_pre_ping": True}


def _wants_write_lock(connection) -> bool:
    """Whether a new SQLite transaction should take the write lock up front.

    Requests that may write (POST, PUT, PATCH, DELETE), CLI commands and jobs begin with
    BEGIN IMMEDIATE, so that concurrent writers queue on the busy timeout instead of failing
    with "database is locked" when a read turns into a write. Page views stay deferred and
    run side by side under WAL. Code on a GET path that must write asks for it explicitly
    with the ``sqlite_write`` execution option.
    """
    if connection.get_execution_options().get("sqlite_write") or _write_intent.get():
        return True
    return has_request_context() and request.method not in SAFE_METHODS


def install_sqlite_hooks(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let the hooks here, not the driver, decide how transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
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
