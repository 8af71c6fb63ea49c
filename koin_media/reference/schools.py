"""Schools of the national reference (Dapodik / Kemdikbud): the one place that says what the
reference knows about an NPSN, maps its levels onto ours and compares a registered school with it.

Registration fills a school's name, level and regency from here (the lookup as the coordinator
types, and the form again on submit); office staff see whether a school they verify matches.
The snapshot is loaded by ``flask schools import`` (``school_import.py``). An NPSN is public, so
the reference proves nothing about who registers: it only catches a mistyped NPSN or a school
that does not exist, before staff verify it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..localtime import iso_utc
from .models import ReferenceSchool

NPSN_PATTERN = re.compile(r"[0-9]{8}\Z")  # match() anchors the start; \Z, unlike $, refuses a final newline

# The reference's "bentuk pendidikan" (and the long names people write) for the levels KOIN books
# visits for. Madrasahs (MI, MTs, MA, MAK) and special schools per level (SDLB, SMPLB, SMALB)
# teach the same age groups as SD, SMP, SMA and SMK.
LEVEL_FORMS = {
    "SD": ("sd", "mi", "sdlb", "spk sd", "sekolah dasar", "madrasah ibtidaiyah"),
    "SMP": ("smp", "mts", "smplb", "spk smp", "sekolah menengah pertama", "madrasah tsanawiyah"),
    "SMA": ("sma", "ma", "smalb", "smlb", "spk sma", "sekolah menengah atas", "madrasah aliyah"),
    "SMK": ("smk", "mak", "sekolah menengah kejuruan", "madrasah aliyah kejuruan"),
}
_LEVEL_OF = {form: level for level, forms in LEVEL_FORMS.items() for form in forms}
# Other forms of the reference that KOIN does not book visits for: pre-schools, one-school-for-all
# special schools, learning centres and courses. An import skips them quietly (a province's full
# export holds thousands); anything else is a mistake in the file and is reported.
OTHER_LEVELS = frozenset(
    {
        "tk",
        "kb",
        "tpa",
        "sps",
        "ra",
        "paud",
        "slb",
        "pkbm",
        "skb",
        "kursus",
        "lkp",
        "spk tk",
        "spk kb",
        "taman seminari",
    }
)


def _level_text(value: str) -> str:
    return " ".join((value or "").replace(".", "").split()).lower()


def level_of(value: str) -> str | None:
    """One of LEVELS for the reference's form of a level ("MTs", "Sekolah Dasar"), or None."""
    return _LEVEL_OF.get(_level_text(value))


def is_other_level(value: str) -> bool:
    """A level of the reference that KOIN does not serve (TK, KB, SLB, PKBM, …)."""
    return _level_text(value) in OTHER_LEVELS


def find(npsn: str | None) -> ReferenceSchool | None:
    """The reference's school with this NPSN; None for anything else (malformed included)."""
    if not npsn or not NPSN_PATTERN.match(npsn):
        return None
    return db.session.get(ReferenceSchool, npsn)


def school_json(row: ReferenceSchool) -> dict:
    """The lookup's answer: the reference's public record of one school, nothing about KOIN's
    own schools or their coordinators (so a lookup reveals no more than the reference does)."""
    return {
        "npsn": row.npsn,
        "name": row.name,
        "level": row.level,
        "regency": {"slug": row.regency.slug, "name": row.regency.name},
        "address": row.address,
        "snapshot": row.snapshot,
        "imported_at": iso_utc(row.imported_at),
    }


# -- comparing names ----------------------------------------------------------------------------

# How people shorten what the reference spells out: "SMPN 2" is "SMP NEGERI 2".
_SHORT_FORMS = {
    "sdn": "sd negeri",
    "smpn": "smp negeri",
    "sman": "sma negeri",
    "smkn": "smk negeri",
    "min": "mi negeri",
    "mtsn": "mts negeri",
    "man": "ma negeri",
    "n": "negeri",
    "neg": "negeri",
}
# Dapodik prefixes many public schools with the unit that runs them: "UPT SD NEGERI 1 …".
_UNIT_PREFIXES = ("upt", "uptd")


def name_key(name: str) -> str:
    """A school's name as compared: case, punctuation, "SMPN"/"SMP Negeri", "02"/"2" and a
    leading "UPT" do not make two names differ."""
    words = []
    for word in re.sub(r"[^0-9a-z]+", " ", (name or "").lower()).split():
        if word.isdigit():
            word = word.lstrip("0") or "0"
        words.extend(_SHORT_FORMS.get(word, word).split())
    while words and words[0] in _UNIT_PREFIXES:
        words.pop(0)
    return " ".join(words)


def same_name(one: str, other: str) -> bool:
    return name_key(one) == name_key(other)


# -- a registered school against the reference ---------------------------------------------------


@dataclass(frozen=True)
class ReferenceCheck:
    """What the reference says about a registered school, field by field, for staff verifying
    it: ``None`` for a field that cannot be compared (not in the reference; levels not recorded)."""

    reference: ReferenceSchool | None
    name_same: bool | None = None
    regency_same: bool | None = None
    level_same: bool | None = None

    @property
    def found(self) -> bool:
        return self.reference is not None

    @property
    def matches(self) -> bool:
        return self.found and self.name_same and self.regency_same and self.level_same is not False


def check(school, reference: ReferenceSchool | None) -> ReferenceCheck:
    """Compare ``school`` (anything with ``name``, ``regency_id`` and ``level_set``, such as
    ``accounts.School``) with its reference record."""
    if reference is None:
        return ReferenceCheck(None)
    return ReferenceCheck(
        reference,
        name_same=same_name(school.name, reference.name),
        regency_same=school.regency_id == reference.regency_id,
        level_same=(reference.level in school.level_set) if school.level_set else None,
    )


def checks_for(schools) -> dict[str, ReferenceCheck]:
    """Each school's check by NPSN, in one query (a page of schools)."""
    schools = list(schools)
    npsns = {school.npsn for school in schools}
    found = {}
    if npsns:
        found = {
            row.npsn: row for row in db.session.scalars(select(ReferenceSchool).where(ReferenceSchool.npsn.in_(npsns)))
        }
    return {school.npsn: check(school, found.get(school.npsn)) for school in schools}
