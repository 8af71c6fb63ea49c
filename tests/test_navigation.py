"""The navigation shows each role the pages it may open, and only those: it asks the views'
own guards (access.may_visit), so the roles are written once, on the view."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from koin_media.access import may_visit, roles_required

# What each role finds in the menu besides Home, Media, Visits and (signed in) My account.
EXPECTED = {
    None: set(),
    "creator": {"/upload", "/my/assets"},
    "ikm": set(),
    "school": {"/my/bookings"},
    "venue_manager": {"/manage/bookings", "/checkin"},
    "staff": {"/manage/bookings", "/checkin", "/moderation", "/schools", "/schools/waiting", "/admin/users"},
    "admin": {
        "/upload", "/my/assets", "/my/bookings", "/manage/bookings", "/checkin", "/moderation",
        "/schools", "/schools/waiting", "/admin/users",
    },
}  # fmt: skip
ALWAYS = {"/", "/assets", "/venues"}


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
