"""Loading a snapshot of the national school reference from a CSV file (``flask schools import``).

The file is read as a stream, a batch of rows at a time, so a province's (or the country's)
export of tens of thousands of rows never sits in memory. Each batch is one transaction: the
rows already stored are read in one query, and the new and changed ones are written in one
upsert, so an import run twice (or two at once) leaves the same rows. Rows missing from the file
are kept: a file of one regency does not empty the others.

Accepted: UTF-8 (with or without the BOM spreadsheets write), separated by semicolons (what a
spreadsheet set to Indonesian writes), commas or tabs, with a header row naming the columns as
Dapodik and referensi.data.kemdikbud.go.id do (``HEADER_NAMES``).
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from ..database import utcnow
from ..extensions import db
from ..validators import unreadable
from .models import ReferenceSchool, Regency
from .schools import NPSN_PATTERN, is_other_level, level_of
from .services import find_by_name_or_slug

BATCH_SIZE = 1000
# Made-up schools for development and the demo (seed-demo), never the real reference: see its README.
SAMPLE_FILE = Path(__file__).resolve().parent / "sample" / "schools_SAMPLE_not_real.csv"
SAMPLE_SNAPSHOT = "SAMPLE, not the real reference"
NAME_MAX = ReferenceSchool.__table__.c.name.type.length
SNAPSHOT_MAX = ReferenceSchool.__table__.c.snapshot.type.length
# The column is Text, but the lookup sends the address to every coordinator who types the NPSN:
# a real street address fits in this, a longer one is a broken export and is refused like a name.
ADDRESS_MAX = 255
SEPARATORS = (";", ",", "\t")

# What each column may be called, after ``header_key`` (lower case, "_" for anything else).
HEADER_NAMES = {
    "npsn": ("npsn",),
    "name": ("nama_sekolah", "nama_satuan_pendidikan", "nama_satpen", "satuan_pendidikan", "nama", "sekolah", "name"),
    "level": ("bentuk_pendidikan", "bentuk", "jenjang_pendidikan", "jenjang", "level"),
    "regency": ("kabupaten_kota", "kab_kota", "kota_kabupaten", "kabupaten", "kab", "kota", "regency"),
    "address": ("alamat_jalan", "alamat_sekolah", "alamat", "address"),
}
REQUIRED = ("npsn", "name", "level", "regency")


class UnreadableFile(Exception):
    """The file as a whole cannot be imported (encoding, no header, a column missing, broken
    CSV): the message says what to do. Rows of batches before a broken line stay imported."""


@dataclass
class ImportReport:
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: Counter = field(default_factory=Counter)  # reason (without the value) -> rows
    skipped: Counter = field(default_factory=Counter)  # a level KOIN does not serve -> rows
    separator: str = ","

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


@dataclass(frozen=True)
class _Row:
    line: int
    npsn: str
    name: str
    level: str
    regency_id: int
    address: str | None  # None: the file has no address column, so the stored one stays


def header_key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


def check_utf8(path: Path, chunk_size: int = 1 << 16) -> None:
    """Refuse a file that is not UTF-8 before anything is written (a spreadsheet saved as
    "CSV" in Windows-1252 would otherwise stop the import halfway)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as stream:
        while True:
            chunk = stream.read(chunk_size)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                line += chunk[: error.start].count(b"\n")
                raise UnreadableFile(
                    f"line {line}: the file is not UTF-8 text; save it as “CSV UTF-8” and import it again"
                ) from None
            if not chunk:
                return
            line += chunk.count(b"\n")


def _separator(header_line: str) -> str:
    counts = {separator: header_line.count(separator) for separator in SEPARATORS}
    return max(SEPARATORS, key=lambda separator: counts[separator])


def _columns(header: list[str]) -> dict[str, int]:
    keys = [header_key(name) for name in header]
    columns = {}
    for column, names in HEADER_NAMES.items():
        for name in names:
            if name in keys:
                columns[column] = keys.index(name)
                break
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        wanted = "; ".join(f"{column}: {' / '.join(HEADER_NAMES[column])}" for column in missing)
        raise UnreadableFile(f"line 1: the header has no column for {', '.join(missing)} (accepted names: {wanted})")
    return columns


def _text(value: str) -> str:
    return " ".join(value.split())


class _RegencyCache:
    """The ten regencies by every spelling met in the file: one query per spelling, not per row."""

    def __init__(self):
        self.ids: dict[str, int | None] = {}

    def __call__(self, value: str) -> int | None:
        key = value.lower()
        if key not in self.ids:
            regency = find_by_name_or_slug(Regency, value)
            self.ids[key] = regency.id if regency is not None else None
        return self.ids[key]


def read_rows(
    path: Path, report: ImportReport, reject: Callable[[int, str, str], None], regency_id: Callable[[str], int | None]
) -> Iterable[_Row]:
    """The valid rows of the file, one at a time; each other row goes to ``reject`` (line,
    reason, the value at fault) or, for a level KOIN does not serve, to ``report.skipped``."""
    check_utf8(path)
    with path.open(encoding="utf-8-sig", newline="") as stream:
        report.separator = _separator(stream.readline())
        stream.seek(0)
        reader = csv.reader(stream, delimiter=report.separator)
        try:
            header = next(reader, None)
            if not header:
                raise UnreadableFile("line 1: the file is empty; the first line must name the columns")
            columns = _columns(header)
            seen: dict[str, int] = {}  # NPSN -> the line that brought it
            line = reader.line_num + 1
            for cells in reader:
                row = _row(line, cells, columns, report, reject, regency_id, seen)
                line = reader.line_num + 1
                if row is not None:
                    seen[row.npsn] = row.line
                    yield row
        except csv.Error as error:
            raise UnreadableFile(f"line {reader.line_num}: not readable as CSV ({error})") from None


def _row(line, cells, columns, report, reject, regency_id, seen) -> _Row | None:
    if not any(cell.strip() for cell in cells):
        return None  # a blank line (spreadsheets leave some at the end)
    report.rows += 1

    def cell(column: str) -> str:
        index = columns.get(column)
        return _text(cells[index]) if index is not None and index < len(cells) else ""

    npsn, name, level_text, regency = cell("npsn"), cell("name"), cell("level"), cell("regency")
    # An optional column the file lacks says nothing about the stored value; an empty cell does.
    address = cell("address") if "address" in columns else None
    # NUL (which PostgreSQL cannot store), bidi overrides, zero-width marks: a name others read
    # must read as what it is, and a lookup by such a text must not reach the database.
    garbled = next((column for column in ("name", "level", "regency", "address") if unreadable(cell(column))), None)
    level = level_of(level_text)
    problem = None
    if not npsn:
        problem = ("missing NPSN", "")
    elif not NPSN_PATTERN.match(npsn):
        problem = ("bad NPSN (an NPSN is 8 digits)", npsn.encode("unicode_escape").decode()[:20])
    elif garbled:
        problem = (f"control or invisible characters in the {garbled}", "")
    elif not name:
        problem = ("missing name", "")
    elif len(name) > NAME_MAX:
        problem = (f"name longer than {NAME_MAX} characters", name[:40] + "…")
    elif address is not None and len(address) > ADDRESS_MAX:
        problem = (f"address longer than {ADDRESS_MAX} characters", address[:40] + "…")
    elif not level_text:
        problem = ("missing level", "")
    elif level is None and is_other_level(level_text):
        report.skipped[level_text.upper()] += 1
        return None
    elif level is None:
        problem = ("unknown level", level_text)
    elif not regency:
        problem = ("missing regency", "")
    elif regency_id(regency) is None:
        problem = ("unknown regency (not one of NTB's ten)", regency)
    elif npsn in seen:
        problem = (f"NPSN already on line {seen[npsn]}", npsn)
    if problem is not None:
        report.rejected[problem[0]] += 1
        reject(line, *problem)
        return None
    return _Row(line, npsn, name, level, regency_id(regency), address)


def _batches(rows: Iterable[_Row], size: int) -> Iterable[list[_Row]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


_FIELDS = ("name", "level", "regency_id", "address")


def _store(batch: list[_Row], snapshot: str, report: ImportReport, dry_run: bool) -> None:
    """Compare one batch with what is stored and write the new and changed rows in one upsert."""
    table = ReferenceSchool.__table__
    # Only the columns the file has (every row of a file has the same ones): one it lacks is
    # neither compared nor written, and a new row gets the column's default.
    fields = tuple(name for name in _FIELDS if getattr(batch[0], name) is not None)
    stored = {
        found.npsn: found
        for found in db.session.execute(
            select(table.c.npsn, *(table.c[name] for name in fields)).where(
                table.c.npsn.in_([row.npsn for row in batch])
            )
        )
    }
    now = utcnow()
    writes = []
    for row in batch:
        before = stored.get(row.npsn)
        if before is not None and all(getattr(before, name) == getattr(row, name) for name in fields):
            report.unchanged += 1
            continue
        if before is None:
            report.added += 1
        else:
            report.updated += 1
        values = {name: getattr(row, name) for name in fields}
        writes.append({"npsn": row.npsn, **values, "snapshot": snapshot, "imported_at": now})
    if writes and not dry_run:
        dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        insert = dialect.insert(table)
        # One statement decides per row, so an import racing another (or a row that appeared
        # since the read above) updates instead of failing on the primary key.
        upsert = insert.on_conflict_do_update(
            index_elements=[table.c.npsn],
            set_={name: insert.excluded[name] for name in (*fields, "snapshot", "imported_at")},
        )
        db.session.execute(upsert, writes)
    db.session.commit()  # ends the batch's transaction (and SQLite's write lock) either way


def import_schools(
    path: Path,
    snapshot: str,
    dry_run: bool = False,
    reject: Callable[[int, str, str], None] = lambda line, reason, value: None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import the file at ``path`` as snapshot ``snapshot``; ``reject(line, reason, value)`` hears
    of each refused row as it is met. Raises ``UnreadableFile`` for a file that cannot be read."""
    snapshot = _text(snapshot)[:SNAPSHOT_MAX]
    report = ImportReport()
    for batch in _batches(read_rows(path, report, reject, _RegencyCache()), batch_size):
        _store(batch, snapshot, report, dry_run)
    return report
