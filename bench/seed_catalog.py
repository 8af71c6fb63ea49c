"""Seed a database with N approved catalogue assets for ``bench/catalog.py``, fast, and keep it.

    .venv/bin/python bench/seed_catalog.py [--n 100000] [--db sqlite|postgresql] [--no-reuse]

Steps: a fresh database migrated by ``flask --app wsgi db upgrade``; the app's reference data
and demo venues by ``flask --app wsgi seed-demo --no-users``; then, with SQLAlchemy Core
(``seed_rows.py``: COPY on PostgreSQL, executemany in batches on SQLite, no ORM objects), a few
more venues, a few hundred creators and N approved assets with Indonesian text from
``vocabulary.py``, mixed kinds and licences, approval dates spread over five years and skewed
download counts. Every asset's thumbnail is one of a few real JPEGs put in the local storage
directory: the pages only sign their URLs. The search index is filled by the app's own
``koin_media.assets.search.rebuild()``; PostgreSQL then gets ``VACUUM ANALYZE`` (what
autovacuum would soon do on a live database), SQLite nothing more than the app itself does.

SQLite files live in the cache directory (``bench/.cache/catalog-<N>.sqlite3``). PostgreSQL gets
one database per N next to the one ``KOIN_BENCH_DATABASE_URL`` names (``<name>_n<N>``), made
with that URL's role, which needs CREATEDB; the named database itself is never written to.
A ``bench_seed`` table in each seeded database records N, fingerprints of the migrations, of
the seeding code and of the search-indexing code, and how long seeding took. A later run reuses
the database when they still match; when only the search code changed it refills the index.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import Column, MetaData, String, Table, Text, create_engine, func, insert, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# Run as a script, Python puts bench/ on the path, not the project: the app's package is one up.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import seed_rows  # noqa: E402

from koin_media import create_app  # noqa: E402
from koin_media.assets import search  # noqa: E402
from koin_media.assets.models import APPROVED, Asset  # noqa: E402
from koin_media.database import write_intent  # noqa: E402
from koin_media.extensions import db  # noqa: E402

VENV_BIN = Path(sys.executable).parent
DEFAULT_CACHE = BENCH / ".cache"
# What a seeded database depends on: a change to any of these files makes a new one ...
SCHEMA_FILES = (
    *sorted((ROOT / "migrations" / "versions").glob("*.py")),
    BENCH / "seed_catalog.py",
    BENCH / "seed_rows.py",
    BENCH / "vocabulary.py",
)
# ... and a change to these only refills its search index.
INDEX_FILES = (ROOT / "koin_media" / "assets" / "search.py", ROOT / "koin_media" / "assets" / "stemming.py")
SHARE_QUERIES = ("pantai", "kopi sembalun")

marker_table = Table(
    "bench_seed", MetaData(), Column("key", String(40), primary_key=True), Column("value", Text, nullable=False)
)


@dataclass
class Seeded:
    """A seeded database, as ``catalog.py`` needs it and as the result files record it."""

    url: str
    n: int
    asset_id: int  # an approved asset in the middle of the list, for /assets/<id>
    seed_seconds: float  # inserting the rows (users, venues, assets)
    index_seconds: float  # search.rebuild()
    shares: dict  # query -> share of the assets the app's search finds for it
    schema: str
    index: str
    reused: bool = False

    @property
    def rows_per_second(self) -> float:
        return self.n / self.seed_seconds if self.seed_seconds else 0.0


def fingerprint(paths) -> str:
    digest = hashlib.sha256()
    for path in paths:
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def database_url(kind: str, n: int, cache_dir: Path, postgresql_url: str | None) -> str:
    if kind == "sqlite":
        return f"sqlite:///{cache_dir / f'catalog-{n}.sqlite3'}"
    if not postgresql_url:
        raise SystemExit("--db postgresql needs KOIN_BENCH_DATABASE_URL (postgresql+psycopg://user:pass@host/name)")
    base = make_url(postgresql_url)
    return base.set(database=f"{base.database}_n{n}").render_as_string(hide_password=False)


def app_environment(url: str, storage_dir: Path, work_dir: Path, secret_key: str, extra: dict | None = None) -> dict:
    """The environment of every app process of the benchmark (flask CLI, gunicorn): the
    embedded defaults (local storage, SQLite queue, rate limits in the database) on the seeded
    database, whatever KOIN_* settings the caller's shell has, plus ``extra`` (``--env``)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KOIN_")}
    env.update(
        KOIN_DATABASE_URL=url,
        KOIN_SECRET_KEY=secret_key,
        KOIN_DEBUG="false",
        KOIN_STORAGE_BACKEND="local",
        KOIN_STORAGE_DIR=str(storage_dir),
        KOIN_QUEUE_PATH=str(work_dir / "queue.sqlite3"),
        KOIN_MAIL_DIR=str(work_dir / "mail"),
        KOIN_PROCESSING_DIR=str(work_dir / "processing"),
    )
    env.update(extra or {})
    return env


def read_marker(url: str) -> dict | None:
    """What the database at ``url`` was seeded with, or None (no such database, not seeded)."""
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("bench_seed"):
                return None
            value = conn.scalar(select(marker_table.c.value).where(marker_table.c.key == "seed"))
            return json.loads(value) if value else None
    except OperationalError as exc:
        # PostgreSQL's "database ... does not exist" is a database to make; a server that
        # cannot be reached, or a wrong password, is for the user to fix.
        if "does not exist" in str(exc):
            return None
        raise
    finally:
        engine.dispose()


def write_marker(seeded: Seeded) -> None:
    engine = create_engine(seeded.url)
    record = {k: v for k, v in asdict(seeded).items() if k not in ("url", "reused")}
    with engine.begin() as conn:
        marker_table.create(conn, checkfirst=True)
        conn.execute(marker_table.delete())
        conn.execute(insert(marker_table).values(key="seed", value=json.dumps(record)))
    engine.dispose()


def fresh_database(url: str) -> None:
    """An empty database at ``url``: the SQLite file removed, or the PostgreSQL one recreated."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    # CREATE/DROP DATABASE cannot run in a transaction, nor while connected to that database.
    maintenance = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = parsed.database.replace('"', '""')
    with maintenance.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    maintenance.dispose()


def run_flask(args: list[str], env: dict) -> None:
    done = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def seed(url: str, n: int, storage_dir: Path, work_dir: Path, secret_key: str) -> Seeded:
    """Fill a migrated database that holds the reference data; returns what was made."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secret_key,
            "STORAGE_BACKEND": "local",
            "STORAGE_DIR": str(storage_dir),
            "QUEUE_PATH": str(work_dir / "queue.sqlite3"),
            "MAIL_DIR": str(work_dir / "mail"),
        }
    )
    with app.app_context(), write_intent():
        started = time.perf_counter()
        seed_rows.fill(n)
        db.session.commit()
        seed_seconds = time.perf_counter() - started
        index_seconds = rebuild_index()
        shares = {query: round(search_share(query, n), 4) for query in SHARE_QUERIES}
        ids = select(Asset.id).where(Asset.status == APPROVED).order_by(Asset.id)
        asset_id = db.session.scalar(ids.offset(n // 2).limit(1))
        db.session.commit()
        db.engine.dispose()
    return Seeded(url, n, asset_id, round(seed_seconds, 3), round(index_seconds, 3), shares, "", "")


def search_share(query: str, n: int) -> float:
    """The share of the assets the app's own search finds for ``query`` (words, prefixes, stems)."""
    return db.session.scalar(select(func.count()).select_from(Asset).where(search.matching(query))) / n


def rebuild_index() -> float:
    """Fill the search index with the app's own code, in the current app context."""
    started = time.perf_counter()
    search.rebuild()
    db.session.commit()
    seconds = time.perf_counter() - started
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return seconds


def reindex(url: str, storage_dir: Path, work_dir: Path, secret_key: str) -> float:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key, "STORAGE_DIR": str(storage_dir)})
    with app.app_context(), write_intent():
        seconds = rebuild_index()
        db.engine.dispose()
    return seconds


def prepare(
    kind: str,
    n: int,
    *,
    cache_dir: Path = DEFAULT_CACHE,
    postgresql_url: str | None = None,
    reuse: bool = True,
    force_reindex: bool = False,
    log=print,
) -> Seeded:
    """A database with N seeded assets: the one kept from an earlier run when it still fits,
    else a new one."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    storage_dir = cache_dir / "storage"
    url = database_url(kind, n, cache_dir, postgresql_url)
    schema, index = fingerprint(SCHEMA_FILES), fingerprint(INDEX_FILES)
    secret_key = secrets.token_urlsafe(32)
    work_dir = Path(tempfile.mkdtemp(prefix="koin-seed-"))
    shown = make_url(url).render_as_string(hide_password=True)
    marker = read_marker(url) if reuse else None
    if marker and marker.get("n") == n and marker.get("schema") == schema:
        seeded = Seeded(url=url, reused=True, **{k: marker[k] for k in Seeded.__dataclass_fields__ if k in marker})
        if force_reindex or marker.get("index") != index:
            log(f"Reusing {shown}; the search code changed, refilling its index …")
            seeded.index_seconds = round(reindex(url, storage_dir, work_dir, secret_key), 3)
            seeded.index = index
            write_marker(seeded)
        else:
            log(f"Reusing {shown} ({n:,} assets, seeded in {seeded.seed_seconds:.1f} s).")
        return seeded
    if reuse and marker:
        log(f"{shown} was seeded for other code or another N: seeding it again.")
    log(f"Seeding {n:,} assets into {shown} …")
    fresh_database(url)
    env = app_environment(url, storage_dir, work_dir, secret_key)
    run_flask(["db", "upgrade"], env)
    run_flask(["seed-demo", "--no-users"], env)
    seeded = seed(url, n, storage_dir, work_dir, secret_key)
    seeded.schema, seeded.index = schema, index
    write_marker(seeded)
    log(
        f"Seeded {n:,} assets in {seeded.seed_seconds:.1f} s ({seeded.rows_per_second:,.0f} rows/s); "
        f"search index filled in {seeded.index_seconds:.1f} s; "
        + ", ".join(f'"{q}" matches ~{share:.1%}' for q, share in seeded.shares.items())
    )
    return seeded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="approved assets to seed")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument(
        "--reuse", action=argparse.BooleanOptionalAction, default=True, help="keep a matching seeded database"
    )
    parser.add_argument("--reindex", action="store_true", help="refill the search index of a reused database")
    args = parser.parse_args()
    seeded = prepare(
        args.db,
        args.n,
        cache_dir=args.cache_dir,
        postgresql_url=os.environ.get("KOIN_BENCH_DATABASE_URL"),
        reuse=args.reuse,
        force_reindex=args.reindex,
    )
    print(json.dumps({k: v for k, v in asdict(seeded).items() if k != "url"}, indent=2))


if __name__ == "__main__":
    main()
