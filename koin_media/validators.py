"""Input rules that more than one feature needs."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import ValidationError

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
