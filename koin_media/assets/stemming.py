"""Words and Indonesian stems for search: one tokenizer for the index, the query and the
highlight, so that what the database matched is exactly what the page marks.

Text is folded in Python (lower case, diacritics dropped) and split on anything that is not a
letter or digit before either database sees it; SQLite FTS5 and PostgreSQL then only store
space-separated words, and both engines agree on what a word is. Stems come from Sastrawi
(PySastrawi 1.2, the maintained release of the Nazief–Adriani / ECS stemmer with its root-word
dictionary): "pantainya", "berkain", "penenun" → "pantai", "kain", "tenun".

Nothing here touches the database, so the migration that fills the index can import it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import cache, lru_cache

from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

_TOKEN = re.compile(r"[^\W_]+")
_ASCII_SEPARATORS = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})
# Sastrawi only knows plain Latin letters; other words (numbers, "3d", names in other
# scripts) are their own stem.
_STEMMABLE = re.compile(r"[a-z]{4,40}")
# Combining marks left by NFKD: the diacritics of "café", "Ñ", "ā". Dropping them with a
# translate table is one C call per text, which matters when 100k assets are reindexed.
_COMBINING = dict.fromkeys(
    [*range(0x0300, 0x0370), *range(0x1AB0, 0x1B00), *range(0x1DC0, 0x1E00), *range(0x20D0, 0x2100)]
    + [*range(0xFE20, 0xFE30)]
)


def fold(text: str) -> str:
    """Lower case without diacritics: "Café Ñusa" → "cafe nusa"."""
    text = (text or "").lower()
    if text.isascii():
        return text
    return unicodedata.normalize("NFKD", text).translate(_COMBINING)


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order: what is indexed and what a query searches."""
    text = fold(text)
    if text.isascii():
        # The same split as _TOKEN, several times faster than the Unicode regex, which
        # otherwise costs most of a reindex.
        return text.translate(_ASCII_SEPARATORS).split()
    return _TOKEN.findall(text)


def word_spans(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """Start, end and folded words of each word of ``text`` as written, for marking them:
    folding can split what a word is ("ﬁ" → "fi", "½" → "1⁄2"), so one written word may stand for
    more than one indexed word."""
    for token in _TOKEN.finditer(text):
        yield token.start(), token.end(), words(token.group())


@cache
def _stemmer():
    # The bare stemmer, not the factory's CachedStemmer: its cache is an unbounded dict that
    # every new word a visitor types would grow for the life of the worker.
    return StemmerFactory().create_stemmer().delegatedStemmer


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The root of one folded word ("menenun" → "tenun"); the word itself when Sastrawi has
    none. Cached: a catalogue's vocabulary is small next to its number of words, so
    reindexing stems each distinct word once."""
    if not _STEMMABLE.fullmatch(word):
        return word
    return _stemmer().stem_word(word) or word


def stems(folded_words: list[str]) -> list[str]:
    """The distinct stems that are not already among the words, for the index's stem column:
    a query word's stem then matches either a word or one of these."""
    present = set(folded_words)
    return list(dict.fromkeys(s for s in map(stem, folded_words) if s not in present))


def document(title: str, description: str, tags: str, community: str) -> dict[str, str]:
    """What the index stores for one asset: each field as space-separated folded words, and
    the stems of all of them."""
    fields = {
        "title": words(title),
        "description": words(description),
        "tags": words(tags),
        "community": words(community),
    }
    every_word = [w for field in fields.values() for w in field]
    return {**{name: " ".join(ws) for name, ws in fields.items()}, "stems": " ".join(stems(every_word))}
