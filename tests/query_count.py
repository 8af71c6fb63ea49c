"""The SQL statements a piece of code sends: for tests that a page's query count does not grow
with its length (no N+1)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event

from koin_media.extensions import db


def statements_of(action: Callable[[], object]) -> list[str]:
    """Run ``action`` and return the statements it sent to the app's database."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return statements
