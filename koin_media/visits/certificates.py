"""The certificate of attendance of a completed visit: a one-page PDF in Indonesian (A4
landscape) with the venue, program, date (WITA), school and who attended, a verification code
and a QR code leading to the public check page ``/certificates/<code>``.

The certificate is issued (its code drawn and its facts frozen) the first time anyone who may
see the booking asks for it; the PDF is drawn again from those stored facts on every request
(about 0.2 s, most of it reading and subsetting the font: a school downloads it once or twice),
so nothing needs to be kept in storage and the paper and its check page always say the same.
Names are set in DejaVu Sans (``static/fonts``, Bitstream Vera licence, bundled): the PDF core
fonts know Latin-1 only, and a school or venue may be named in any script.
"""

from __future__ import annotations

import io
import secrets
from datetime import datetime

import segno
from flask import Response, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..booking.codes import ALPHABET
from ..booking.codes import display as booking_code_display
from ..booking.models import COMPLETED, Booking
from ..booking.problems import BookingRefused
from ..database import utcnow, write_intent
from ..errors import error_response
from ..extensions import db
from ..i18n import wita_date, wita_range
from ..localtime import iso_utc
from ..sitelinks import site_link
from .after_models import Certificate

# 16 characters of 31 (no look-alikes, as booking codes): about 79 random bits, so a code
# cannot be guessed or walked; printed in groups of four.
CODE_LENGTH = 16
CODE_GROUP = 4
ISSUE_ATTEMPTS = 3
# The certificate is in Indonesian whatever the language of whoever downloads it.
CERTIFICATE_LOCALE = "id"
FONT_FAMILY = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
GREEN = (11, 110, 79)  # --green of app.css
INK = (29, 37, 33)
MUTED = (91, 102, 96)
QR_SIZE_MM = 42


# -- codes ------------------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str | None) -> str | None:
    """The code as stored, from what someone typed or scanned (any case, dashes, spaces), or
    None when it cannot be a certificate code."""
    code = "".join((typed or "").split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


def display_code(code: str) -> str:
    """``ABCD-EFGH-JKMN-PQRS``: as printed, and as read aloud on the phone to the office."""
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def check_url(code: str) -> str:
    """The absolute address of the certificate's public check page (what its QR code holds)."""
    return site_link("visits.certificate_check", code=code)


# -- issuing ----------------------------------------------------------------------------------


def available(booking: Booking) -> bool:
    """A certificate exists for a visit that took place: a completed booking (its attendance
    was recorded at check-in)."""
    return booking.status == COMPLETED


def facts_of(booking: Booking) -> dict:
    """What the certificate states, as plain values (stored with it, as JSON)."""
    slot, program = booking.slot, booking.slot.program
    venue, school = program.venue, booking.school
    return {
        "school": school.name,
        "npsn": school.npsn,
        "program": program.title,
        "venue": venue.name,
        "venue_address": venue.address or "",
        "starts_at": iso_utc(slot.starts_at),
        "ends_at": iso_utc(slot.ends_at),
        "students": booking.attended_students or 0,
        "teachers": booking.attended_teachers or 0,
        "booking_code": booking.code,
    }


def _stored(booking_id: int) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.booking_id == booking_id))


def certificate_for(booking: Booking, now: datetime | None = None) -> Certificate:
    """The booking's certificate, issued now if this is the first time it is asked for.
    ``BookingRefused("not_completed")`` (409) before the visit is completed.

    A download is a GET: it reads in the request's transaction and, only the first time, ends
    that read and writes in a transaction of its own that takes SQLite's write lock up front.
    Two first downloads at once both end with the one certificate: the booking's unique
    constraint lets one insert win, the other reads what it wrote."""
    if not available(booking):
        raise BookingRefused("not_completed")
    existing = _stored(booking.id)
    if existing is not None:
        return existing
    booking_id = booking.id
    db.session.rollback()  # end the read: the write below begins with the lock (SQLite)
    for _attempt in range(ISSUE_ATTEMPTS):
        with write_intent():
            booking = db.session.get(Booking, booking_id)
            existing = _stored(booking_id)
            if existing is not None:
                db.session.rollback()
                return existing
            certificate = Certificate(
                booking_id=booking_id, code=new_code(), facts=facts_of(booking), issued_at=now or utcnow()
            )
            db.session.add(certificate)
            try:
                db.session.commit()
                return certificate
            except IntegrityError:
                db.session.rollback()  # issued meanwhile by another request, or (79 bits) a code taken
    existing = _stored(booking_id)
    if existing is None:
        raise RuntimeError(f"no certificate could be issued for booking {booking_id}")
    return existing


def find(typed_code: str | None) -> Certificate | None:
    """The certificate with this code (as typed or scanned), or None."""
    code = normalise_code(typed_code)
    if code is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def stated(certificate: Certificate) -> dict:
    """The certificate's facts ready to show, in the current language: the check page's lines
    and the PDF's (which is drawn under the Indonesian locale)."""
    facts = certificate.facts
    starts_at = datetime.fromisoformat(facts["starts_at"].replace("Z", "+00:00"))
    ends_at = datetime.fromisoformat(facts["ends_at"].replace("Z", "+00:00"))
    return {
        **facts,
        "day": wita_date(starts_at, "full"),
        "time": wita_range(starts_at, ends_at, "full"),
        "code": display_code(certificate.code),
        "booking": booking_code_display(facts["booking_code"]),
        "issued": wita_date(certificate.issued_at, "long"),
        "attended": _(
            "%(students)s students and %(teachers)s teachers",
            students=facts["students"],
            teachers=facts["teachers"],
        ),
    }


def filename(certificate: Certificate) -> str:
    return f"sertifikat-kunjungan-{certificate.facts['booking_code']}.pdf"


# -- the PDF ----------------------------------------------------------------------------------


def _qr_png(url: str) -> io.BytesIO:
    """The check page's address as a QR code image, sharp at print size (no smoothing)."""
    buffer = io.BytesIO()
    segno.make(url, micro=False, error="m").save(buffer, kind="png", scale=10, border=4)
    buffer.seek(0)
    return buffer


def _fitted(pdf: FPDF, text: str, width: float, largest: float, smallest: float, lines: int) -> float:
    """The largest font size (points) at which ``text`` fits ``width`` in at most ``lines``
    lines, so a long school or program name shrinks instead of pushing the page over."""
    size = largest
    while size > smallest:
        pdf.set_font_size(size)
        if len(pdf.multi_cell(width, text=text, dry_run=True, output="LINES")) <= lines:
            return size
        size -= 1
    return smallest


def _centred(pdf: FPDF, text: str, size: float, style: str = "", color=INK, shrink_to: float | None = None) -> None:
    width = pdf.epw
    pdf.set_font(FONT_FAMILY, style)
    if shrink_to is not None:
        size = _fitted(pdf, text, width, size, shrink_to, lines=2)
    pdf.set_font(FONT_FAMILY, style, size)
    pdf.set_text_color(*color)
    pdf.multi_cell(width, size * 0.5, text=text, align="C", new_x="LMARGIN", new_y="NEXT")


def render_pdf(certificate: Certificate) -> bytes:
    """The certificate as a one-page A4 landscape PDF, in Indonesian."""
    fonts = current_app.static_folder + "/fonts/"
    with force_locale(CERTIFICATE_LOCALE):
        facts = stated(certificate)
        pdf = FPDF(orientation="landscape", unit="mm", format="A4")
        pdf.set_creation_date(certificate.issued_at)
        pdf.set_title(_("Certificate of attendance") + f" {facts['code']}")
        pdf.set_author("KOIN Media — Dinas Perindustrian Provinsi NTB")
        pdf.set_lang("id")
        for style, name in FONT_FILES.items():
            pdf.add_font(FONT_FAMILY, style, fonts + name)
        pdf.set_auto_page_break(False)
        pdf.set_margins(28, 24, 28)
        pdf.add_page()

        pdf.set_draw_color(*GREEN)
        pdf.set_line_width(1.2)
        pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
        pdf.set_line_width(0.3)
        pdf.rect(14, 14, pdf.w - 28, pdf.h - 28)

        pdf.set_y(22)
        _centred(pdf, "KOIN Media · Dinas Perindustrian Provinsi Nusa Tenggara Barat", 10, color=MUTED)
        pdf.ln(4)
        _centred(pdf, _("Certificate of attendance").upper(), 26, "B", GREEN)
        _centred(pdf, _("Educational visit (eduwisata)"), 12, color=MUTED)
        pdf.ln(6)
        _centred(pdf, _("This certifies that"), 11)
        pdf.ln(2)
        _centred(pdf, facts["school"], 22, "B", shrink_to=12)
        _centred(pdf, f"NPSN {facts['npsn']}", 10, color=MUTED)
        pdf.ln(4)
        _centred(pdf, _("took part in the program"), 11)
        pdf.ln(1)
        _centred(pdf, facts["program"], 15, "B", shrink_to=10)
        _centred(pdf, _("at %(venue)s", venue=facts["venue"]), 13, shrink_to=9)
        _centred(pdf, facts["time"], 11)
        pdf.ln(3)
        _centred(pdf, _("Attended: %(attended)s", attended=facts["attended"]), 12, "B")

        # The foot: the QR code on the left, how to check the certificate beside it.
        foot_y = pdf.h - 24 - QR_SIZE_MM
        url = check_url(certificate.code)
        pdf.image(_qr_png(url), x=28, y=foot_y, w=QR_SIZE_MM, h=QR_SIZE_MM)
        left = 28 + QR_SIZE_MM + 6
        pdf.set_xy(left, foot_y + 4)
        pdf.set_text_color(*INK)
        pdf.set_font(FONT_FAMILY, "", 10)
        pdf.cell(h=6, text=_("Verification code"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(left)
        pdf.set_font(FONT_FAMILY, "B", 16)
        pdf.cell(h=8, text=facts["code"], new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(left)
        pdf.set_font(FONT_FAMILY, "", 9)
        pdf.set_text_color(*MUTED)
        pdf.ln(1)
        pdf.set_x(left)
        pdf.multi_cell(
            pdf.w - left - 28,
            4.5,
            text=_("Scan the QR code or open %(url)s to check this certificate.", url=url),
            align="L",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_x(left)
        pdf.cell(
            text=_("Booking %(booking)s · issued %(issued)s", booking=facts["booking"], issued=facts["issued"]),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        return bytes(pdf.output())


def pdf_response(certificate: Certificate) -> Response:
    """The PDF as a download, for the page and the API alike. Private: the certificate names
    a school, so no shared cache keeps it."""
    response = Response(render_pdf(certificate), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename(certificate)}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def download(booking: Booking):
    """The booking's certificate as a download, issued on the first one; before the visit is
    completed a 409 that says so. The page and the API answer alike."""
    try:
        issued = certificate_for(booking)
    except BookingRefused as refusal:
        return error_response(409, refusal.message, error=refusal.code)
    return pdf_response(issued)
