"""Language and time: Indonesian first, English one click away; times shown in WITA."""

from __future__ import annotations

import functools
from datetime import datetime

from babel.numbers import get_group_symbol
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


def wita_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """A UTC datetime as local time in WITA, labelled, in the user's language."""
    if value is None:
        return ""
    return f"{format_datetime(value, fmt)} WITA"


def wita_date(value: datetime | None, fmt: str = "long") -> str:
    if value is None:
        return ""
    return format_date(value, fmt)


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


@functools.cache
def _group_symbol(locale: str) -> str:
    return get_group_symbol(locale)


def init_app(app) -> None:
    app.jinja_env.filters["wita"] = wita_datetime
    app.jinja_env.filters["wita_date"] = wita_date
    app.jinja_env.filters["number"] = format_count
    app.jinja_env.filters["rupiah"] = format_rupiah
    app.jinja_env.globals["get_locale"] = get_locale
