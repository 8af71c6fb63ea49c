"""The certificate of attendance: a PDF in Indonesian whose text and QR code are read back, the
public check page its QR code leads to, who may download it, 409 before the visit is
completed, one certificate however many download it at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
import zxingcpp
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import func, select

from koin_media.accounts.models import School
from koin_media.booking.models import Booking
from koin_media.extensions import db
from koin_media.i18n import wita_date, wita_range
from koin_media.visits import certificates
from koin_media.visits.after_models import Certificate

from .after_visit_helpers import completed_visit, confirmed_visit
from .booking_helpers import make_program, make_slot, make_venue, school_user
from .conftest import PASSWORD, Auth

PUBLIC = "https://koin.contoh.id"
# Names of the people and places in scripts beyond Latin-1: the PDF core fonts cannot draw them.
SCHOOL_NAME = "MTs Nurul Ḥikmah Ṣaleh Mataram"
VENUE_NAME = "Taman Budaya Sasak — Śrī Lombok"
PROGRAM_TITLE = "Tenun Ikat & Gendang Beleq: Ŵarisan Budaya"


@pytest.fixture
def site(make_app):
    app = make_app(PUBLIC_URL=PUBLIC)
    with app.app_context():
        yield app


@pytest.fixture
def visit(site, factory):
    """A completed visit of a school and venue with non-ASCII names: 28 students and 2 teachers came."""
    venue = make_venue(slug="taman-budaya", name=VENUE_NAME)
    slot = make_slot(make_program(venue, title=PROGRAM_TITLE), starts_in=timedelta(days=6))
    school = school_user()
    school.school.name = SCHOOL_NAME
    manager = factory.user("venue_manager")
    venue.managers.append(manager)
    db.session.commit()
    booking = completed_visit(school, slot, manager, students=28, teachers=2)
    return {"booking": booking, "school": school, "manager": manager, "slot": slot}


def signed_in(app, user):
    client = app.test_client()
    assert Auth(client).login(user).status_code == 302
    return client


def bearer(app, user) -> dict:
    answer = app.test_client().post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def pdf_text_and_qr(data: bytes) -> tuple[str, list[str], tuple[float, float]]:
    """The text of the (only) page, the QR codes found on it rendered at 200 dpi, its size in points."""
    document = pdfium.PdfDocument(data)
    assert len(document) == 1
    page = document[0]
    text = page.get_textpage().get_text_range()
    image = page.render(scale=200 / 72).to_pil()
    found = [
        barcode.text for barcode in zxingcpp.read_barcodes(image) if barcode.format == zxingcpp.BarcodeFormat.QRCode
    ]
    return text, found, page.get_size()


def expected_facts(booking: Booking) -> dict:
    with force_locale("id"):
        return {
            "day": wita_date(booking.slot.starts_at, "full"),
            "time": wita_range(booking.slot.starts_at, booking.slot.ends_at, "full"),
        }


# -- the PDF, read back -----------------------------------------------------------------------


def test_certificate_pdf_states_the_visit_and_its_qr_code_leads_to_the_check_page(site, visit):
    booking, school = visit["booking"], visit["school"]
    client = signed_in(site, school)
    response = client.get(f"/bookings/{booking.id}/certificate.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="sertifikat-kunjungan-{booking.code}.pdf"'

    text, qr_codes, (width, height) = pdf_text_and_qr(response.data)
    assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points
    certificate = db.session.scalar(select(Certificate).where(Certificate.booking_id == booking.id))
    code = certificates.display_code(certificate.code)
    expected = expected_facts(booking)
    flat = " ".join(text.split())  # line breaks of the layout aside
    for fact in (SCHOOL_NAME, VENUE_NAME, PROGRAM_TITLE, "NPSN " + school.school.npsn, expected["time"], code):
        assert fact in flat, f"{fact!r} is not in the PDF's text: {flat!r}"
    assert "SERTIFIKAT KEHADIRAN" in flat and "28 siswa dan 2 guru" in flat  # Indonesian, the attendance
    assert expected["day"].startswith(("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"))

    check_url = f"{PUBLIC}/certificates/{certificate.code}"
    assert qr_codes == [check_url]
    page = client.get(check_url.removeprefix(PUBLIC))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for fact in (SCHOOL_NAME, VENUE_NAME, PROGRAM_TITLE, expected["time"], "28 siswa dan 2 guru", code):
        assert str(escape(fact)) in html, f"{fact!r} is not on the check page"
    assert "asli" in html  # "genuine"


def test_names_are_set_in_the_bundled_font_not_replaced(site, visit):
    data = signed_in(site, visit["school"]).get(f"/bookings/{visit['booking'].id}/certificate.pdf").data
    assert b"/FontFile2" in data and b"DejaVuSans" in data  # the TTF is embedded (a subset of it)
    assert "?" not in pdf_text_and_qr(data)[0].split("NPSN")[0]  # no glyph of the names fell back to "?"


def test_the_certificate_is_issued_once_and_keeps_what_it_stated(site, visit):
    booking, school = visit["booking"], visit["school"]
    client = signed_in(site, school)
    first = client.get(f"/bookings/{booking.id}/certificate.pdf")
    certificate = db.session.scalar(select(Certificate).where(Certificate.booking_id == booking.id))
    code = certificate.code
    # The school is renamed later: the paper already printed and its check page still agree.
    db.session.get(School, booking.school_id).name = "SMP Lain"
    db.session.commit()
    second = client.get(f"/bookings/{booking.id}/certificate.pdf")
    assert first.data == second.data
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert str(escape(SCHOOL_NAME)) in client.get(f"/certificates/{code}").get_data(as_text=True)


def test_the_code_is_random_and_read_as_typed(site, visit):
    issued = certificates.certificate_for(visit["booking"])
    assert len(issued.code) == certificates.CODE_LENGTH and set(issued.code) <= set(certificates.ALPHABET)
    typed = certificates.display_code(issued.code).lower().replace("-", " - ")
    client = site.test_client()
    assert client.get(f"/certificates/{typed}").status_code == 200
    assert len({certificates.new_code() for _ in range(1000)}) == 1000


@pytest.mark.parametrize("code", ["AAAAAAAAAAAAAAAA", "abc", "0000-1111-2222-3333", "x" * 300])
def test_an_unknown_code_is_a_404_that_says_so(site, visit, code):
    certificates.certificate_for(visit["booking"])
    response = site.test_client().get(f"/certificates/{code}")
    assert response.status_code == 404
    assert "Tidak ada sertifikat dengan kode ini" in response.get_data(as_text=True)


# -- who, and when ----------------------------------------------------------------------------


def test_who_may_download_the_certificate(site, visit, factory):
    booking = visit["booking"]
    other_manager = factory.user("venue_manager")
    other_venue = make_venue(slug="meninting", name="Meninting Bike Park")
    other_venue.managers.append(other_manager)
    db.session.commit()
    allowed = {"school": visit["school"], "manager": visit["manager"], "staff": factory.user("staff")}
    refused = {
        "other school": school_user(start=950),
        "other venue's manager": other_manager,
        "business": factory.user("ikm"),
        "creator": factory.user("creator"),
    }
    for who, user in allowed.items():
        page = signed_in(site, user).get(f"/bookings/{booking.id}/certificate.pdf")
        api = site.test_client().get(f"/api/v1/bookings/{booking.id}/certificate", headers=bearer(site, user))
        assert (page.status_code, api.status_code) == (200, 200), who
        assert page.data[:5] == api.data[:5] == b"%PDF-"
    for who, user in refused.items():
        page = signed_in(site, user).get(f"/bookings/{booking.id}/certificate.pdf")
        api = site.test_client().get(f"/api/v1/bookings/{booking.id}/certificate", headers=bearer(site, user))
        assert (page.status_code, api.status_code) == (404, 404), who
    anonymous = site.test_client()
    assert anonymous.get(f"/bookings/{booking.id}/certificate.pdf").status_code == 302
    assert anonymous.get(f"/api/v1/bookings/{booking.id}/certificate").status_code == 401


def test_no_certificate_before_the_visit_is_completed(site, factory):
    slot = make_slot()
    manager = factory.user("venue_manager")
    slot.program.venue.managers.append(manager)
    db.session.commit()
    school = school_user()
    booking = confirmed_visit(school, slot, manager)
    page = signed_in(site, school).get(f"/bookings/{booking.id}/certificate.pdf")
    assert page.status_code == 409 and "setelah kunjungan selesai" in page.get_data(as_text=True)
    api = site.test_client().get(
        f"/api/v1/bookings/{booking.id}/certificate", headers={**bearer(site, school), "Accept-Language": "en"}
    )
    assert api.status_code == 409
    assert api.get_json() == {"error": "not_completed", "message": "This is available once the visit is completed."}
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
    detail = signed_in(site, school).get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert 'id="certificate-link"' not in detail


def test_the_booking_page_links_the_certificate_once_completed(site, visit):
    booking = visit["booking"]
    school_page = signed_in(site, visit["school"]).get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert f'href="/bookings/{booking.id}/certificate.pdf"' in school_page
    assert f'href="/bookings/{booking.id}/feedback"' in school_page  # the school is asked for feedback
    manager_page = signed_in(site, visit["manager"]).get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert f'href="/bookings/{booking.id}/certificate.pdf"' in manager_page
    assert f'href="/bookings/{booking.id}/feedback"' not in manager_page  # the venue does not rate itself


# -- at once ----------------------------------------------------------------------------------


def test_first_downloads_at_the_same_moment_issue_one_certificate(site, visit):
    booking_id = visit["booking"].id
    db.session.remove()
    start = threading.Barrier(4)
    codes, failures = [], []

    def download():
        with site.app_context():
            try:
                start.wait()
                codes.append(certificates.certificate_for(db.session.get(Booking, booking_id)).code)
            except Exception as error:  # reported below, with the thread's own error
                failures.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=download) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(codes) == 4 and len(set(codes)) == 1
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_rendering_reads_no_booking(site, visit):
    """The PDF is drawn from the stored facts alone: what it states cannot drift from the check page."""
    issued_id = certificates.certificate_for(visit["booking"]).id
    db.session.expunge_all()
    stored = db.session.get(Certificate, issued_id)
    data = certificates.render_pdf(stored)
    assert "booking" not in stored.__dict__  # the relationship was never loaded
    assert pdf_text_and_qr(data)[1] == [f"{PUBLIC}/certificates/{stored.code}"]
