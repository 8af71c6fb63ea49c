"""The public catalogue, computed once and served many times.

What anonymous visitors see of the catalogue (lists, search results, asset pages, facet
counts, the reference lists behind the filters) changes only when an asset enters, leaves or
changes inside the catalogue, or a community, regency or venue changes. Every such change
bumps one number, the catalogue generation (table ``catalog_state``), in the transaction that
makes it. Results and whole anonymous responses are kept in memory, per process, with the
generation they were made under:

- a process re-reads the generation at most once a second, and at once after its own commits,
  so a change made by another process shows within a second;
- a whole response is also never older than ``PAGE_CACHE_SECONDS`` (download counts, which
  change without a new generation, and the signed image links inside, which stay valid for
  ``DOWNLOAD_URL_TTL``);
- only requests without a signed-in user, a bearer token or pending messages are served from
  it, and only responses that set no cookie are kept.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Response, current_app, g, has_app_context, request, session
from sqlalchemy import BigInteger, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .extensions import db, limiter
from .i18n import visitor_locale
from .security import cookie_signs_someone_in

CHECK_SECONDS = 1.0
PAGE_CACHE_BYTES = 32 * 1024 * 1024
MEMO_ENTRIES = 512
RECENT_ENTRIES = 20_000
GZIP_MIN_BYTES = 1024


class CatalogState(db.Model):
    """One row: the catalogue's generation, bumped by every change anonymous pages show."""

    __tablename__ = "catalog_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, server_default="0")


# --- the generation ------------------------------------------------------------------------

_WATCHED: dict[type, Callable[[object], bool]] = {}


def watch(model: type, touches_catalog: Callable[[object], bool] | None = None) -> None:
    """Bump the generation whenever a flush adds, changes or deletes a ``model`` row (for
    which ``touches_catalog`` says yes)."""
    _WATCHED[model] = touches_catalog or (lambda _obj: True)


@event.listens_for(Session, "before_flush")
def _bump_on_change(session, _context, _instances) -> None:
    if session.info.get("catalog_changed"):
        return  # once per transaction is enough
    for obj in (*session.new, *session.dirty, *session.deleted):
        touches = _WATCHED.get(type(obj))
        if touches is not None and touches(obj):
            connection = session.connection()
            bumped = connection.execute(update(CatalogState).values(generation=CatalogState.generation + 1))
            if bumped.rowcount == 0:  # the row the migration made is gone (an emptied test database)
                connection.execute(insert(CatalogState).values(id=1, generation=1))
            session.info["catalog_changed"] = True
            return


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    if session.info.pop("catalog_changed", False) and has_app_context():
        _state().generation.stale = True


@event.listens_for(Session, "after_rollback")
def _after_rollback(session) -> None:
    session.info.pop("catalog_changed", None)


class _Generation:
    def __init__(self):
        self.value: int | None = None
        self.checked = 0.0
        self.stale = True
        self.lock = threading.Lock()

    def current(self) -> int:
        now = time.monotonic()
        if self.stale or now - self.checked >= CHECK_SECONDS or self.value is None:
            with self.lock:
                if self.stale or now - self.checked >= CHECK_SECONDS or self.value is None:
                    self.stale = False
                    with db.engine.connect() as connection:
                        value = connection.scalar(select(CatalogState.generation).where(CatalogState.id == 1))
                    self.value, self.checked = (value or 0), now
        return self.value


def generation() -> int:
    return _state().generation.current()


# --- results ------------------------------------------------------------------------------


class _LRU:
    def __init__(self, max_entries: int, max_bytes: int | None = None):
        self.items: OrderedDict = OrderedDict()
        self.max_entries, self.max_bytes, self.bytes = max_entries, max_bytes, 0
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key, value, size: int = 0) -> None:
        with self.lock:
            old = self.items.pop(key, None)
            if old is not None:
                self.bytes -= getattr(old, "size", 0)
            self.items[key] = value
            self.bytes += size
            while len(self.items) > self.max_entries or (self.max_bytes and self.bytes > self.max_bytes):
                _key, evicted = self.items.popitem(last=False)
                self.bytes -= getattr(evicted, "size", 0)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.bytes = 0


class _Flights:
    """One computation per key at a time: the threads that ask for a missing page or count
    while it is being computed wait for it, instead of all computing it at once (a cold
    search at a million assets took seconds when all eight threads of a worker ran it).
    Striped locks keep the table bounded; reentrant, as a page computes counts inside."""

    def __init__(self, stripes: int = 64):
        self.locks = [threading.RLock() for _ in range(stripes)]

    def lock(self, key) -> threading.RLock:
        return self.locks[hash(key) % len(self.locks)]


class _AppState:
    """What one app keeps (an app per process in production; several in the tests, each on
    its own database, so nothing kept for one is served by another)."""

    def __init__(self):
        self.generation = _Generation()
        self.memo = _LRU(MEMO_ENTRIES)
        self.recent = _LRU(RECENT_ENTRIES)
        self.pages = _LRU(4096, PAGE_CACHE_BYTES)
        self.memo_flights = _Flights()
        self.page_flights = _Flights()


def init_app(app) -> None:
    app.extensions["koin_pagecache"] = _AppState()


def _state() -> _AppState:
    return current_app.extensions["koin_pagecache"]


def memo(key: tuple, compute: Callable[[], object]):
    """``compute()`` once per catalogue generation (per process) for ``key``."""
    state = _state()
    current = state.generation.current()
    entry = state.memo.get(key)
    if entry is not None and entry[0] == current:
        return entry[1]
    with state.memo_flights.lock(key):
        entry = state.memo.get(key)  # computed by the thread this one waited for
        if entry is not None and entry[0] == current:
            return entry[1]
        value = compute()
        state.memo.put(key, (current, value))
    return value


def recent(key: tuple, max_age: float, compute: Callable[[], object]):
    """``compute()`` at most once per ``max_age`` seconds (per process) for ``key``, whatever
    the generation (signed links: valid for a while whatever the catalogue does)."""
    state = _state()
    now = time.monotonic()
    entry = state.recent.get(key)
    if entry is not None and now - entry[0] < max_age:
        return entry[1]
    value = compute()
    state.recent.put(key, (now, value))
    return value


# --- whole responses ---------------------------------------------------------------------


@dataclass
class _Page:
    generation: int
    stored: float
    body: bytes
    content_type: str
    etag: str
    size: int = 0
    gzipped: bytes | None = field(default=None, repr=False)

    @classmethod
    def of(cls, response: Response, current: int) -> _Page:
        body = response.get_data()
        etag = hashlib.blake2b(body, digest_size=12).hexdigest()
        return cls(current, time.monotonic(), body, response.content_type, etag, size=len(body))

    def gzip_body(self) -> bytes:
        if self.gzipped is None:
            self.gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self.gzipped


def _for_anybody() -> bool:
    """Whether this request sees what every anonymous visitor in its language sees."""
    if request.method not in ("GET", "HEAD") or "Authorization" in request.headers:
        return False
    return not cookie_signs_someone_in() and "_flashes" not in session


def _variant() -> tuple:
    """What decides the answer: the URL (with scheme and host: pages carry absolute links,
    and one host's page must never be served for another, a cache-poisoning classic) and the
    language (the session's, or for the API the Accept-Language header)."""
    return (request.scheme, request.host, request.path, request.query_string, visitor_locale())


def visitor_cache(view):
    """Serve ``view``'s answers to anonymous visitors from memory (see the module docstring),
    with an ETag so a browser revalidates with a 304 instead of downloading the page again."""

    @functools.wraps(view)
    def cached(*args, **kwargs):
        max_age = current_app.config["PAGE_CACHE_SECONDS"]
        if max_age <= 0 or not _for_anybody():
            return view(*args, **kwargs)
        state = _state()
        key, current = _variant(), state.generation.current()
        page = state.pages.get(key)
        if not _fresh(page, current, max_age):
            with state.page_flights.lock(key):
                page = state.pages.get(key)  # made by the thread this one waited for
                if not _fresh(page, current, max_age):
                    g.shared_page = True  # templates leave out what is one visitor's (the CSRF token)
                    response = current_app.make_response(view(*args, **kwargs))
                    if not _shareable(response):
                        return response
                    page = _Page.of(response, current)
                    state.pages.put(key, page, page.size)
        return _answer(page)

    cached.shared_page = True
    return cached


@limiter.request_filter  # registered once, with the limiter every app shares
def unrationed() -> bool:
    """Limiter request filter: pages shared by every visitor carry no rate limit, so the
    limiter need not work out which limits apply (a third of a cached page's cost)."""
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, "shared_page", False)


def _fresh(page: _Page | None, current: int, max_age: float) -> bool:
    return page is not None and page.generation == current and time.monotonic() - page.stored <= max_age


def _shareable(response: Response) -> bool:
    """A whole 200 answer that gives the visitor nothing of its own (no cookie)."""
    if response.status_code != 200 or session.modified or "Set-Cookie" in response.headers:
        return False
    return not (response.direct_passthrough or response.is_streamed)


def _answer(page: _Page) -> Response:
    response = Response(status=200, content_type=page.content_type)
    response.headers["Cache-Control"] = "no-cache"  # kept, but revalidated (a 304) before reuse
    compressible = len(page.body) >= GZIP_MIN_BYTES
    # Set whole (werkzeug's vary.add parses the header again each time).
    response.headers["Vary"] = "Cookie, Accept-Encoding" if compressible else "Cookie"
    gzipped = compressible and "gzip" in request.accept_encodings
    etag = page.etag + ("-gz" if gzipped else "")  # each encoding its own tag (RFC 9110 8.8.3)
    response.set_etag(etag)
    if request.if_none_match.contains(etag):
        response.status_code = 304
    elif gzipped:
        response.set_data(page.gzip_body())
        response.headers["Content-Encoding"] = "gzip"
    else:
        response.set_data(page.body)
    return response
