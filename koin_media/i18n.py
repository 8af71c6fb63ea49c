"""Language and time: Indonesian first, English one click away; times shown in WITA."""

from __future__ import annotations

import functools
from datetime import date, datetime

from babel.numbers import get_decimal_symbol, get_group_symbol
from flask import current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .localtime import WITA


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]  # jobs, CLI: Indonesian
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return visitor_locale()


def visitor_locale() -> str:
    """The language of a request nobody is signed in for: chosen on the site (the session),
    or, for the API, asked for in Accept-Language; Indonesian otherwise."""
    languages = current_app.config["LANGUAGES"]
    if session.get("locale") in languages:
        return session["locale"]
    if request.path.startswith("/api/"):
        # Phone apps and scripts say what they want; people on the site choose with a click.
        return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return WITA


# One way to write a time for people: "08.00 WITA" in Indonesian (a dot, as KBBI writes
# times), "08:00 WITA" in English, never seconds, always 24 hours. Dates come in four lengths;
# a time is the date followed by the clock ("Senin, 7 Desember 2026 08.00 WITA").
DATE_PATTERNS = {
    "full": "EEEE, d MMMM y",  # Senin, 7 Desember 2026
    "long": "d MMMM y",  # 7 Desember 2026
    "medium": "d MMM y",  # 7 Des 2026
    "short": "EEE, d MMM",  # Sen, 7 Des (lists of the coming weeks)
}
TIME_STYLE = "time"  # the clock alone: 08.00 WITA


def _clock_pattern() -> str:
    return "HH.mm" if get_locale().language == "id" else "HH:mm"


def _pattern(style: str, with_clock: bool) -> str:
    if style == TIME_STYLE and with_clock:
        return _clock_pattern()
    if style not in DATE_PATTERNS:
        raise ValueError(f"unknown time style {style!r}: use one of {', '.join((*DATE_PATTERNS, TIME_STYLE))}")
    return f"{DATE_PATTERNS[style]} {_clock_pattern()}" if with_clock else DATE_PATTERNS[style]


def wita_datetime(value: datetime | None, style: str = "medium") -> str:
    """A UTC instant as wall-clock time in WITA, labelled: ``style`` is a date length of
    ``DATE_PATTERNS`` followed by the clock, or ``"time"`` for the clock alone."""
    if value is None:
        return ""
    return f"{format_datetime(value, _pattern(style, with_clock=True))} WITA"


def wita_range(start: datetime | None, end: datetime | None, style: str = "full") -> str:
    """A span of time: "Senin, 7 Desember 2026 08.00–10.00 WITA" on one day, both ends in full
    across days."""
    if start is None or end is None:
        return wita_datetime(start or end, style)
    begins = format_datetime(start, _pattern(style, with_clock=True))
    if wita_date(start, "long") == wita_date(end, "long"):
        return f"{begins}–{format_datetime(end, _clock_pattern())} WITA"
    return f"{begins} – {wita_datetime(end, style)}"


def wita_date(value: datetime | date | None, style: str = "long") -> str:
    """The WITA day of an instant (or a calendar date as it is), in one of ``DATE_PATTERNS``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, _pattern(style, with_clock=False))
    return format_date(value, _pattern(style, with_clock=False))


def format_count(value: int) -> str:
    """A whole number with the language's thousands separator: 12.345 in Indonesian, 12,345 in
    English (Babel's format_decimal does the same at twenty times the cost, and a catalogue
    page shows thirty counts)."""
    return f"{value:,}".replace(",", _group_symbol(str(get_locale())))


def format_rupiah(amount: int | None) -> str:
    """Rupiah the Indonesian way, "Rp 25.000", in both languages (prices are quoted so); nothing
    to pay is "free"."""
    if not amount:
        return _("Free")
    return "Rp " + f"{amount:,}".replace(",", ".")


def format_size(size: int | None) -> str:
    """A file size in the units the uploader shows (1 KB = 1024 bytes), with the language's
    decimal mark: "51,5 KB" in Indonesian, "51.5 KB" in English."""
    value, units = float(size or 0), ("B", "KB", "MB", "GB", "TB")
    unit = 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    text = f"{value:.0f}" if unit == 0 or value >= 100 else f"{value:.1f}"
    locale = get_locale()  # None outside a request or a worker's forced locale: English marks
    return f"{text.replace('.', _decimal_symbol(str(locale)) if locale else '.')} {units[unit]}"


@functools.cache
def _group_symbol(locale: str) -> str:
    return get_group_symbol(locale)


@functools.cache
def _decimal_symbol(locale: str) -> str:
    return get_decimal_symbol(locale)


def init_app(app) -> None:
    app.jinja_env.filters["wita"] = wita_datetime
    app.jinja_env.filters["wita_date"] = wita_date
    app.jinja_env.filters["wita_range"] = wita_range
    app.jinja_env.filters["number"] = format_count
    app.jinja_env.filters["rupiah"] = format_rupiah
    app.jinja_env.filters["filesize"] = format_size
    app.jinja_env.globals["get_locale"] = get_locale
