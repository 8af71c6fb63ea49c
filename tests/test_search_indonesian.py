"""Search as Indonesian users expect it: suffixes and prefixes find the root word and back
(Sastrawi stems), every word or any word, hostile input taken as plain words, matched words
highlighted by the same rule the database used; the same on SQLite and PostgreSQL."""

import html
import re

import pytest
from flask_migrate import downgrade, upgrade
from markupsafe import Markup
from sqlalchemy import func, select, text

from koin_media.assets import search, stemming
from koin_media.assets.models import Asset
from koin_media.extensions import db

from .asset_helpers import approved_asset

TEXTS = {
    "Pantai Kuta": ("Ombak pagi di pantai selatan Mandalika.", "laut"),
    "Kain Songket Sukarara": ("Kain tenunan ibu-ibu desa Sukarara.", "songket"),
    "Ibu Menenun di Pringgasela": ("Seorang ibu menenun benang katun di beranda.", "benang"),
    "Kopi Sembalun": ("Biji kopi dipanen di lereng Rinjani, diseduh di Café Senaru.", "panen"),
}


@pytest.fixture
def assets(app, factory):
    creator = factory.user("creator", name="Baiq Nurul")
    return {title: approved_asset(creator, title, description, tags) for title, (description, tags) in TEXTS.items()}


def found(query, any_word=False):
    condition = search.matching(query, any_word=any_word)
    return sorted(db.session.scalars(select(Asset.title).where(condition)))


def api_titles(client, query):
    response = client.get("/api/v1/assets", query_string={"q": query})
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(item["title"] for item in response.get_json()["items"])


STEMMED = [
    ("pantainya", ["Pantai Kuta"]),  # -nya
    ("berkain", ["Kain Songket Sukarara"]),  # ber-
    ("penenun", ["Ibu Menenun di Pringgasela", "Kain Songket Sukarara"]),  # peN- → "menenun", "tenunan"
    ("tenun", ["Ibu Menenun di Pringgasela", "Kain Songket Sukarara"]),  # the root finds the derived words
    ("Menenun", ["Ibu Menenun di Pringgasela", "Kain Songket Sukarara"]),
    ("kop", ["Kopi Sembalun"]),  # a prefix still works
    ("ten", ["Kain Songket Sukarara"]),  # a prefix of a word, not of a stem: not "menenun"
    ("CAFÉ", ["Kopi Sembalun"]),  # case and diacritics do not matter
    ("cafe", ["Kopi Sembalun"]),
    ("kopi sembalun", ["Kopi Sembalun"]),
    ("pantainya kopi", []),  # every word must match
    ("tenun kopi", []),
    ("pringgasela penenun", ["Ibu Menenun di Pringgasela"]),
]


@pytest.mark.parametrize(("query", "titles"), STEMMED)
def test_stems_and_prefixes_find_the_words_and_back(assets, client, query, titles):
    assert found(query) == titles
    # The API falls back to any word when every word finds nothing.
    assert api_titles(client, query) == (titles or found(query, any_word=True))


def test_any_word_matches_assets_with_at_least_one_word(assets):
    assert found("pantainya kopi", any_word=True) == ["Kopi Sembalun", "Pantai Kuta"]
    assert found("berkain zzz", any_word=True) == ["Kain Songket Sukarara"]
    assert found("zzz yyy", any_word=True) == []


def test_a_query_without_words_is_no_filter(app):
    for query in ("", None, "   ", "🌴☕", "?!*()", "--"):
        assert search.matching(query) is None
        assert search.match_expression(query) is None
        assert search.terms(query) == []


HOSTILE = [
    '"',
    "'",
    '"kopi',
    "kopi\"'",
    "NEAR(kopi pantai)",
    "NEAR(kopi pantai, 2)",
    "kopi OR pantai",
    "kopi AND",
    "NOT kopi",
    "AND OR NOT",
    "*",
    "kop*",
    "^kopi",
    "-kopi",
    "+kopi",
    "(kopi",
    "kopi)",
    "title:kopi",
    "{title description}: kopi",
    "stems:tenun",
    "kopi & pantai | !x <-> y",
    "kopi:*A",
    "'kopi':*",
    "\\kopi\\",
    "%_%",
    "'; DROP TABLE assets; --",
    "<script>alert('kopi')</script>",
    "kopi\x00pantai",
    "kopi 🌴",
    "² ½ ﬁ ١٢٣",
    "İstanbul ß ǅ",
    "kopi " * 5000,
    "x" * 100_000,
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_plain_words_and_never_an_error(assets, client, query):
    for any_word in (False, True):
        condition = search.matching(query, any_word=any_word)
        if condition is not None:
            db.session.scalar(select(func.count()).select_from(Asset).where(condition))
    response = client.get("/api/v1/assets", query_string={"q": query})
    assert response.status_code == 200
    assert client.get("/assets", query_string={"q": query}).status_code == 200


def test_search_syntax_in_the_input_is_read_as_words(assets):
    assert found("kop*") == found('"kopi') == found("^kopi") == found("-kopi") == ["Kopi Sembalun"]
    assert found("title:kopi") == []  # "title" is a word here, not a column filter
    assert found("kopi OR pantai") == []  # "or" is a word that must match too
    assert found("kopi OR pantai", any_word=True) == ["Kopi Sembalun", "Pantai Kuta"]
    assert found("kopi " * 5000) == ["Kopi Sembalun"]


def test_match_expression_serves_other_query_shapes(assets):
    """The lead's own queries (ranking, ordering by the index's rowid) take the expression."""
    expression = search.match_expression("penenun", any_word=False)
    if db.engine.dialect.name == "postgresql":
        statement = text(
            "SELECT asset_id FROM asset_search WHERE document @@ to_tsquery('simple', :q) "
            "ORDER BY ts_rank(document, to_tsquery('simple', :q)) DESC, asset_id"
        )
    else:
        statement = text("SELECT rowid FROM asset_search WHERE asset_search MATCH :q ORDER BY rank, rowid")
    ids = db.session.scalars(statement, {"q": expression}).all()
    titles = {db.session.get(Asset, i).title for i in ids}
    assert titles == {"Ibu Menenun di Pringgasela", "Kain Songket Sukarara"}


def _text_of(asset):
    return " ".join([asset.title, asset.description, asset.tags, asset.community.name])


@pytest.mark.parametrize("query", [q for q, _titles in STEMMED] + ["ibu", "di", "seorang", "mandalik", "nurul"])
def test_highlight_marks_what_the_database_matched(assets, query):
    """Where the database found every word, the highlight marks each of them, and nowhere else."""
    words = search.terms(query)
    marked_all = sorted(
        title for title, asset in assets.items() if all("<mark>" in search.highlight(_text_of(asset), w) for w in words)
    )
    assert found(query) == marked_all


def test_highlight_marks_prefixes_and_stems():
    assert search.highlight("Pantai Kuta dan pantainya", "pantai") == Markup(
        "<mark>Pantai</mark> Kuta dan <mark>pantainya</mark>"
    )
    assert search.highlight("Seorang penenun menenun tenunan", "tenun") == Markup(
        "Seorang <mark>penenun</mark> <mark>menenun</mark> <mark>tenunan</mark>"
    )
    assert search.highlight("menenun tenunan", "ten") == Markup("menenun <mark>tenunan</mark>")
    assert search.highlight("Kopi Sembalun", "kop zzz") == Markup("<mark>Kopi</mark> Sembalun")
    assert search.highlight("Café Senaru", "cafe") == Markup("<mark>Café</mark> Senaru")
    assert search.highlight("Cafe\u0301 Senaru", "CAFÉ") == Markup("<mark>Café</mark> Senaru")
    assert search.highlight("Kopi Sembalun", "") == Markup("Kopi Sembalun")
    assert search.highlight(None, "kopi") == Markup("")
    assert isinstance(search.highlight("kopi", "kopi"), Markup)


def test_highlight_escapes_text_and_query():
    text_ = "<script>alert('kopi')</script> kopi & teh <b>"
    for query in ("kopi", "<script>kopi</script>", '"><img src=x onerror=alert(1)>', "script"):
        marked = str(search.highlight(text_, query))
        assert "<script" not in marked and "<img" not in marked and "<b>" not in marked
        assert "&lt;" in marked and "&amp;" in marked
        assert re.sub(r"</?mark>", "", marked) == str(search.highlight(text_, ""))
    assert "&lt;<mark>script</mark>&gt;" in str(search.highlight(text_, "<script>"))


def _visible(markup):
    return html.unescape(re.sub(r"</?mark>", "", str(markup)))


def test_highlight_snippet_around_the_first_match():
    before = "Lombok Tengah punya banyak desa kerajinan dengan motif yang diwariskan turun-temurun. " * 5
    after = " Hasilnya dijual di pasar dan koperasi desa." * 5
    text_ = before + "Di Sukarara para penenun bekerja sejak pagi." + after
    snippet = search.highlight(text_, "menenun", max_chars=120)
    visible = _visible(snippet)
    assert visible.startswith("…") and visible.endswith("…")
    assert len(visible) <= 120 + 2
    assert "<mark>penenun</mark>" in snippet
    assert visible[1] != " " and visible[-2] != " "  # cut at a space, not inside a word
    assert text_.find(visible.strip("…")) != -1

    start = search.highlight(text_, "lombok", max_chars=60)  # match at the start: no "…" before
    assert str(start).startswith("<mark>Lombok</mark>") and _visible(start).endswith("…")
    assert not _visible(search.highlight(text_, "zzz", max_chars=60)).startswith("…")  # no match: the beginning
    short = search.highlight("Kopi Sembalun", "kopi", max_chars=60)
    assert short == Markup("<mark>Kopi</mark> Sembalun")  # fits: no cut
    lines = search.highlight("Baris pertama\nkopi arabika\npanen raya di Sembalun", "kopi", max_chars=20)
    assert lines == Markup("…<mark>kopi</mark> arabika…")  # cut at line breaks too


def test_rebuild_refills_the_index_from_every_asset(assets):
    draft = Asset(
        owner=assets["Kopi Sembalun"].owner,
        original_filename="x.jpg",
        storage_key="assets/draft/original",
        status="draft",
        title="Gerabah Banyumulek",
        tags="",
    )
    db.session.add(draft)
    db.session.commit()
    db.session.execute(text("DELETE FROM asset_search"))
    assert found("pantainya") == []
    assert search.rebuild(batch_size=2) == 5  # three batches; every asset, whatever its state
    db.session.commit()
    assert found("pantainya") == ["Pantai Kuta"]
    assert found("penenun") == ["Ibu Menenun di Pringgasela", "Kain Songket Sukarara"]
    assert found("gerabah") == ["Gerabah Banyumulek"]
    assert search.rebuild() == 5  # again: replaces, no duplicates
    db.session.commit()
    assert db.session.scalar(text("SELECT count(*) FROM asset_search")) == 5


def test_reindex_command_rebuilds_the_index(assets, runner):
    db.session.execute(text("DELETE FROM asset_search"))
    db.session.commit()
    result = runner.invoke(args=["media", "reindex", "--batch-size", "3"])
    assert result.exit_code == 0, result.output
    assert "Indexed 4 asset(s)" in result.output
    db.session.remove()
    assert found("berkain") == ["Kain Songket Sukarara"]
    assert runner.invoke(args=["media", "reindex", "--batch-size", "0"]).exit_code == 2


def test_the_index_follows_edits_with_stems(assets):
    asset = assets["Pantai Kuta"]
    asset.description = "Nelayan menangkap ikan di pesisir."
    search.index(asset)
    db.session.commit()
    assert found("tangkap") == ["Pantai Kuta"]  # "menangkap"
    assert found("selatan") == []  # the old text is gone


def _old_shape_finds(word):
    """A search as 0010's code made it: words only, no stems."""
    if db.engine.dialect.name == "postgresql":
        sql = "SELECT count(*) FROM asset_search WHERE document @@ to_tsquery('simple', :q || ':*')"
    else:
        sql = "SELECT count(*) FROM asset_search WHERE asset_search MATCH '\"' || :q || '\"*'"
    return db.session.scalar(text(sql), {"q": word})


def _stems_in_index():
    if db.engine.dialect.name == "postgresql":
        sql = "SELECT count(*) FROM asset_search WHERE ts_filter(document, '{d}') <> ''::tsvector"
    else:
        columns = [row[1] for row in db.session.execute(text("PRAGMA table_info(asset_search)"))]
        if "stems" not in columns:
            return 0
        sql = "SELECT count(*) FROM asset_search WHERE stems <> ''"
    return db.session.scalar(text(sql))


def test_migration_adds_stems_to_existing_assets_and_takes_them_away(assets):
    assert _stems_in_index() > 0
    db.session.remove()
    try:
        downgrade(revision="0010_catalog_order")
        assert _stems_in_index() == 0
        assert _old_shape_finds("sembalun") == 1 and _old_shape_finds("tenun") == 1  # "tenunan"
        db.session.remove()
    finally:
        upgrade()
    assert _stems_in_index() > 0
    assert found("penenun") == ["Ibu Menenun di Pringgasela", "Kain Songket Sukarara"]
    assert found("pantainya") == ["Pantai Kuta"]


def test_stems_are_cached_and_only_for_plain_words():
    stemming.stem.cache_clear()
    assert [stemming.stem(w) for w in ("menenun", "menenun", "berkain")] == ["tenun", "tenun", "kain"]
    assert stemming.stem.cache_info().hits == 1
    assert stemming.stem("2024") == "2024" and stemming.stem("ibu") == "ibu" and stemming.stem("x" * 500) == "x" * 500
    assert stemming.words("Café Ñusa, 3D-model_v2") == ["cafe", "nusa", "3d", "model", "v2"]
    assert stemming.words("Kopi_Sembalun 3D-model\tv2.0!") == ["kopi", "sembalun", "3d", "model", "v2", "0"]
