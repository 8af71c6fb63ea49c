"""One way to write a time for people: "08.00 WITA" in Indonesian, "08:00 WITA" in English, no
seconds, dates in four lengths (koin_media/i18n.py); templates never format times themselves."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask_babel import force_locale

from koin_media.assets.models import PENDING_REVIEW
from koin_media.extensions import db
from koin_media.i18n import format_size, wita_date, wita_datetime, wita_range

from .asset_helpers import approved_asset

MONDAY_8_WITA = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # 08.00 in Lombok
TEN_30_WITA = datetime(2026, 12, 7, 2, 30, tzinfo=UTC)
NEXT_DAY_9_WITA = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)

EXPECTED = {
    "id": {
        "full": "Senin, 7 Desember 2026 08.00 WITA",
        "long": "7 Desember 2026 08.00 WITA",
        "medium": "7 Des 2026 08.00 WITA",
        "short": "Sen, 7 Des 08.00 WITA",
        "time": "08.00 WITA",
        "date full": "Senin, 7 Desember 2026",
        "date medium": "7 Des 2026",
        "range": "Senin, 7 Desember 2026 08.00–10.30 WITA",
        "range days": "7 Des 2026 08.00 – 8 Des 2026 09.00 WITA",
    },
    "en": {
        "full": "Monday, 7 December 2026 08:00 WITA",
        "long": "7 December 2026 08:00 WITA",
        "medium": "7 Dec 2026 08:00 WITA",
        "short": "Mon, 7 Dec 08:00 WITA",
        "time": "08:00 WITA",
        "date full": "Monday, 7 December 2026",
        "date medium": "7 Dec 2026",
        "range": "Monday, 7 December 2026 08:00–10:30 WITA",
        "range days": "7 Dec 2026 08:00 – 8 Dec 2026 09:00 WITA",
    },
}


@pytest.mark.parametrize("language", ["id", "en"])
def test_times_read_the_same_everywhere_in_both_languages(app, language):
    expected = EXPECTED[language]
    with app.test_request_context("/"), force_locale(language):
        for style in ("full", "long", "medium", "short", "time"):
            assert wita_datetime(MONDAY_8_WITA, style) == expected[style]
        assert wita_datetime(MONDAY_8_WITA) == expected["medium"]
        assert wita_date(MONDAY_8_WITA, "full") == expected["date full"]
        assert wita_date(date(2026, 12, 7), "medium") == expected["date medium"]  # a calendar day as it is
        assert wita_range(MONDAY_8_WITA, TEN_30_WITA) == expected["range"]
        assert wita_range(MONDAY_8_WITA, NEXT_DAY_9_WITA, "medium") == expected["range days"]
        assert wita_datetime(None) == wita_date(None) == ""


def test_late_evening_utc_is_the_next_day_in_lombok(app):
    with app.test_request_context("/"), force_locale("id"):
        assert wita_date(datetime(2026, 12, 6, 17, 30, tzinfo=UTC), "full") == "Senin, 7 Desember 2026"
        assert wita_datetime(datetime(2026, 12, 6, 17, 30, tzinfo=UTC), "time") == "01.30 WITA"


def test_a_pattern_of_its_own_is_refused(app):
    """A template that writes "HH:mm:ss" would be a second time format: only the styles exist."""
    with app.test_request_context("/"), pytest.raises(ValueError, match="unknown time style"):
        wita_datetime(MONDAY_8_WITA, "d MMM y, HH:mm:ss")


TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TIME_FILTER = re.compile(r"\|wita(?:_date|_range)?\(\s*([^)]*)\)")
STYLES = {"'full'", "'long'", "'medium'", "'short'", "'time'", '"full"', '"long"', '"medium"', '"short"', '"time"'}
SELF_FORMATTED = re.compile(r"strftime\(|format_time|%H|:%M|\|datetimeformat|\|timeformat")


def test_pages_use_the_styles_and_never_format_times_themselves():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.relative_to(TEMPLATES)}:{number}"
            for argument in TIME_FILTER.findall(line):
                first = argument.split(",")[-1].strip()  # wita_range(end, style): the style comes last
                if first not in STYLES and "|wita_range(" not in line:
                    found.append(where)
            # the calendar's month parameter (?month=2026-12) is a value for the machine, not a time to read
            if SELF_FORMATTED.search(line) and "strftime('%Y-%m')" not in line:
                found.append(where)
    assert found == []


def test_a_page_shows_the_time_without_seconds(client, factory, auth):
    asset = approved_asset(factory.user("creator"), "Sasak", approved_at=None)
    asset.status, asset.submitted_at = PENDING_REVIEW, MONDAY_8_WITA
    db.session.commit()
    auth.login(factory.user("staff"))
    html = client.get("/staff").get_data(as_text=True)
    assert "dikirim 7 Des 2026 08.00 WITA" in html


@pytest.mark.parametrize(
    ("locale", "size", "expected"),
    [
        ("id", 52_736, "51,5 KB"),
        ("en", 52_736, "51.5 KB"),
        ("id", 512, "512 B"),
        ("id", 150 * 1024 * 1024, "150 MB"),
        ("id", 5 * 1024**3, "5,0 GB"),
        ("id", None, "0 B"),
    ],
)
def test_file_sizes_read_in_the_language_and_the_uploaders_units(app, locale, size, expected):
    """Sizes on the asset and review pages and in upload refusals: the decimal mark of the
    language ("51,5 KB"), in the 1024-byte units the uploader shows while uploading."""
    with app.test_request_context(), force_locale(locale):
        assert format_size(size) == expected
