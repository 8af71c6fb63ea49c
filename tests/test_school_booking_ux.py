"""A school's booking as people read it: the account's state instead of a form that would
fail, the level warning a coordinator can confirm, the total price and what to bring, the
booking page after check-in, the levels a school teaches (account page, registration,
migration), and, in Chromium at 390x844 and 1280x800, the QR code above the fold, the live
total and the level warning before sending."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, format_datetime
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from koin_media.accounts.models import School, User
from koin_media.audit import AuditEvent
from koin_media.booking import services, visits, waitlist
from koin_media.booking.models import Booking
from koin_media.database import utcnow, write_intent
from koin_media.extensions import db

from .booking_helpers import group_request, make_program, make_slot, school_user
from .browser_fixtures import no_horizontal_scroll, save_screenshot, signed_in_page
from .conftest import PASSWORD, csrf_token
from .test_booking_api import bearer
from .test_booking_journeys import last_booking, message, request_slot


def book(user, slot, **overrides) -> Booking:
    with write_intent():
        return services.book_slot(user, slot.id, group_request(**overrides))


def confirmed_booking(slot, school, staff) -> Booking:
    booking = book(school, slot)
    with write_intent():
        services.confirm(booking, staff)
    return booking


def set_levels(user, levels: str) -> None:
    user.school.levels = levels
    db.session.commit()


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# -- the account's state instead of a form that fails --------------------------------------------


def test_an_unverified_school_sees_its_state_and_what_happens_next_not_a_form(client, auth, slot):
    user = school_user(verified=False)
    auth.login(user)
    page = client.get(f"/slots/{slot.id}/book")
    body = text_of(page)
    assert page.status_code == 200
    assert 'id="membership-problem" data-state="school_unverified"' in body
    assert "Sekolah Anda menunggu verifikasi" in body  # the state, in Indonesian
    assert "staf memeriksa NPSN" in body and "satu hari kerja" in body  # who verifies, how long
    assert f"Kami mengirim e-mail ke {user.email}" in body  # that they will be told
    assert 'href="/account"' in body  # their account page
    assert 'name="students"' not in body and "booking-form" not in body  # no form to fail on

    # Sending anyway (an old tab) is refused by the same rule, with the same sentence.
    response = request_slot(client, slot.id)
    assert response.status_code == 422 and message("school_unverified") in response.get_data(as_text=True)
    assert last_booking() is None


def test_the_api_refuses_an_unverified_school_with_the_same_sentence(client, slot):
    user = school_user(verified=False)
    headers = {**bearer(client, user), "Accept-Language": "id"}
    response = client.post("/api/v1/bookings", json={"slot_id": slot.id, **group_request().stored()}, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"] == "school_unverified"
    assert "biasanya dalam satu hari kerja" in response.get_json()["message"]


def test_a_coordinator_waiting_for_approval_sees_who_approves(client, auth, slot, school):
    colleague = User(
        email="rekan@sekolah.contoh.id", name="Rekan", role="school", email_verified_at=utcnow(), regency=school.regency
    )
    colleague.set_password(PASSWORD)
    colleague.join_school(school.school)
    db.session.add(colleague)
    db.session.commit()
    auth.login(colleague)
    body = text_of(client.get(f"/slots/{slot.id}/book"))
    assert 'data-state="coordinator_pending"' in body and "Akun Anda menunggu persetujuan" in body
    assert "Koordinator sekolah Anda yang sudah disetujui" in body and 'name="students"' not in body
    assert 'data-state="coordinator_pending"' in text_of(client.get("/my/bookings"))


def test_an_unconfirmed_address_is_asked_for_before_the_form(client, auth, slot, school):
    school.email_verified_at = None
    db.session.commit()
    auth.login(school)
    body = text_of(client.get(f"/slots/{slot.id}/book"))
    assert 'data-state="email_unverified"' in body and 'name="students"' not in body


def test_a_school_that_may_book_gets_the_form(client, auth, slot, school):
    auth.login(school)
    body = text_of(client.get(f"/slots/{slot.id}/book"))
    assert 'id="membership-problem"' not in body and 'name="students"' in body


# -- the level a school teaches ------------------------------------------------------------------


def test_a_level_the_school_does_not_teach_asks_for_confirmation(client, auth, slot, school):
    set_levels(school, "SMP")
    auth.login(school)
    form = client.get(f"/slots/{slot.id}/book").get_data(as_text=True)
    assert 'data-school-levels="SMP"' in form
    assert '<option selected value="SMP">' in form  # starts on the level the school teaches
    assert 'id="level-check" hidden' in form  # the question waits for a level to ask about

    response = request_slot(client, slot.id, level="SMA")
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and last_booking() is None
    assert message("level_not_taught", school=school.school.name, levels="SMP", level="SMA") in body
    assert "tercatat mengajar jenjang SMP, bukan SMA" in body
    assert 'id="level-check" hidden' not in body and 'name="level_confirmed"' in body

    response = request_slot(client, slot.id, level="SMA", level_confirmed="y")
    assert response.status_code == 302
    assert last_booking().level == "SMA"


def test_the_level_warning_is_a_question_not_a_refusal_and_the_program_rule_stays_hard(client, auth, school):
    sd_too = make_slot(make_program(levels="SD,SMP"))
    smp_only = make_slot(make_program(sd_too.program.venue, title="Khusus SMP", levels="SMP"))
    set_levels(school, "SMP")
    auth.login(school)
    # The program excludes SMA: confirming changes nothing.
    response = request_slot(client, smp_only.id, level="SMA", level_confirmed="y")
    assert response.status_code == 422 and message("level_not_offered", level="SMA", levels="SMP") in (
        response.get_data(as_text=True)
    )
    # A school whose levels are not recorded is asked nothing.
    set_levels(school, "")
    assert request_slot(client, sd_too.id, level="SD").status_code == 302


def test_the_api_asks_the_same_question(client, slot, school):
    set_levels(school, "SMP")
    headers = bearer(client, school)
    fields = {"slot_id": slot.id, **group_request(level="SMA").stored()}
    response = client.post("/api/v1/bookings", json=fields, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"] == "level_not_taught" and "level" in response.get_json()["errors"]
    response = client.post("/api/v1/bookings", json={**fields, "level_confirmed": True}, headers=headers)
    assert response.status_code == 201 and last_booking().level == "SMA"


def test_a_waitlist_offer_accepted_is_not_asked_again(app, slot, school):
    set_levels(school, "SMP")
    with write_intent():
        # Seats are free: the entry is offered them at once.
        entry = waitlist.join_waitlist(school, slot.id, group_request(level="SMA", level_confirmed=True))
    assert entry.status == "offered"
    with write_intent():
        booking = waitlist.accept_offer(entry, school)
    assert booking.level == "SMA"


# -- price and what to bring ---------------------------------------------------------------------


def test_the_form_and_the_booking_show_the_total_price_and_what_to_bring(client, auth, school):
    slot = make_slot(make_program(price_per_student=25000))
    auth.login(school)
    body = text_of(client.get(f"/slots/{slot.id}/book"))
    assert "Harga: Rp 25.000 per siswa; guru gratis." in body
    assert 'data-price="25000"' in body and 'data-free="Gratis"' in body
    assert 'id="what-to-bring"' in body and "Yang perlu dibawa" in body and "Sepatu tertutup" in body

    # A refused request keeps the number typed, and shows its total.
    body = text_of(request_slot(client, slot.id, students=30, consent=False))
    assert "Total: Rp 750.000 untuk 30 siswa" in body

    assert request_slot(client, slot.id, students=30).status_code == 302
    page = text_of(client.get(f"/bookings/{last_booking().id}"))
    assert 'id="booking-total">Rp 750.000' in page and "30 siswa × Rp 25.000; guru gratis" in page
    assert 'id="what-to-bring"' in page and "Surat izin orang tua" in page


def test_a_free_program_says_free(client, auth, slot, school):
    auth.login(school)
    assert "Gratis" in text_of(client.get(f"/slots/{slot.id}/book")).split('id="total-price"')[1][:80]
    assert request_slot(client, slot.id).status_code == 302
    assert 'id="booking-total">Gratis' in text_of(client.get(f"/bookings/{last_booking().id}"))


# -- my bookings: what comes next on top -----------------------------------------------------------


def test_my_bookings_lists_the_coming_visits_soonest_first_then_the_past_ones_latest_first(
    client, auth, school, factory
):
    staff, program, now = factory.user("staff"), make_program(), utcnow()
    # Made in an order that neither the old order (latest start first) nor the ids give.
    later, older, soon, under_way, recent = (
        make_slot(program, starts_in=timedelta(days=days)) for days in (20, 15, 3, 10, 12)
    )
    ids = {slot: confirmed_booking(slot, school, staff).id for slot in (later, older, soon, under_way, recent)}
    for slot, started in ((under_way, timedelta(hours=1)), (recent, timedelta(days=2)), (older, timedelta(days=30))):
        slot.starts_at, slot.ends_at = now - started, now - started + timedelta(hours=2)
    db.session.commit()
    auth.login(school)
    listed = [int(i) for i in re.findall(r'<tr id="booking-(\d+)"', text_of(client.get("/my/bookings")))]
    assert listed == [ids[under_way], ids[soon], ids[later], ids[recent], ids[older]]


def test_a_school_without_bookings_is_led_to_the_venues(client, auth, school):
    auth.login(school)
    body = text_of(client.get("/my/bookings"))
    assert 'id="no-bookings"' in body and "Sekolah Anda belum memiliki pemesanan." in body
    empty_state = body.split('id="no-bookings"')[1].split("</p>")[0]
    assert 'href="/venues"' in empty_state and "Pilih venue untuk memesan kunjungan" in empty_state


# -- after check-in ------------------------------------------------------------------------------


def test_after_check_in_the_page_says_when_not_show_this_code(app, client, auth, school, factory):
    slot = make_slot(starts_in=timedelta(minutes=30))
    staff = factory.user("staff")
    booking = confirmed_booking(slot, school, staff)
    auth.login(school)
    page = text_of(client.get(f"/bookings/{booking.id}"))
    assert "Tunjukkan kode ini" in page and 'class="qr"' in page and 'id="checked-in"' not in page

    with write_intent():
        visits.check_in(booking, staff, 28, 2)
    booking = db.session.get(Booking, booking.id)
    assert booking.checked_in_at is not None
    with app.test_request_context(), force_locale("id"):
        at = format_datetime(booking.checked_in_at, "HH.mm")
    page = text_of(client.get(f"/bookings/{booking.id}"))
    assert f"Sudah check-in pukul {at} WITA." in page
    assert "Tunjukkan kode ini" not in page and 'class="qr"' not in page and 'id="qr-link"' not in page


# -- the levels a school teaches: account page and registration -----------------------------------


def test_an_approved_coordinator_records_the_levels_on_the_account_page(client, auth, school):
    auth.login(school)
    page = text_of(client.get("/account"))
    assert 'id="school-levels">belum dicatat' in page and 'name="school_levels"' in page
    data = {
        "name": school.name,
        "locale": "id",
        "school_levels": ["SMP", "SMA"],
        "csrf_token": csrf_token(client, "/account"),
    }
    assert client.post("/account", data=data).status_code == 302
    db.session.expire_all()
    assert school.school.levels == "SMP,SMA"
    assert 'id="school-levels">SMP, SMA' in text_of(client.get("/account"))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "school.levels"))
    assert event is not None and event.detail["levels"] == "SMP,SMA"

    data["school_levels"] = ["SMU"]
    response = client.post("/account", data={**data, "csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 422 and "Pilih jenjang dari daftar" in text_of(response)


def test_a_coordinator_not_yet_approved_cannot_change_the_schools_levels(client, auth):
    waiting = school_user(verified=False)
    set_levels(waiting, "SD")
    auth.login(waiting)
    assert 'name="school_levels"' not in client.get("/account").get_data(as_text=True)
    data = {
        "name": waiting.name,
        "locale": "id",
        "school_levels": ["SMA"],
        "csrf_token": csrf_token(client, "/account"),
    }
    assert client.post("/account", data=data).status_code == 302
    db.session.expire_all()
    assert waiting.school.levels == "SD"


def test_registration_records_a_new_schools_levels_and_leaves_a_known_ones(client, school):
    set_levels(school, "SMP")

    def register(email, npsn, levels):
        data = {
            "name": "Bu Guru",
            "email": email,
            "password": PASSWORD,
            "confirm": PASSWORD,
            "school_name": "SMAN 1 Praya",
            "npsn": npsn,
            "regency": "lombok-tengah",
            "levels": levels,
            "csrf_token": csrf_token(client, "/register/school"),
        }
        response = client.post("/register/school", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token(client)})

    register("baru@sekolah.contoh.id", "50209999", ["SMA", "SMK"])
    register("penyusup@contoh.id", school.school.npsn, ["SD"])
    db.session.expire_all()
    assert db.session.scalar(select(School.levels).where(School.npsn == "50209999")) == "SMA,SMK"
    assert school.school.levels == "SMP"  # naming a known NPSN changes nothing about the school


# -- the migration: levels from the name, check-in times from the audit log -------------------------


def test_the_migration_derives_levels_from_names_and_check_in_times_from_the_log(app, school, factory):
    names = {
        "SMPN 2 Mataram": "SMP",
        "SD Negeri 1 Praya": "SD",
        "SMA Negeri 1 Selong": "SMA",
        "SMKN 3 Mataram": "SMK",
        "MTs Nurul Huda": "SMP",
        "Sekolah Alam Lombok": "",
        "Yayasan SMP Terpadu": "",  # the level is not the name's first word: unknown
        "SD-SMP Terpadu Lombok": "",  # two levels named: a guess of one would warn the other
        "MA'HAD Darul Hikmah": "",  # a word that starts with MA, not a madrasah aliyah
        "SMAN 1 Praya": "SMA",
    }
    regency = school.regency
    for index, name in enumerate(names):
        db.session.add(School(npsn=f"5300000{index}", name=name, regency=regency, levels="SMA"))
    slot = make_slot(starts_in=timedelta(minutes=30))
    staff = factory.user("staff")
    booking = confirmed_booking(slot, school, staff)
    with write_intent():
        visits.check_in(booking, staff, 30, 2)
    logged = db.session.scalar(select(AuditEvent.created_at).where(AuditEvent.action == "booking.check_in"))
    booking_id = booking.id
    db.session.commit()
    db.session.remove()

    downgrade(revision="0013_notices")
    upgrade()

    found = dict(db.session.execute(select(School.name, School.levels).where(School.name.in_(names))).all())
    assert found == names
    assert db.session.get(Booking, booking_id).checked_in_at == logged


# -- in Chromium: a phone and a desktop, in Indonesian ---------------------------------------------

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_qr_code_and_the_code_are_on_the_first_screen(make_app, live_server, browser, factory, viewport):
    app = make_app()
    with app.app_context():
        school = school_user()
        booking = confirmed_booking(make_slot(), school, factory.user("staff"))
        email, booking_id = school.email, booking.id
    server = live_server(app)
    errors = []
    page = signed_in_page(browser, server.url, email, viewport, errors)
    page.goto(f"{server.url}/bookings/{booking_id}")
    page.wait_for_function("document.querySelector('img.qr').complete")
    qr = page.locator("img.qr").bounding_box()
    code = page.locator("#gate-pass .big-code").bounding_box()
    assert qr["y"] + qr["height"] <= viewport["height"], qr  # above the fold
    assert code["y"] + code["height"] <= viewport["height"], code
    assert qr["width"] >= 200 and qr["height"] >= 200  # big enough for the gate's camera
    # and nothing (a menu, a banner) lies over it
    centre = (qr["x"] + qr["width"] / 2, qr["y"] + qr["height"] / 2)
    assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).matches('img.qr')", list(centre))
    assert "Tunjukkan kode ini" in page.locator("#show-code").inner_text()
    assert no_horizontal_scroll(page) and errors == []
    if viewport is PHONE:
        save_screenshot(page, "school-booking-pass")

    page.goto(f"{server.url}/my/bookings")
    link = page.locator(f"#booking-{booking_id} a.code").bounding_box()
    assert link["height"] >= 44 and no_horizontal_scroll(page)
    if viewport is PHONE:  # a card: each line labelled, not a table squeezed sideways
        assert page.locator(f"#booking-{booking_id}").evaluate("row => getComputedStyle(row).display") == "block"


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_live_total_and_the_level_warning_before_sending(make_app, live_server, browser, viewport):
    app = make_app()
    with app.app_context():
        slot = make_slot(make_program(price_per_student=25000))
        school = school_user()
        set_levels(school, "SMP")
        email, slot_id = school.email, slot.id
    server = live_server(app)
    errors = []
    page = signed_in_page(browser, server.url, email, viewport, errors)
    page.goto(f"{server.url}/slots/{slot_id}/book")
    form = page.locator("form.booking-form")
    total = page.locator("#total-price")

    form.locator("[name=students]").fill("30")
    assert total.inner_text() == "Total: Rp 750.000 untuk 30 siswa"
    form.locator("[name=students]").fill("12")
    assert total.inner_text() == "Total: Rp 300.000 untuk 12 siswa"

    check = page.locator("#level-check")
    assert form.locator("[name=level]").input_value() == "SMP" and not check.is_visible()
    form.locator("[name=level]").select_option("SMA")
    assert check.is_visible()
    assert "tercatat mengajar jenjang SMP, bukan SMA" in page.locator("#level-warning").inner_text()
    form.locator("[name=level]").select_option("SMK")
    assert "bukan SMK" in page.locator("#level-warning").inner_text()
    if viewport is PHONE:
        form.locator("[name=level]").scroll_into_view_if_needed()
        save_screenshot(page, "school-booking-level-warning")
    form.locator("[name=level]").select_option("SMP")
    assert not check.is_visible()

    # Confirmed deliberately, the request goes through with the level chosen.
    form.locator("[name=level]").select_option("SMA")
    form.locator("[name=level_confirmed]").check()
    form.locator("[name=teachers]").fill("1")
    form.locator("[name=consent]").check()
    form.locator("[name=contact_phone]").fill("0812 3456 7890")
    with page.expect_navigation():
        form.locator("button[value=book]").click()
    assert "/bookings/" in page.url
    assert page.locator("#booking-total").inner_text().startswith("Rp 300.000")
    assert no_horizontal_scroll(page) and errors == []
    with app.app_context():
        assert db.session.scalar(select(Booking.level)) == "SMA"
