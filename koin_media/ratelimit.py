"""Rate-limit counters kept in the application's database: the embedded default's store.

Flask-Limiter's ``memory://`` store counts per worker process, so ``10 per minute`` became
20 with two gunicorn workers. Without Redis, every process shares only the database, so the
counters live there: ``database://`` is a ``limits`` storage (fixed windows) registered under
its own scheme, which keeps Flask-Limiter's decorators and the log-in throttle
(``accounts/throttle.py``) on one interface with Redis, the scale-out store.

Each counter is one row, created or bumped by a single upsert the database evaluates
(``INSERT … ON CONFLICT DO UPDATE … RETURNING``), so two processes hitting the same key count
exactly. Expired rows are deleted on write, at most once a minute per process.

Transactions: a call makes its own short transaction on its own connection. Reads never take
SQLite's write lock; a write does, so it must not be made while the request's session holds
that lock (it would wait for itself until the busy timeout). Inside ``on_connection(conn)``
calls use ``conn`` instead, so that counters commit together with what the caller writes
there; inside ``batch()`` several calls share one transaction.
"""

from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from limits.storage import Storage
from sqlalchemy import Integer, String, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from .database import UTCDateTime, utcnow
from .extensions import db

DATABASE_STORAGE_URI = "database://"
CLEANUP_INTERVAL_SECONDS = 60
_KEY_LENGTH = 255

_connection: ContextVar = ContextVar("koin_rate_limit_connection", default=None)


class RateLimitCounter(db.Model):
    """One fixed-window counter; a row past ``expires_at`` counts as absent."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(_KEY_LENGTH), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


def _stored_key(key: str) -> str:
    # Keys carry the e-mail typed, whose length the JSON API does not bound.
    if len(key) <= _KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseStorage(Storage):
    """``limits`` storage on the app's SQLAlchemy engine (fixed-window strategy only)."""

    STORAGE_SCHEME = ["database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._last_cleanup = float("-inf")

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    @contextmanager
    def _transaction(self, write: bool = True):
        bound = _connection.get()
        if bound is not None:
            yield bound
            return
        # A write begins with SQLite's write lock even on a GET; a read never takes it, even
        # on a POST: Flask-Limiter reads counters for its headers after the view, when the
        # request's own transaction may hold the lock (see database._wants_write_lock).
        with db.engine.connect() as conn:
            conn = conn.execution_options(sqlite_write=write)
            with conn.begin():
                token = _connection.set(conn)
                try:
                    yield conn
                finally:
                    _connection.reset(token)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = utcnow()
        table = RateLimitCounter.__table__
        with self._transaction() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            fresh = table.c.expires_at <= now
            insert = dialect.insert(table).values(
                key=_stored_key(key), count=amount, expires_at=now + timedelta(seconds=expiry)
            )
            # One statement decides, so concurrent hits from several processes count exactly;
            # an expired row starts a new window in place.
            upsert = insert.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "count": case((fresh, insert.excluded.count), else_=table.c.count + amount),
                    "expires_at": case((fresh, insert.excluded.expires_at), else_=table.c.expires_at),
                },
            ).returning(table.c.count)
            count = conn.execute(upsert).scalar_one()
            self._clean_expired(conn, now)
        return count

    def _clean_expired(self, conn, now: datetime) -> None:
        if time.monotonic() - self._last_cleanup < CLEANUP_INTERVAL_SECONDS:
            return
        self._last_cleanup = time.monotonic()
        conn.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at <= now))

    def _live(self, key: str):
        with self._transaction(write=False) as conn:
            return conn.execute(
                select(RateLimitCounter.count, RateLimitCounter.expires_at).where(
                    RateLimitCounter.key == _stored_key(key), RateLimitCounter.expires_at > utcnow()
                )
            ).first()

    def get(self, key: str) -> int:
        row = self._live(key)
        return row.count if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._live(key)
        return row.expires_at.timestamp() if row else time.time()

    def check(self) -> bool:
        with self._transaction(write=False) as conn:
            conn.execute(select(1))
        return True

    def reset(self) -> int | None:
        with self._transaction() as conn:
            return conn.execute(delete(RateLimitCounter)).rowcount

    def clear(self, key: str) -> None:
        with self._transaction() as conn:
            conn.execute(delete(RateLimitCounter).where(RateLimitCounter.key == _stored_key(key)))


def batch(storage):
    """Several calls in one short transaction (other stores: each call as usual)."""
    return storage._transaction() if isinstance(storage, DatabaseStorage) else nullcontext()


@contextmanager
def on_connection(connection):
    """Counters written within this block commit (or roll back) with ``connection``."""
    token = _connection.set(connection)
    try:
        yield
    finally:
        _connection.reset(token)


def expires_in(storage, key: str) -> int:
    """Whole seconds until ``key``'s window ends (at least 1): the Retry-After to send."""
    return max(1, int(storage.get_expiry(key) - datetime.now(UTC).timestamp() + 0.999))
