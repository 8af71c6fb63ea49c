"""Full-text search over title, description, tags and community, with the database's own
engine behind one function: SQLite FTS5, or PostgreSQL tsvector with a GIN index.

The index tables are made by the migration (one kind per database) and kept outside the ORM
models; ``index`` is called wherever an asset's searchable text changes.
"""

from __future__ import annotations

import re

from sqlalchemy import Integer, column, text
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import db
from .models import Asset

TABLE = "asset_search"
MAX_TERMS = 8
_WORD = re.compile(r"\w+", re.UNICODE)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _document(asset: Asset) -> dict:
    return {
        "id": asset.id,
        "title": asset.title or "",
        "description": asset.description or "",
        "tags": " ".join(asset.tag_list),
        "community": asset.community.name if asset.community else "",
    }


def index(asset: Asset) -> None:
    """Replace the asset's entry in the search index (in the caller's transaction)."""
    db.session.flush()
    doc = _document(asset)
    if _dialect() == "postgresql":
        db.session.execute(
            text(
                f"INSERT INTO {TABLE} (asset_id, document) VALUES (:id, "
                "setweight(to_tsvector('simple', :title), 'A') || "
                "setweight(to_tsvector('simple', :tags), 'A') || "
                "setweight(to_tsvector('simple', :community), 'B') || "
                "setweight(to_tsvector('simple', :description), 'C')) "
                "ON CONFLICT (asset_id) DO UPDATE SET document = EXCLUDED.document"
            ),
            doc,
        )
    else:
        db.session.execute(text(f"DELETE FROM {TABLE} WHERE rowid = :id"), {"id": asset.id})
        db.session.execute(
            text(
                f"INSERT INTO {TABLE} (rowid, title, description, tags, community) "
                "VALUES (:id, :title, :description, :tags, :community)"
            ),
            doc,
        )


def remove(asset: Asset) -> None:
    key = "asset_id" if _dialect() == "postgresql" else "rowid"
    db.session.execute(text(f"DELETE FROM {TABLE} WHERE {key} = :id"), {"id": asset.id})


def terms(query: str) -> list[str]:
    return [t.lower() for t in _WORD.findall(query or "")][:MAX_TERMS]


def matching(query: str) -> ColumnElement[bool] | None:
    """A filter on Asset.id for assets whose text matches every word of ``query`` (as a
    prefix, so "kop" finds "kopi"); None when the query has no words."""
    words = terms(query)
    if not words:
        return None
    if _dialect() == "postgresql":
        tsquery = " & ".join(f"{w}:*" for w in words)
        ids = text(f"SELECT asset_id FROM {TABLE} WHERE document @@ to_tsquery('simple', :q)").bindparams(q=tsquery)
        return Asset.id.in_(ids.columns(column("asset_id", Integer)))
    fts = " ".join('"{}"*'.format(w.replace('"', "")) for w in words)
    ids = text(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH :q").bindparams(q=fts)
    return Asset.id.in_(ids.columns(column("rowid", Integer)))
