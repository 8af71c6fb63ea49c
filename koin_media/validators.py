"""Input rules that more than one feature needs."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import ValidationError
from wtforms.widgets import TextArea

_PHONE_SEPARATORS = re.compile(r"[\s().-]")
# After normalising: +62, then a mobile (8xx) or area-code number, 9 to 13 digits in all.
_INDONESIAN_PHONE = re.compile(r"^\+62[1-9][0-9]{7,12}$")


def normalise_indonesian_phone(value: str) -> str:
    """Return an Indonesian phone number as +62…, accepting 08…, 62… and +62… forms."""
    digits = _PHONE_SEPARATORS.sub("", value or "")
    if digits.startswith("0"):
        digits = "+62" + digits[1:]
    elif digits.startswith("62"):
        digits = "+" + digits
    if not _INDONESIAN_PHONE.match(digits):
        raise ValidationError(_l("Enter an Indonesian phone number, for example 0812 3456 7890."))
    return digits


def strip_text(value):
    return value.strip() if isinstance(value, str) else value


# C0 control characters (and DEL): a NUL breaks PostgreSQL text, the others are invisible and
# garble what other people read. A multi-line field keeps tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# Characters that reorder or split what people read (bidi overrides, isolates and marks, line
# and paragraph separators) or that show nothing (zero-width space, word joiner, BOM): a name
# or title others read must read as what it is. ZWJ and ZWNJ stay (emoji sequences, scripts).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_KEPT_FORMAT = frozenset("\u200c\u200d")


def unreadable(text: str) -> bool:
    """``text`` holds a control, separator, bidi or invisible format character."""
    return any(
        char in _BIDI_CONTROLS
        or unicodedata.category(char) in _REFUSED_CATEGORIES
        or (unicodedata.category(char) == "Cf" and char not in _KEPT_FORMAT)
        for char in text
    )


def visible(text: str) -> bool:
    """``text`` has at least one character that shows (not a space, control or format mark)."""
    return any(unicodedata.category(char)[0] not in "ZC" for char in text)


def readable_text(form, field):
    """WTForms validator for a name or title other people read: sent as text (a JSON ``true``
    or ``123`` is no name), with something visible in it and no character that hides or
    reorders it."""
    if field.name in getattr(form, "json_sent", {}) and not isinstance(form.json_sent[field.name], str):
        raise ValidationError(_l("%(field)s must be text.", field=field.label.text))
    if isinstance(field.data, str) and field.data and (unreadable(field.data) or not visible(field.data)):
        raise ValidationError(
            _l(
                "%(field)s must have visible characters and no invisible or direction-changing ones.",
                field=field.label.text,
            )
        )


def lookup_text(value, max_length: int) -> str | None:
    """``value`` if it can name a row (a slug, a token from a URL): text of 1 to ``max_length``
    characters without control characters; None otherwise, which callers treat as "no such
    row". On PostgreSQL a NUL in a query parameter is an error (a 500), not a miss."""
    if not isinstance(value, str) or not value or len(value) > max_length or _CONTROL.search(value):
        return None
    return value


def refuse_control_characters(form, field):
    """WTForms validator for text fields (the base Form adds it to every one)."""
    multi_line = isinstance(field.widget, TextArea)
    if isinstance(field.data, str) and (_CONTROL_IN_LINES if multi_line else _CONTROL).search(field.data):
        raise ValidationError(_l("Remove the control characters (such as NUL) from this text."))


# Numbers and dates typed into URLs: ASCII digits only ("²".isdigit() is true, int() refuses
# it), small enough for a database integer, and days in a range the calendar can shift.
_WHOLE_NUMBER = re.compile(r"^[0-9]{1,9}$")
_ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MAX_DATABASE_ID = 2**31 - 1
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)


def whole_number(raw: str | None) -> int | None:
    """``raw`` as a non-negative whole number below a billion, or None."""
    if raw is None or not _WHOLE_NUMBER.match(raw):
        return None
    return int(raw)


def iso_day(raw: str | None) -> date | None:
    """``raw`` (YYYY-MM-DD) as a day between 2000 and 2099, or None."""
    if raw is None or not _ISO_DAY.match(raw):
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if EARLIEST_DAY <= day <= LATEST_DAY else None


def check_day_in_range(form, field):
    """WTForms validator for DateFields: refuse days a schedule cannot reasonably hold."""
    if field.data is not None and not EARLIEST_DAY <= field.data <= LATEST_DAY:
        raise ValidationError(_l("Choose a date between 2000 and 2099."))


def page_number(raw: str | None, last_page: int = 100_000) -> int:
    """A page of an HTML list from ``?page=``: anything unusable is page 1, so a stale or
    mistyped link still shows a list."""
    number = whole_number(raw)
    return min(number, last_page) if number else 1
