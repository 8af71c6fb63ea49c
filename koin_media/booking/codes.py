"""Booking codes: short, read aloud at a gate, typed on a phone, printed on a confirmation.

Eight characters from an alphabet without the look-alikes 0/O, 1/I/L: seven random ones and a
check character chosen so that the weighted sum of all eight (weights 1 to 8) is a multiple
of 31. The alphabet has 31 characters, a prime, so the check catches every single wrong
character and every swap of two neighbours, the check character included.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8
_BODY = LENGTH - 1
_SEPARATORS = re.compile(r"[\s-]")


_BASE = len(ALPHABET)  # 31
_INVERSE_OF_LENGTH = pow(LENGTH, -1, _BASE)


def _weighted_sum(code: str) -> int:
    return sum((position + 1) * ALPHABET.index(char) for position, char in enumerate(code))


def check_character(body: str) -> str:
    return ALPHABET[(-_weighted_sum(body) * _INVERSE_OF_LENGTH) % _BASE]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(_BODY))
    return body + check_character(body)


def normalise(value: str) -> str | None:
    """The code as stored, from what someone typed (any case, spaces or a dash), or None when
    it cannot be a booking code (wrong length, foreign character, failed check)."""
    code = _SEPARATORS.sub("", value or "").upper()
    if len(code) != LENGTH or any(char not in ALPHABET for char in code):
        return None
    if _weighted_sum(code) % _BASE:
        return None
    return code


def display(code: str) -> str:
    """Grouped for reading aloud: ``K7MQ-2XHD``."""
    return f"{code[:4]}-{code[4:]}"
