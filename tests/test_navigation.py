"""The navigation shows each role the pages it may open, and only those: it asks the views'
own guards (access.may_visit), so the roles are written once, on the view."""

from __future__ import annotations

import functools
import re
from datetime import timedelta
from pathlib import Path

import pytest

from koin_media.access import may_visit, roles_required
from koin_media.assets.models import PENDING_REVIEW
from koin_media.assets.services import reject
from koin_media.audit import ACTION_LABELS
from koin_media.database import utcnow
from koin_media.extensions import db

from .asset_helpers import approved_asset
from .booking_helpers import school_users
from .browser_fixtures import no_horizontal_scroll, signed_in_page
from .conftest import Factory

# What each role finds in the menu besides Media, Visits and (signed in) My account.
EXPECTED = {
    None: set(),
    "creator": {"/upload", "/my/assets", "/my/notices"},
    "ikm": {"/my/downloads", "/my/notices"},  # kit ready, usage ended
    "school": {"/my/bookings"},
    "venue_manager": {"/manage/inbox", "/manage/bookings", "/checkin"},
    "staff": {
        "/staff", "/manage/inbox", "/manage/bookings", "/checkin", "/moderation", "/schools", "/schools/waiting",
        "/admin/users", "/office/dashboard",
    },
    "admin": {
        "/staff", "/upload", "/my/assets", "/my/downloads", "/my/bookings", "/manage/inbox", "/manage/bookings",
        "/checkin", "/moderation", "/schools", "/schools/waiting", "/admin/users", "/my/notices",
        "/office/dashboard",
    },
}  # fmt: skip
for _role, _links in EXPECTED.items():  # every signed-in account keeps collections (promo)
    if _role:
        _links.add("/collections")
        _links.add("/kits")  # "Kit saya", in the account group: kits of collections and calls
ALWAYS = {"/", "/assets", "/venues", "/calls"}  # calls for content are public (promo)


def menu_links(html: str) -> set[str]:
    menu = re.search(r'<nav class="nav-menu".*?</nav>', html, re.S).group(0)
    return set(re.findall(r'<a href="([^"?]+)', menu)) - ALWAYS - {"/account", "/login", "/register"}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_the_pages_it_may_open(app, client, factory, auth, role):
    if role:
        auth.login(factory.user(role=role))
    links = menu_links(client.get("/").get_data(as_text=True))
    assert links == EXPECTED[role]
    for path in links:  # and every link it shows opens (no 403 behind a menu entry)
        assert client.get(path).status_code == 200, path


def test_may_visit_reads_the_guard_through_stacked_decorators(app, factory):
    """``functools.wraps`` copies ``required_roles`` up through decorators such as rate limits."""

    def limited(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            return view(*args, **kwargs)

        return wrapper

    app.view_functions["probe.guarded"] = limited(roles_required("staff")(lambda: "ok"))
    app.view_functions["probe.open"] = lambda: "ok"
    with app.test_request_context("/"):
        creator, staff = factory.user(role="creator"), factory.user(role="staff")
        assert not may_visit("probe.guarded", creator)
        assert may_visit("probe.guarded", staff)
        assert may_visit("probe.open", creator)


def test_no_template_decides_from_roles():
    """Templates ask the object (``asset.managed_by(current_user)``) or the view's guard
    (``may_visit``); a role written in a template would be a second home for a rule."""
    templates = Path(__file__).resolve().parent.parent / "templates"
    deciding = re.compile(r"current_user\.role\b|has_role\(|role in \(")
    found = [
        f"{path.relative_to(templates)}:{number}"
        for path in sorted(templates.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if deciding.search(line)
    ]
    assert found == []


# -- the staff's landing page: what waits for the office -----------------------------------------


def waiting_asset(owner, title: str, sent_hours_ago: int):
    asset = approved_asset(owner, title, approved_at=None)
    asset.status, asset.submitted_at = PENDING_REVIEW, utcnow() - timedelta(hours=sent_hours_ago)
    db.session.commit()
    return asset


def test_staff_queues_show_counts_and_the_oldest_first(app, client, factory, auth):
    creator = factory.user("creator")
    for hours in range(1, 8):  # seven waiting, sent 1..7 hours ago
        waiting_asset(creator, f"Tenun Sukarara {hours}", sent_hours_ago=hours)
    approved_asset(creator, "Sudah terbit")  # decided: not waiting
    school_users(2, verified=False)  # two schools waiting for verification
    auth.login(factory.user("staff"))

    page = client.get("/staff")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    review = re.search(r'<section class="queue-panel" id="review-queue".*?</section>', html, re.S).group(0)
    assert 'data-count="7"' in review
    titles = re.findall(r"Tenun Sukarara (\d)", review)
    assert titles == ["7", "6", "5", "4", "3"]  # the five oldest, oldest first
    assert "/moderation" in review and "Sudah terbit" not in html
    schools = re.search(r'<section class="queue-panel" id="school-queue".*?</section>', html, re.S).group(0)
    assert 'data-count="2"' in schools and schools.count("data-npsn=") == 2 and "/schools/waiting" in schools

    # The navigation counts the same reviews beside "Moderasi".
    nav = re.search(r'<nav class="nav-menu".*?</nav>', html, re.S).group(0)
    assert re.search(r'href="/moderation"[^>]*>Moderasi <span class="badge"[^>]*>7</span>', nav)
    # The folded phone menu adds every count up (7 reviews, 2 schools), so none hides behind it.
    assert re.search(r'<summary class="nav-toggle">Menu <span class="badge" id="menu-badge"[^>]*>9</span>', nav)


def test_a_menu_without_counts_shows_no_badge(client, factory, auth):
    assert 'id="menu-badge"' not in client.get("/assets").get_data(as_text=True)
    auth.login(factory.user("staff"))
    assert 'id="menu-badge"' not in client.get("/staff").get_data(as_text=True)


def test_staff_queues_are_for_staff_only(app, client, factory, auth):
    assert client.get("/staff").headers["Location"].startswith("/login")
    for role in ("creator", "ikm", "school", "venue_manager"):
        auth.login(factory.user(role))
        assert client.get("/staff").status_code == 403, role
        auth.logout()
    auth.login(factory.user("admin"))
    assert client.get("/staff").status_code == 200


def test_an_empty_office_is_told_so(client, factory, auth):
    auth.login(factory.user("staff"))
    html = client.get("/staff").get_data(as_text=True)
    assert "Tidak ada yang menunggu peninjauan." in html
    assert "Tidak ada sekolah atau koordinator yang menunggu." in html
    assert 'class="badge"' not in html  # nothing waiting, no count


# -- the history of an asset speaks words, not codes ----------------------------------------------

RECORDED = re.compile(r"""audit\.record\(\s*[\w.]+,\s*f?["']([\w.{}\[\]:-]+)["']""")


def recorded_actions() -> set[str]:
    """Every action code the source writes to the audit log (f-strings expanded by hand)."""
    source = Path(__file__).resolve().parent.parent / "koin_media"
    codes = {m for path in source.rglob("*.py") for m in RECORDED.findall(path.read_text(encoding="utf-8"))}
    expanded = {"coordinator.{action[:-1]}": {"coordinator.approve", "coordinator.reject"}}
    expanded["waitlist.{status}"] = {"waitlist.lapsed", "waitlist.withdrawn"}
    return set().union(*(expanded.get(code, {code}) for code in codes))


def test_every_recorded_action_has_words():
    codes = recorded_actions()
    assert {"asset.approve", "asset.reject", "booking.confirm"} <= codes  # the scan finds them
    assert sorted(codes - set(ACTION_LABELS)) == []


def test_the_review_page_shows_the_history_in_words(app, client, factory, auth):
    creator, staff = factory.user("creator"), factory.user("staff")
    asset = waiting_asset(creator, "Gendang Beleq", sent_hours_ago=2)
    reject(asset, staff, "Tanpa izin model")
    asset.status = PENDING_REVIEW  # sent again after a fix
    db.session.commit()
    auth.login(staff)
    html = client.get(f"/moderation/{asset.id}").get_data(as_text=True)
    assert "Ditolak, dengan alasan untuk kreator (Tanpa izin model)" in html
    assert "asset.reject" not in html


# -- in a browser: a folded menu on a phone, one row on a desktop ---------------------------------

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 800}


@pytest.mark.browser
def test_on_a_phone_the_menu_folds_and_opens_from_the_keyboard(make_app, live_server, browser):
    app = make_app()
    with app.app_context():
        staff = Factory().user("staff")
        email = staff.email
    server = live_server(app)
    page = signed_in_page(browser, server.url, email, PHONE)
    assert page.url.endswith("/staff")  # where staff land

    header = page.locator(".site-header").bounding_box()
    assert header["height"] <= 64, header  # one row: brand, language, "Menu"
    links = page.locator(".nav-links")
    assert not links.is_visible()
    toggle = page.locator("summary.nav-toggle")
    box = toggle.bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= PHONE["width"]
    assert no_horizontal_scroll(page)

    toggle.focus()
    page.keyboard.press("Enter")  # a <details> summary: a native button, no script
    assert links.is_visible()
    assert page.locator("#site-menu").evaluate("menu => menu.open")
    for name in ("Antrean", "Moderasi", "Menunggu", "Akun saya", "Pengguna", "Keluar"):
        item = page.locator(".nav-links").get_by_text(name, exact=True)
        assert item.is_visible(), name
        box = item.bounding_box()
        assert box["height"] >= 44 and 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], name
    assert no_horizontal_scroll(page)
    with page.expect_navigation():
        page.locator(".nav-links").get_by_text("Moderasi", exact=True).click()
    assert page.url.endswith("/moderation")


@pytest.mark.browser
def test_on_a_desktop_the_staff_header_is_one_row(make_app, live_server, browser):
    app = make_app()
    with app.app_context():
        email = Factory().user("staff").email
    server = live_server(app)
    page = signed_in_page(browser, server.url, email, DESKTOP)

    assert not page.locator("summary.nav-toggle").is_visible()  # the links show in the row
    assert page.locator(".site-header").bounding_box()["height"] <= 64
    row = "items => items.map(item => Math.round(item.getBoundingClientRect().top))"
    tops = page.locator(".nav-links > li").evaluate_all(row)
    assert len(tops) >= 8 and len(set(tops)) == 1, tops  # every link in one row, none wrapped
    assert no_horizontal_scroll(page)

    assert not page.get_by_text("Keluar", exact=True).is_visible()  # rarely used: under "Akun"
    page.locator(".account-menu > summary").click()
    assert page.get_by_text("Keluar", exact=True).is_visible()
    with page.expect_navigation():
        page.get_by_text("Pengguna", exact=True).click()
    assert page.url.endswith("/admin/users")


@pytest.mark.browser
def test_between_tablet_and_wide_desktop_the_staff_header_stays_one_row(make_app, live_server, browser):
    """At 1100 px a staff member's links do not fit one row: they stay in the menu (as on a
    phone) until 80rem, rather than wrapping the header into two rows."""
    app = make_app()
    with app.app_context():
        email = Factory().user("staff").email
    server = live_server(app)
    page = signed_in_page(browser, server.url, email, {"width": 1100, "height": 800})

    assert page.locator(".site-header").bounding_box()["height"] <= 64
    assert not page.locator(".nav-links").is_visible()
    toggle = page.locator("summary.nav-toggle")
    assert toggle.is_visible()
    toggle.click()
    for name in ("Antrean", "Moderasi", "Menunggu", "Keluar"):
        item = page.locator(".nav-links").get_by_text(name, exact=True)
        assert item.is_visible(), name
        box = item.bounding_box()
        assert box["height"] >= 44 and box["x"] + box["width"] <= 1100, name
    assert no_horizontal_scroll(page)
