"""The catalogue's queries keep their shape at scale: on 20,000 approved assets the
list, a filtered list, a search for a common word and a deep page read an index in the
catalogue's order and stop after a page (no temporary sort on SQLite, an index scan on
PostgreSQL), and a page costs the same number of queries however deep it is."""

from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import event, text

from koin_media.assets import catalog
from koin_media.extensions import db

from .catalog_seed import seed_catalog

ROWS = 20_000
FRESH = itertools.count()


@pytest.fixture
def big_catalog(app, factory):
    creator = factory.user("creator")
    seed_catalog(creator.id, ROWS)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("VACUUM ANALYZE assets"))
            connection.execute(text("ANALYZE asset_search"))
        else:
            connection.execute(text("ANALYZE"))
    return app


def page_queries(client, path: str) -> list[tuple[str, object]]:
    """The SELECTs of card rows a GET of ``path`` ran (facet counts are kept per generation;
    an extra parameter makes the URL one the page cache has not seen)."""
    seen = []
    path = path + ("&" if "?" in path else "?") + f"uncached={next(FRESH)}"

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT assets.id, assets.title".upper()):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert len(seen) == 1, seen
    return seen


def plan(statement: str, parameters) -> str:
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
            return "\n".join(row[3] for row in rows)
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).fetchall()
        return "\n".join(row[0] for row in rows)


def assert_reads_in_order(statement: str, parameters, index: str = "ix_assets_catalog_newest") -> None:
    shown = plan(statement, parameters)
    if db.engine.dialect.name == "sqlite":
        assert f"SCAN assets USING INDEX {index}" in shown or f"SEARCH assets USING INDEX {index}" in shown, shown
        assert "TEMP B-TREE" not in shown, shown
    else:
        assert re.search(rf"Index (Only )?Scan( Backward)? using {index} on assets", shown), shown
        assert not re.search(r"^\s*(->\s*)?Sort\b", shown, re.MULTILINE), shown


def deep_link(client, path: str, depth: int) -> str:
    """The "next" link of a page ``depth`` rows into the list, found the way a client would:
    by following next links (a page of 100 at a time)."""
    link = path
    for _ in range(depth // 100):
        body = client.get(link).get_json()
        assert "next" in body, body
        link = body["next"]
    return link


def test_list_filter_search_and_deep_pages_read_an_index_in_order(big_catalog, client):
    for path in (
        "/api/v1/assets",
        "/assets",
        "/api/v1/assets?kind=video",
        "/assets?kind=image",
        "/api/v1/assets?q=pantai",
        "/assets?q=kopi+sembalun",
    ):
        (query,) = page_queries(client, path)
        assert_reads_in_order(*query)
    (query,) = page_queries(client, "/api/v1/assets?sort=popular&q=pantai")
    assert_reads_in_order(*query, index="ix_assets_catalog_popular")

    deep = deep_link(client, "/api/v1/assets?per_page=100", ROWS * 8 // 10)
    body = client.get(deep).get_json()
    assert len(body["items"]) == 100 and body["page"] is None
    (query,) = page_queries(client, deep.removeprefix("http://localhost"))
    assert_reads_in_order(*query)
    # A cursor: the index is entered where the page starts, not counted through up to it.
    assert "(assets.approved_at, assets.id) <" in query[0], query[0]
    html_deep = deep.removeprefix("http://localhost").replace("/api/v1/assets", "/assets").replace("per_page=100&", "")
    (query,) = page_queries(client, html_deep)
    assert_reads_in_order(*query)


def test_a_rare_word_or_a_narrow_filter_fetches_only_its_few_matches(big_catalog, client, factory):
    from .asset_helpers import approved_asset

    approved_asset(factory.user("creator"), "Gendang Beleq di Narmada")
    body = client.get("/api/v1/assets?q=beleq").get_json()
    assert [item["title"] for item in body["items"]] == ["Gendang Beleq di Narmada"]
    assert body["total"] <= catalog.SORT_MATCHES_UP_TO
    assert client.get("/api/v1/assets?kind=video&license=CC-BY-4.0").get_json()["total"] <= catalog.SORT_MATCHES_UP_TO
    for path in ("/api/v1/assets?q=beleq", "/assets?q=beleq", "/api/v1/assets?kind=video&license=CC-BY-4.0"):
        (query,) = page_queries(client, path)
        shown = plan(*query)
        # Not a walk through 20,000 index entries in order to find one: the matches, sorted.
        assert "ix_assets_catalog_newest" not in shown, shown
        if db.engine.dialect.name == "sqlite":
            assert "TEMP B-TREE FOR ORDER BY" in shown, shown
        else:
            assert re.search(r"^\s*(->\s*)?(Incremental )?Sort\b", shown, re.MULTILINE), shown


def test_deep_pages_cost_the_same_queries_as_the_first(big_catalog, client):
    def queries_of(path: str) -> int:
        client.get(path)  # facets and references are kept per generation; then count one page
        seen = []

        def listener(*_args):
            seen.append(1)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(path + "&fresh=1").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    deep = deep_link(client, "/api/v1/assets?per_page=100", 5000).removeprefix("http://localhost")
    assert queries_of("/api/v1/assets?per_page=100") == queries_of(deep)
