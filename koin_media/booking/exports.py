"""CSV rows that a spreadsheet opens safely: no cell runs as a formula, Indonesian names show
right (UTF-8 with its byte order mark)."""

from __future__ import annotations

import csv
import io
import re
import unicodedata

# A spreadsheet reads a cell as a formula (or a DDE command) when it starts with one of these,
# after leading blanks and after folding fullwidth forms (＝, ＋, －, ＠ count as =, +, -, @).
CSV_FORMULA_START = ("=", "+", "-", "@", "|")
# The one value allowed to start with "+": a phone number in its stored form (+62 and digits).
CSV_PLAIN_PHONE = re.compile(r"^\+[0-9]{8,15}$")
# Excel opens a CSV as UTF-8 (and shows Indonesian names right) only when the file says so.
UTF8_BOM = "\ufeff"


def spreadsheet_cell(value, phone: bool = False) -> str:
    """One CSV cell that a spreadsheet shows as text, never runs as a formula: a cell that
    starts like one gets a leading apostrophe. Only a phone column may keep ``+62…`` (digits
    only), so a contact name such as ``+62+HYPERLINK(…)`` is escaped like any other."""
    text = "" if value is None else str(value)
    if phone and CSV_PLAIN_PHONE.match(text):
        return text
    if text[:1] in ("\t", "\r", "\n"):
        return "'" + text
    folded = unicodedata.normalize("NFKC", text).lstrip()
    return "'" + text if folded.startswith(CSV_FORMULA_START) else text


def csv_line(values, phone_columns: frozenset[int] = frozenset()) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([spreadsheet_cell(value, i in phone_columns) for i, value in enumerate(values)])
    return buffer.getvalue()
