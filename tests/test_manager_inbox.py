"""The venue managers' inbox (issue 10, point 8): every pending request across their venues, the
most urgent first, with the time left, confirm and reject right there, a count in the
navigation, and the same list as JSON (``GET /api/v1/bookings/pending``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from koin_media.booking import pending, services
from koin_media.booking.models import CONFIRMED, PENDING, REJECTED, Booking
from koin_media.database import utcnow, write_intent
from koin_media.extensions import db
from koin_media.localtime import LOCAL, local_to_utc, local_today

from .booking_helpers import group_request, make_program, make_slot, make_venue, school_users
from .browser_fixtures import log_in, no_horizontal_scroll, on_screen, save_screenshot
from .conftest import csrf_token
from .query_count import statements_of
from .test_booking_api import bearer

INBOX = "/manage/inbox"
ROW = re.compile(r'<li class="manage-card[^"]*" id="booking-(\d+)"')
BADGE = re.compile(r'href="/manage/inbox"[^>]*>[^<]*<span class="badge"[^>]*>(\d+)</span>')


def book(user, slot, **overrides) -> Booking:
    with write_intent():
        return services.book_slot(user, slot.id, group_request(**overrides))


def listed(client, path: str = INBOX) -> list[int]:
    response = client.get(path)
    assert response.status_code == 200
    return [int(found) for found in ROW.findall(response.get_data(as_text=True))]


def badge(client, path: str = "/") -> int | None:
    found = BADGE.search(client.get(path).get_data(as_text=True))
    return int(found.group(1)) if found else None


def set_deadline(booking: Booking, expires_at, created_at=None) -> None:
    booking.expires_at = expires_at
    if created_at is not None:
        booking.created_at = created_at
    db.session.commit()


@pytest.fixture
def other_slot(app):
    """A session of another venue, which the ``manager`` fixture does not manage."""
    venue = make_venue(slug="meninting-bike-park", name="Meninting Bike Park")
    return make_slot(make_program(venue, title="Bersepeda Aman"), capacity=100)


# -- who sees what ----------------------------------------------------------------------------


def test_a_manager_sees_only_their_venues_requests_and_cannot_confirm_another(
    client, auth, slot, other_slot, manager, factory
):
    ours_school, theirs_school = school_users(2, start=10)
    ours, theirs = book(ours_school, slot), book(theirs_school, other_slot)
    auth.login(manager)
    assert listed(client) == [ours.id]
    page = client.get(INBOX).get_data(as_text=True)
    assert "Meninting Bike Park" not in page and theirs_school.school.name not in page
    # another venue's request is refused from here as everywhere: not found, nothing changed
    token = csrf_token(client, INBOX)
    refused = client.post(f"/bookings/{theirs.id}/confirm", data={"csrf_token": token, "next": INBOX})
    assert refused.status_code == 404
    db.session.rollback()
    assert db.session.get(Booking, theirs.id).status == PENDING

    auth.logout()
    auth.login(factory.user("staff"))
    assert sorted(listed(client)) == sorted([ours.id, theirs.id])  # staff: every venue


@pytest.mark.parametrize("role", ["school", "creator", "ikm"])
def test_other_roles_have_no_inbox_and_no_link(client, auth, factory, role, slot):
    auth.login(factory.user(role))
    assert client.get(INBOX).status_code == 403
    assert 'href="/manage/inbox"' not in client.get("/").get_data(as_text=True)


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(INBOX)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# -- order and what each request shows --------------------------------------------------------


def test_most_urgent_first_then_oldest_and_only_what_can_still_be_decided(client, auth, slot, manager):
    now = utcnow()
    later_slot = make_slot(slot.program, starts_in=timedelta(days=3), capacity=100)
    a, b, c, d, e, f = school_users(6, start=30)
    small = {"students": 10, "teachers": 1}
    relaxed, urgent = book(a, slot, **small), book(b, later_slot)
    tie_new, tie_old = book(c, slot, **small), book(d, slot, **small)
    set_deadline(relaxed, now + timedelta(hours=40))
    set_deadline(urgent, now + timedelta(hours=2))
    set_deadline(tie_new, now + timedelta(hours=20), created_at=now - timedelta(minutes=5))
    set_deadline(tie_old, now + timedelta(hours=20), created_at=now - timedelta(hours=3))
    lapsed = book(e, later_slot)
    set_deadline(lapsed, now - timedelta(minutes=1))  # the expiry job has not run yet
    decided = book(f, slot, **small)
    with write_intent():
        services.confirm(decided, manager)

    auth.login(manager)
    assert listed(client) == [urgent.id, tie_old.id, tie_new.id, relaxed.id]
    card = client.get(INBOX).get_data(as_text=True).split(f'id="booking-{urgent.id}"')[1].split("</li>")[0]
    assert b.school.name in card and "Mengenal Teknologi Balap" in card and "SMP" in card
    assert "30 siswa, 2 guru" in card
    assert "Kedaluwarsa 2 jam lagi" in card  # a moment less than two hours: the nearest hour
    assert "WITA" in card  # the visit's time


def test_empty_inbox_says_so(client, auth, manager):
    auth.login(manager)
    page = client.get(INBOX).get_data(as_text=True)
    assert 'id="inbox-empty"' in page and "Tidak ada permintaan yang menunggu keputusan Anda" in page
    assert badge(client) is None


@pytest.mark.parametrize(
    ("left", "locale", "text"),
    [
        (timedelta(minutes=25), "id", "Kedaluwarsa 25 menit lagi"),
        (timedelta(hours=3, minutes=10), "id", "Kedaluwarsa 3 jam lagi"),
        (timedelta(hours=2, minutes=50), "id", "Kedaluwarsa 3 jam lagi"),
        (timedelta(hours=3, minutes=10), "en", "Expires in 3 hours"),
        (timedelta(hours=1), "en", "Expires in 1 hour"),
    ],
)
def test_time_left_counts_down_when_close(app, left, locale, text):
    now = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # 08.00 WITA
    with app.test_request_context(), force_locale(locale):
        assert pending.time_left(SimpleNamespace(expires_at=now + left), now) == text


def test_time_left_names_the_day_and_time_when_further(app):
    now = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)  # Monday 7 December, 07.00 WITA
    with app.test_request_context(), force_locale("id"):
        tomorrow = pending.time_left(SimpleNamespace(expires_at=datetime(2026, 12, 8, 0, 0, tzinfo=UTC)), now)
        assert tomorrow == "Kedaluwarsa besok 08.00 WITA"
        tonight = pending.time_left(SimpleNamespace(expires_at=datetime(2026, 12, 7, 14, 0, tzinfo=UTC)), now)
        assert tonight == "Kedaluwarsa hari ini 22.00 WITA"
        later = pending.time_left(SimpleNamespace(expires_at=datetime(2026, 12, 10, 0, 0, tzinfo=UTC)), now)
        assert later == "Kedaluwarsa 10 Des 2026 08.00 WITA"
        assert pending.time_left(SimpleNamespace(expires_at=None), now) == "Tanpa batas waktu"
    with app.test_request_context(), force_locale("en"):
        tomorrow = pending.time_left(SimpleNamespace(expires_at=datetime(2026, 12, 8, 0, 0, tzinfo=UTC)), now)
        assert tomorrow == "Expires tomorrow at 08:00 WITA"


# -- the count in the navigation --------------------------------------------------------------


def test_the_navigation_counts_the_requests_for_managers_and_staff_only(
    client, auth, slot, other_slot, manager, factory
):
    first, second, elsewhere = school_users(3, start=50)
    book(first, slot)
    book(second, slot)
    book(elsewhere, other_slot)
    auth.login(manager)
    assert badge(client) == 2
    assert badge(client, "/manage/bookings") == 2  # on every page
    auth.logout()
    auth.login(factory.user("staff"))
    assert badge(client) == 3
    auth.logout()
    auth.login(first)  # the school that asked sees no inbox and no count
    assert badge(client) is None and 'href="/manage/inbox"' not in client.get("/").get_data(as_text=True)


# -- deciding from the inbox ------------------------------------------------------------------


def test_confirm_from_the_inbox_comes_back_with_a_flash_and_the_count_goes_down(client, auth, slot, manager):
    first, second = (book(user, slot) for user in school_users(2, start=60))
    auth.login(manager)
    assert badge(client, INBOX) == 2
    token = csrf_token(client, INBOX)
    response = client.post(f"/bookings/{first.id}/confirm", data={"csrf_token": token, "next": INBOX})
    assert response.status_code == 302 and response.headers["Location"] == INBOX
    page = client.get(INBOX).get_data(as_text=True)
    assert "dikonfirmasi" in page and 'class="flash flash-success"' in page
    assert listed(client) == [second.id] and badge(client, INBOX) == 1
    db.session.rollback()
    assert db.session.get(Booking, first.id).status == CONFIRMED


def test_reject_from_the_inbox_needs_a_reason_and_comes_back(client, auth, slot, manager):
    booking = book(school_users(1, start=70)[0], slot)
    auth.login(manager)
    page = client.get(INBOX).get_data(as_text=True)
    assert f'<textarea id="reason-{booking.id}" name="reject-reason" required' in page
    token = csrf_token(client, INBOX)
    blank = client.post(
        f"/bookings/{booking.id}/reject", data={"reject-csrf_token": token, "reject-reason": " ", "next": INBOX}
    )
    assert blank.status_code == 422  # the booking's page, asking for the reason
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == PENDING
    response = client.post(
        f"/bookings/{booking.id}/reject",
        data={"reject-csrf_token": token, "reject-reason": "Sirkuit ditutup untuk balapan", "next": INBOX},
    )
    assert response.status_code == 302 and response.headers["Location"] == INBOX
    page = client.get(INBOX).get_data(as_text=True)
    assert "sekolah dapat melihat alasan Anda" in page and 'id="inbox-empty"' in page
    db.session.rollback()
    rejected = db.session.get(Booking, booking.id)
    assert (rejected.status, rejected.decision_reason) == (REJECTED, "Sirkuit ditutup untuk balapan")


def test_a_next_off_the_site_is_ignored(client, auth, slot, manager):
    booking = book(school_users(1, start=75)[0], slot)
    auth.login(manager)
    token = csrf_token(client, INBOX)
    response = client.post(
        f"/bookings/{booking.id}/confirm", data={"csrf_token": token, "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == f"/bookings/{booking.id}"


def test_a_request_that_lapsed_while_the_page_was_open_is_refused_not_confirmed(client, auth, slot, manager):
    booking = book(school_users(1, start=78)[0], slot)
    auth.login(manager)
    token = csrf_token(client, INBOX)
    set_deadline(booking, utcnow() - timedelta(seconds=1))
    response = client.post(f"/bookings/{booking.id}/confirm", data={"csrf_token": token, "next": INBOX})
    assert response.status_code == 409  # the booking's page says why
    assert "kedaluwarsa" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == PENDING
    assert listed(client) == []


# -- no N+1, pages ----------------------------------------------------------------------------


def test_the_inbox_and_the_api_ask_as_many_queries_for_one_request_as_for_twenty(app, client, auth, manager, slot):
    roomy = make_slot(slot.program, starts_in=timedelta(days=5), capacity=1000)
    schools = iter(school_users(21, start=100))
    book(next(schools), roomy, students=10, teachers=1)
    auth.login(manager)
    headers = bearer(app.test_client(), manager)

    def queries(path, **kwargs) -> int:
        answers = []
        sent = statements_of(lambda: answers.append(client.get(path, **kwargs)))
        assert answers[0].status_code == 200
        return len(sent)

    client.get("/api/v1/bookings/pending", headers=headers)  # the token's first use writes when it was used
    page_one, api_one = queries(INBOX), queries("/api/v1/bookings/pending", headers=headers)
    for school in schools:
        book(school, roomy, students=10, teachers=1)
    assert len(listed(client)) == 20
    assert queries(INBOX) == page_one
    assert queries("/api/v1/bookings/pending", headers=headers) == api_one
    # the 21st is on the second page, and the count says 21
    assert len(listed(client, f"{INBOX}?page=2")) == 1
    assert badge(client, INBOX) == 21
    assert "Kembali ke halaman pertama" in client.get(f"{INBOX}?page=9").get_data(as_text=True)


# -- the same list as JSON --------------------------------------------------------------------


def test_api_lists_the_same_requests_in_the_same_order(app, client, auth, slot, other_slot, manager, factory):
    now = utcnow()
    a, b, c = school_users(3, start=200)
    later, sooner, elsewhere = book(a, slot), book(b, slot), book(c, other_slot)
    set_deadline(later, now + timedelta(hours=30))
    set_deadline(sooner, now + timedelta(hours=5))
    auth.login(manager)
    html_order = listed(client)

    client = app.test_client()  # a phone app: a bearer token, no session
    response = client.get("/api/v1/bookings/pending", headers=bearer(client, manager))
    assert response.status_code == 200
    body = response.get_json()
    assert [item["id"] for item in body["items"]] == html_order == [sooner.id, later.id]
    assert (body["total"], body["page"], body["per_page"]) == (2, 1, 20)
    first = body["items"][0]
    assert first["status"] == PENDING and first["expires_at"].endswith("Z")
    assert {"confirm", "reject"} <= set(first["actions"])
    assert elsewhere.id not in [item["id"] for item in body["items"]]

    staff = client.get("/api/v1/bookings/pending", headers=bearer(client, factory.user("staff"))).get_json()
    assert {item["id"] for item in staff["items"]} == {later.id, sooner.id, elsewhere.id}
    paged = client.get("/api/v1/bookings/pending?per_page=1&page=2", headers=bearer(client, manager)).get_json()
    assert [item["id"] for item in paged["items"]] == [later.id]


def test_api_refuses_schools_and_strangers(client, slot, school):
    assert client.get("/api/v1/bookings/pending").status_code == 401
    response = client.get("/api/v1/bookings/pending", headers=bearer(client, school))
    assert response.status_code == 403 and response.get_json()["error"]
    assert client.get("/api/v1/bookings/pending?per_page=500").status_code in (400, 401)


# -- in a browser, on a phone and at a desk (Indonesian) ---------------------------------------

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 20_000


def text_top(locator) -> float:
    """Where the label's text begins on the page (the top of its first line box)."""
    return locator.evaluate(
        "element => { const range = document.createRange(); range.selectNodeContents(element);"
        " return range.getClientRects()[0].top + window.scrollY; }"
    )


def nav_count(page) -> int:
    """The badge of the Inbox link (read even while a phone's menu is folded)."""
    badge = page.locator("a[href='/manage/inbox'] .badge")
    return int(badge.text_content()) if badge.count() else 0


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_manager_decides_from_the_inbox_in_the_browser(make_app, live_server, page, factory, viewport):
    """Three requests; the most urgent is on top with its time left. Confirm it: back on the
    inbox with a flash, two left and the badge says 2. Reject the next with a reason: one left.
    The day list of the venue shows its rows as cards on a phone, its button on screen."""
    app = make_app()
    with app.app_context():
        slot = make_slot(starts_in=timedelta(days=4), capacity=200)
        slot.starts_at = local_to_utc(local_today() + timedelta(days=4), time(8))  # 08.00 WITA
        slot.ends_at = slot.starts_at + timedelta(hours=2)
        manager = factory.user("venue_manager", name="Lalu Ahmad", email=f"pengelola-{viewport['width']}@contoh.id")
        slot.program.venue.managers.append(manager)
        db.session.commit()
        now = utcnow()
        schools = school_users(3, start=300)
        requests = [book(user, slot, students=25 + n, teachers=2) for n, user in enumerate(schools)]
        for booking, hours in zip(requests, (30, 3, 18), strict=True):
            set_deadline(booking, now + timedelta(hours=hours))
        urgent, next_up = requests[1], requests[2]
        urgent_id, next_id, email = urgent.id, next_up.id, manager.email
        day = slot.starts_at.astimezone(LOCAL).date().isoformat()
    server = live_server(app)
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.set_default_timeout(TIMEOUT_MS)
    page.set_viewport_size(viewport)

    log_in(page, server.url, email)
    page.goto(f"{server.url}{INBOX}")
    assert page.locator("html").get_attribute("lang") == "id"
    assert page.inner_text("h1") == "Kotak masuk"
    cards = page.locator("li.manage-card")
    assert cards.count() == 3 and nav_count(page) == 3
    top = cards.first
    assert top.get_attribute("id") == f"booking-{urgent_id}"
    assert "Kedaluwarsa 3 jam lagi" in top.inner_text()
    assert no_horizontal_scroll(page)
    if viewport is PHONE:
        save_screenshot(page, "inbox")
    for index in range(3):
        for selector in ("[data-action=confirm] button", "details.reject summary"):
            button = cards.nth(index).locator(selector)
            button.scroll_into_view_if_needed()
            assert on_screen(page, button)
        # "Konfirmasi" and "Tolak…" side by side: one row, one height, one text baseline.
        confirm = cards.nth(index).locator("[data-action=confirm] button")
        reject = cards.nth(index).locator("details.reject summary")
        confirm_box, reject_box = confirm.bounding_box(), reject.bounding_box()
        assert abs(confirm_box["y"] - reject_box["y"]) <= 0.5, (confirm_box, reject_box)
        assert abs(confirm_box["height"] - reject_box["height"]) <= 0.5, (confirm_box, reject_box)
        assert confirm_box["x"] + confirm_box["width"] <= reject_box["x"]  # beside it, not below
        assert abs(text_top(confirm) - text_top(reject)) <= 0.5

    with page.expect_navigation():
        top.locator("[data-action=confirm] button").click()
    assert page.url.endswith(INBOX)
    assert "sudah dikonfirmasi" in page.inner_text(".flashes")
    assert page.locator("li.manage-card").count() == 2 and nav_count(page) == 2

    card = page.locator(f"#booking-{next_id}")
    card.locator("details.reject summary").click()
    card.locator("textarea[name=reject-reason]").fill("Rombongan lain sudah memakai sesi ini")
    reject = card.locator("[data-action=reject] button")
    reject.scroll_into_view_if_needed()
    assert on_screen(page, reject)
    with page.expect_navigation():
        reject.click()
    assert page.url.endswith(INBOX) and "alasan Anda" in page.inner_text(".flashes")
    assert page.locator("li.manage-card").count() == 1 and nav_count(page) == 1
    assert no_horizontal_scroll(page)

    page.goto(f"{server.url}/manage/bookings?day={day}")
    assert no_horizontal_scroll(page)
    assert page.locator("table.manage-table tbody tr").count() == 3
    confirm = page.locator("table.manage-table [data-action=confirm] button")
    confirm.scroll_into_view_if_needed()
    assert on_screen(page, confirm)
    if viewport is PHONE:  # a card: the row is as wide as the screen allows, not a 7-column table
        row = page.locator("table.manage-table tbody tr").first.bounding_box()
        assert row["width"] <= PHONE["width"] and row["height"] > 100
    with app.app_context():
        db.session.rollback()
        assert db.session.get(Booking, urgent_id).status == CONFIRMED
        assert db.session.get(Booking, next_id).status == REJECTED
    assert problems == []
