"""The scratch database a database benchmark seeds and measures: a temporary SQLite file by
default, or, with ``--database-url URL --reset``, a PostgreSQL database whose public schema is
dropped first (``--reset`` says the run may empty it); the schema is the app's migrations.

    parser = argparse.ArgumentParser(); add_database_options(parser); args = parser.parse_args()
    with scratch_app(parser, args, "name") as (app, url), app.app_context():
        ...
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script, Python puts bench/ on the path, not the project
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from koin_media import create_app  # noqa: E402
from koin_media.extensions import db  # noqa: E402


def add_database_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="PostgreSQL database to use (needs --reset)")
    parser.add_argument("--reset", action="store_true", help="drop the database's public schema first")


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@contextmanager
def scratch_app(parser: argparse.ArgumentParser, args: argparse.Namespace, name: str) -> Iterator[tuple[Flask, str]]:
    """The app on a freshly migrated database (and its storage in a temporary directory), and
    the database's URL; its connections are closed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/{name}.sqlite3"
        if args.database_url:
            if not args.reset:
                parser.error("--database-url empties that database: add --reset to confirm")
            reset_postgres(url)
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                          "STORAGE_DIR": f"{tmp}/storage", "PROCESSING_DIR": f"{tmp}/processing"})  # fmt: skip
        with app.app_context():
            upgrade()
        try:
            yield app, url
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
