"""Full-text search over title, description, tags and community, with the database's own
engine behind one function: SQLite FTS5, or PostgreSQL tsvector with a GIN index.

The index tables are made by the migrations (one kind per database) and kept outside the ORM
models; ``index`` is called wherever an asset's searchable text changes, ``rebuild`` refills
the whole index (``flask --app wsgi media reindex``).

The rule, the same on both databases and in ``highlight``: a query word matches a word of the
asset's text that starts with it ("kop" → "kopi"), or whose Indonesian stem, or which itself,
is the query word's stem ("pantainya" → "pantai", "tenun" → "menenun"). Words and stems come
from ``stemming``; the index holds the folded words of each field plus, in their own column
(SQLite) or at the lowest weight D (PostgreSQL), the stems not already among the words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import Integer, column, select, text
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import db
from ..reference.models import Community
from . import stemming
from .models import Asset

TABLE = "asset_search"
MAX_TERMS = 8
# Longer input is cut before it is read: nobody types more, and it bounds the work a hostile
# query can ask for (folding, stemming, the size of the MATCH string).
MAX_QUERY_CHARS = 500
MAX_WORD_CHARS = 64
WORD_COLUMNS = "{title description tags community}"
ELLIPSIS = "…"
_SPACE = re.compile(r"\s+")


def _dialect() -> str:
    return db.session.get_bind().dialect.name


# --- Indexing -----------------------------------------------------------------------------


def _insert_statement():
    if _dialect() == "postgresql":
        # Stems weigh D, below every word, so a ranking prefers the words the user typed.
        return text(
            f"INSERT INTO {TABLE} (asset_id, document) VALUES (:id, "
            "setweight(to_tsvector('simple', :title), 'A') || "
            "setweight(to_tsvector('simple', :tags), 'A') || "
            "setweight(to_tsvector('simple', :community), 'B') || "
            "setweight(to_tsvector('simple', :description), 'C') || "
            "setweight(to_tsvector('simple', :stems), 'D')) "
            "ON CONFLICT (asset_id) DO UPDATE SET document = EXCLUDED.document"
        )
    return text(
        f"INSERT INTO {TABLE} (rowid, title, description, tags, community, stems) "
        "VALUES (:id, :title, :description, :tags, :community, :stems)"
    )


def _row(asset_id: int, title: str | None, description: str | None, tags: str | None, community: str | None) -> dict:
    return {"id": asset_id, **stemming.document(title or "", description or "", tags or "", community or "")}


def index(asset: Asset) -> None:
    """Replace the asset's entry in the search index (in the caller's transaction)."""
    db.session.flush()
    row = _row(asset.id, asset.title, asset.description, asset.tags, asset.community.name if asset.community else "")
    if _dialect() != "postgresql":  # FTS5 has no upsert
        db.session.execute(text(f"DELETE FROM {TABLE} WHERE rowid = :id"), {"id": asset.id})
    db.session.execute(_insert_statement(), row)


def rebuild(batch_size: int = 5000) -> int:
    """Empty the index and fill it again from every asset, in the caller's transaction; returns
    the number of rows indexed. Reads plain rows (no ORM objects) in id order, one batch at a
    time, and inserts each batch with one executemany, so 100k assets take seconds."""
    db.session.flush()
    db.session.execute(text(f"DELETE FROM {TABLE}"))
    insert = _insert_statement()
    rows = (
        select(Asset.id, Asset.title, Asset.description, Asset.tags, Community.name)
        .outerjoin(Community, Community.id == Asset.community_id)
        .order_by(Asset.id)
        .limit(batch_size)
    )
    total, last_id = 0, None
    while True:
        page = rows if last_id is None else rows.where(Asset.id > last_id)
        batch = db.session.execute(page).all()
        if not batch:
            return total
        db.session.execute(insert, [_row(*asset) for asset in batch])
        total += len(batch)
        last_id = batch[-1][0]


def remove(asset: Asset) -> None:
    key = "asset_id" if _dialect() == "postgresql" else "rowid"
    db.session.execute(text(f"DELETE FROM {TABLE} WHERE {key} = :id"), {"id": asset.id})


# --- Matching -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    word: str
    stem: str

    def matches(self, folded_word: str) -> bool:
        """The rule above, for one folded word of the text."""
        return folded_word.startswith(self.word) or self.stem in (folded_word, stemming.stem(folded_word))


def _terms(query: str | None) -> list[Term]:
    found = dict.fromkeys(w[:MAX_WORD_CHARS] for w in stemming.words((query or "")[:MAX_QUERY_CHARS]))
    return [Term(w, stemming.stem(w)) for w in list(found)[:MAX_TERMS]]


def terms(query: str | None) -> list[str]:
    """The words of ``query`` that search uses (folded, at most MAX_TERMS)."""
    return [term.word for term in _terms(query)]


def match_expression(query: str | None, any_word: bool = False) -> str | None:
    """The query in the dialect's own syntax: an FTS5 MATCH string for ``asset_search MATCH``
    on SQLite, a tsquery text for ``to_tsquery('simple', …)`` on PostgreSQL. None when the
    query has no words. Only letters and digits of the input reach it, each word quoted (FTS5)
    or bare (tsquery), so quotes, operators (NEAR, OR, *, ^, -), parentheses and column
    filters in the input are plain text."""
    found = _terms(query)
    if not found:
        return None
    if _dialect() == "postgresql":
        # A prefix only on the words (weights A–C), not on the stems (D): "ten" must not find
        # an asset whose only trace of it is the stem "tenun" of "menenun".
        groups = [f"({t.word}:*ABC | {t.stem})" for t in found]
        return (" | " if any_word else " & ").join(groups)
    groups = [f'({WORD_COLUMNS} : "{t.word}"* OR "{t.stem}")' for t in found]
    return (" OR " if any_word else " AND ").join(groups)


def matching(query: str | None, any_word: bool = False) -> ColumnElement[bool] | None:
    """A filter on Asset.id for assets whose text matches every word of ``query`` (or any
    word, with ``any_word``) by prefix or stem; None when the query has no words."""
    expression = match_expression(query, any_word)
    if expression is None:
        return None
    if _dialect() == "postgresql":
        ids = text(f"SELECT asset_id FROM {TABLE} WHERE document @@ to_tsquery('simple', :q)").bindparams(q=expression)
        return Asset.id.in_(ids.columns(column("asset_id", Integer)))
    ids = text(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH :q").bindparams(q=expression)
    return Asset.id.in_(ids.columns(column("rowid", Integer)))


# --- Highlighting -------------------------------------------------------------------------


def _matched_spans(text_: str, found: list[Term]) -> list[tuple[int, int]]:
    """Where the words of ``text_`` that the query matched are: each word as
    ``stemming.word_spans`` finds it, marked when one of its folded words matches."""
    return [
        (start, end)
        for start, end, folded in stemming.word_spans(text_)
        if any(term.matches(w) for w in folded for term in found)
    ]


def _window(text_: str, first: tuple[int, int], max_chars: int) -> tuple[int, int]:
    """Start and end of a snippet of at most ``max_chars`` showing the ``first`` match (when
    it fits), cut at white space where there is some, not inside a word."""
    if len(text_) <= max_chars:
        return 0, len(text_)
    # The match about a quarter in: some words before it say what it is about.
    start = max(0, min(first[0] - max_chars // 4, len(text_) - max_chars))
    end = start + max_chars
    if start > 0 and (space := _SPACE.search(text_, start, first[0])):
        start = space.end()
    if end < len(text_):
        spaces = list(_SPACE.finditer(text_, max(start, first[1]), end + 1))
        end = spaces[-1].start() if spaces else end
    return start, end


def highlight(text_: str | None, query: str | None, max_chars: int | None = None) -> Markup:
    """``text_`` HTML-escaped, with every word the query matched (prefix or stem, as in the
    index) wrapped in <mark>; with ``max_chars``, a snippet around the first match, with "…"
    where it was cut."""
    # Composed, so that "é" typed as "e" + accent is one letter, as the index read it.
    text_ = unicodedata.normalize("NFC", text_ or "")
    found = _terms(query)
    spans = _matched_spans(text_, found) if found else []
    start, end = 0, len(text_)
    if max_chars is not None:
        start, end = _window(text_, spans[0] if spans else (0, 0), max_chars)
    pieces, position = [], start
    for span_start, span_end in spans:
        if span_start < start or span_end > end:
            continue
        pieces += [escape(text_[position:span_start]), Markup("<mark>"), escape(text_[span_start:span_end])]
        pieces.append(Markup("</mark>"))
        position = span_end
    pieces.append(escape(text_[position:end]))
    snippet = Markup("").join(pieces)
    return (ELLIPSIS if start > 0 else "") + snippet + (ELLIPSIS if end < len(text_) else "")
