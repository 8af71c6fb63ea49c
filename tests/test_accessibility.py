"""axe-core on the key pages of every role, in Indonesian, on a 390x844 phone and a 1280x800
desktop: no violation of WCAG 2.1 A/AA or of axe's best practices (heading order, redundant
alt text, empty table headers, landmarks ...).

axe comes from node_modules (``make frontend`` installs it; the pinned version is in
package.json). The page's CSP allows only the site's own scripts, so the browser context that
injects axe bypasses CSP; nothing else changes.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from koin_media.assets.calls import save_call
from koin_media.assets.models import PENDING_REVIEW, AssetDuplicate
from koin_media.booking.schedule import close_for
from koin_media.booking.services import book_slot
from koin_media.database import utcnow
from koin_media.extensions import db
from koin_media.localtime import LOCAL
from koin_media.promo.collections import add_asset, create_collection, share
from koin_media.promo.kits import request_kit
from koin_media.reference.models import ReferenceSchool
from koin_media.visits.certificates import certificate_for
from koin_media.visits.feedback import give as give_feedback
from koin_media.visits.reschedule import open_reschedule

from .after_visit_helpers import completed_visit
from .asset_helpers import approved_asset
from .booking_helpers import group_request, make_program, make_slot, school_user
from .browser_fixtures import log_in, no_horizontal_scroll, small_buttons
from .conftest import Factory
from .kit_helpers import stored_asset

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
TIMEOUT_MS = 20_000


def seed() -> dict:
    """A little of everything the pages list: published and waiting media, a venue with a
    session next week, a school's booking; one account per role that signs in."""
    factory = Factory()
    creator = factory.user("creator", name="Baiq Nurul")
    for title in ("Tenun Sukarara", "Pantai Kuta Mandalika", "Gendang Beleq"):
        approved_asset(creator, title, description=f"{title} di Lombok.", tags="lombok, budaya")
    shown = approved_asset(creator, "Kopi Sembalun", description="Kopi arabika dari kaki Rinjani.")
    # A processed photo: its edit page shows the focus point editor (the picture itself is not stored).
    shown.preview_key, shown.width, shown.height = f"assets/{shown.uuid}/preview.jpg", 1200, 800
    waiting = approved_asset(creator, "Sasak Ende", approved_at=None)
    waiting.status, waiting.submitted_at = PENDING_REVIEW, utcnow() - timedelta(hours=3)
    # A possible duplicate: the queue's badge, My uploads' note, the review page's details.
    db.session.add(AssetDuplicate(asset_id=waiting.id, other_id=shown.id, kind="near", distance=3))
    slot = make_slot(make_program(), starts_in=timedelta(days=9), capacity=60)
    school = school_user()
    # The national school reference names the school otherwise: the staff's school lists show it.
    reference = ReferenceSchool(npsn=school.school.npsn, name="SMP NEGERI 9 CONTOH", level="SMP", snapshot="t")
    reference.regency_id = school.school.regency_id
    db.session.add(reference)
    booking = book_slot(school, slot.id, group_request())
    db.session.commit()
    # A promo kit of a stored photo, built inline: its page and "Kit saya".
    ikm = factory.user("ikm")
    songket, _data = stored_asset(creator, "Songket Sukarara", 2048)
    kit = request_kit(ikm, "Promosi Songket", [(songket, "original")], "social", license_accepted=True)
    # A collection of three (its page: reorder, versions, the shared link to copy).
    collection = create_collection(ikm, "Promosi Lebaran")
    for asset in (songket, shown, waiting):
        if asset.is_public:
            add_asset(collection, asset, ikm)
    share(collection)
    # An open call for content with one published contribution: its page, the list, the staff's.
    staff = factory.user("staff")
    call = save_call(
        None,
        {
            "title": "Bau Nyale 2027",
            "brief": "Foto dan video tradisi Bau Nyale.\nFajar di Pantai Seger.",
            "deadline": utcnow().astimezone(LOCAL).date() + timedelta(days=30),
            "tags": "baunyale2027, Lombok Tengah",
            "venue": slot.program.venue,
            "license": "NTB-PROMO",
            "required_fields": ["description"],
            "status": "open",
        },
        staff,
    )
    approved_asset(creator, "Nyale di Seger", call_id=call.id)
    # After a visit (issue 12): the school's completed visit, its certificate and its feedback.
    visit = completed_visit(school, make_slot(slot.program, starts_in=timedelta(days=10), capacity=60), staff)
    certificate = certificate_for(visit)
    give_feedback(visit, school, 4, "Pemandu ramah.\nAnak-anak senang, <b>terima kasih</b>!")
    # After a closure (issue 12): a booking whose session a closure took, one session held for it.
    closed = book_slot(school, make_slot(slot.program, starts_in=timedelta(days=20), capacity=60).id, group_request())
    make_slot(slot.program, starts_in=timedelta(days=21), capacity=60)
    close_for(slot.program.venue, closed.slot.starts_at, closed.slot.ends_at, "Balapan MotoGP", staff)
    closure_id = open_reschedule(closed.id).closure_id
    return {
        "visit_id": visit.id,
        "closed_id": closed.id,
        "closure_id": closure_id,
        "certificate": certificate.code,
        "call": call.slug,
        "asset_id": shown.id,
        "waiting_id": waiting.id,
        "venue": slot.program.venue.slug,
        "month": slot.starts_at.astimezone(LOCAL).strftime("%Y-%m"),
        "booking_id": booking.id,
        "kit": kit.token,
        "collection_id": collection.id,
        "emails": {
            "creator": creator.email,
            "staff": staff.email,
            "school": school.email,
            "ikm": ikm.email,
        },
    }


def pages(data: dict) -> dict[str | None, list[str]]:
    """The 22 pages, grouped by who opens them (None: a visitor)."""
    return {
        None: [
            "/",
            "/assets",
            f"/assets/{data['asset_id']}",
            "/assets?q=zzzyyyxxx",
            "/venues",
            f"/venues/{data['venue']}",
            f"/venues/{data['venue']}/calendar?month={data['month']}",
            "/login",
            "/register/creator",
            "/register/school",
            "/licenses/NTB-PROMO",
            "/calls",
            f"/calls/{data['call']}",
            f"/certificates/{data['certificate']}",
        ],
        "creator": [
            "/my/assets",
            "/upload",
            "/my/notices",
            f"/assets/{data['asset_id']}/edit",
            f"/upload?call={data['call']}",
        ],
        "staff": [
            "/staff",
            "/moderation",
            f"/moderation/{data['waiting_id']}",
            "/manage/inbox",
            "/manage/bookings",
            "/checkin",
            "/account",
            "/calls/manage",
            "/schools",
            "/schools/waiting",
            f"/calls/{data['call']}",
            f"/calls/{data['call']}/edit",
            f"/venues/{data['venue']}/feedback",
            f"/venues/{data['venue']}/closures/{data['closure_id']}",
            "/office/dashboard",
        ],
        "school": [
            "/my/bookings",
            f"/bookings/{data['booking_id']}",
            "/account",
            f"/bookings/{data['booking_id']}/headcount",
            f"/bookings/{data['visit_id']}",
            f"/bookings/{data['visit_id']}/feedback",
            f"/bookings/{data['closed_id']}/alternatives",
        ],
        "ikm": [
            "/my/downloads",
            "/kits",
            f"/kits/{data['kit']}",
            "/collections",
            f"/collections/{data['collection_id']}",
        ],
    }


def small_targets(page) -> list:
    """Buttons (``browser_fixtures.small_buttons``) and check-box labels under 44 px."""
    labels = page.evaluate(
        """() => [...document.querySelectorAll('main label.check')]
             .filter((el) => el.offsetParent !== null)
             .map((el) => [el.textContent.trim(), el.getBoundingClientRect().height])
             .filter(([, height]) => height < 44)"""
    )
    return small_buttons(page) + labels


def audit(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    options = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    return page.evaluate("options => axe.run(document, options).then(r => r.violations)", options)


def readable(path: str, violations: list[dict]) -> list[str]:
    lines = []
    for violation in violations:
        lines.append(f"{path}: {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {json.dumps(node['target'])}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
    return lines


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_key_pages_have_no_axe_violations(make_app, live_server, browser, viewport):
    assert AXE.exists(), "node_modules/axe-core is missing: run `make frontend`"
    app = make_app()
    with app.app_context():
        data = seed()
    server = live_server(app)

    problems: list[str] = []
    audited = 0
    for role, paths in pages(data).items():
        context = browser.new_context(viewport=VIEWPORTS[viewport], locale="id-ID", bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        if role:
            log_in(page, server.url, data["emails"][role])
        for path in paths:
            response = page.goto(f"{server.url}{path}")
            assert response.status == 200, f"{path} as {role or 'visitor'}: {response.status}"
            problems += readable(path, audit(page))
            if not no_horizontal_scroll(page):  # what axe does not check: the page fits the screen
                problems.append(f"{path} as {role or 'visitor'}: wider than the {viewport} screen")
            if viewport == "phone":  # nor whether a thumb can hit it: 44 px buttons and check boxes
                problems += [f"{path}: {text!r} is {height:.0f} px high" for text, height in small_targets(page)]
            audited += 1
        context.close()
    assert audited == sum(len(paths) for paths in pages(data).values())
    assert problems == [], "axe found:\n" + "\n".join(problems)
