"""Who may call what: every URL rule × every kind of principal, expected outcome in one table.

The table below is the access specification. The test walks the app's URL map: a rule (or a
method of it) without a row fails the suite, so a new route cannot land without someone
deciding who may call it. Each request is made with real objects of the right owners; a
principal passes the access check when the answer is anything but "log in first" (401 or a
redirect to the log-in page), 403 or 404. After a state-changing request that got through
(a 4xx answer changes nothing), the world is built again, so that one principal's action never
decides the next one's answer.

Outcomes: ``ok`` passes the access check, ``in`` must log in first, ``403`` wrong role,
``404`` someone else's object (its existence is not revealed).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from koin_media.accounts.models import ApiToken, User, UserSession, hash_token
from koin_media.accounts.services import TOKEN_PREFIX
from koin_media.assets.models import APPROVED, Asset, Call
from koin_media.booking import services as booking_services
from koin_media.booking import waitlist
from koin_media.booking.models import Closure
from koin_media.database import utcnow
from koin_media.extensions import db
from koin_media.promo.models import KIT_READY, Collection, CollectionItem, Kit
from koin_media.reference.models import Community, ReferenceSchool, Regency
from koin_media.storage import get_storage
from koin_media.visits import certificates
from koin_media.visits.after_models import Certificate
from koin_media.visits.reschedule import offer_alternatives

from .booking_helpers import group_request, make_program, make_slot, make_venue, school_users
from .conftest import PASSWORD, csrf_token

PRINCIPALS = (
    "anon",
    "creator",
    "creator2",
    "ikm",
    "school",
    "school2",
    "manager",
    "manager2",
    "staff",
    "admin",
    "pending",
)

# endpoint, method: outcome for each principal, in the order of PRINCIPALS. ``pending`` asked
# to join the school of ``school`` and is not approved yet: it must see nothing of that school.
#                               anon creator creator2 ikm school school2 manager manager2 staff admin pending
MATRIX_TEXT = """
main.index                      GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
main.healthz                    GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
main.set_language               POST    ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
static                          GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.register_choice        GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.register               GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.register               POST    ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.login                  GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.login                  POST    ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.logout                 POST    ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.profile                GET     in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.profile                POST    in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.change_password        GET     in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.change_password        POST    in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.tokens                 GET     in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.tokens                 POST    in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.revoke_token           POST    in  ok  404 404 404 404 404 404 ok  ok  404
accounts.forgot_password        GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.forgot_password        POST    ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.reset_password         GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.reset_password         POST    ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.verify_email           GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.verify_email           POST    ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.resend_verification    POST    in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.sessions_page          GET     in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
accounts.revoke_session         POST    in  ok  404 404 404 404 404 404 404 404 404
accounts.sign_out_everywhere    POST    in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
admin.queues                    GET     in  403 403 403 403 403 403 403 ok  ok  403
admin.users                     GET     in  403 403 403 403 403 403 403 ok  ok  403
admin.set_active                POST    in  403 403 403 403 403 403 403 403 ok  403
api.me                          GET     in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.my_downloads                GET     in  403 403 ok  403 403 403 403 403 ok  403
api.notices                     GET     in  ok  ok  ok  403 403 403 403 403 ok  403
api.notices_read                POST    in  ok  ok  ok  403 403 403 403 403 ok  403
api.register                    POST    ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.create_token                POST    ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.revoke_token                DELETE  in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.password_reset              POST    ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.password_reset_confirm      POST    ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.verify_email                POST    ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.resend_verification         POST    in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.communities                 GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.regencies                   GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.sectors                     GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.school_reference            GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.users                       GET     in  403 403 403 403 403 403 403 ok  ok  403
api.assets                      GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.asset                       GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.update_asset                POST    in  ok  404 404 404 404 404 404 ok  ok  404
api.withdraw_asset_edit         DELETE  in  ok  404 404 404 404 404 404 ok  ok  404
api.download                    POST    in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.approve                     POST    in  403 403 403 403 403 403 403 ok  ok  403
api.reject                      POST    in  403 403 403 403 403 403 403 ok  ok  403
api.venues                      GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.slots                       GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.create_booking              POST    in  403 403 403 ok  ok  403 403 403 ok  ok
api.booking                     GET     in  404 404 404 ok  404 ok  404 ok  ok  404
api.booking_by_code             GET     in  404 404 404 ok  404 ok  404 ok  ok  404
api.booking_alternatives        GET     in  404 404 404 ok  404 ok  404 ok  ok  404
api.take_booking_alternative    POST    in  404 404 404 ok  404 403 404 403 403 404
api.booking_headcount           POST    in  404 404 404 ok  404 ok  404 ok  ok  404
api.pending_bookings            GET     in  403 403 403 403 403 ok  ok  ok  ok  403
api.openapi                     GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.cancel_booking              POST    in  404 404 404 ok  404 ok  404 ok  ok  404
api.confirm_booking             POST    in  403 403 403 403 403 ok  404 ok  ok  403
api.reject_booking              POST    in  403 403 403 403 403 ok  404 ok  ok  403
api.check_in_booking            POST    in  403 403 403 403 403 ok  404 ok  ok  403
api.no_show_booking             POST    in  403 403 403 403 403 ok  404 ok  ok  403
api.complete_booking            POST    in  403 403 403 403 403 ok  404 ok  ok  403
api.booking_certificate         GET     in  404 404 404 ok  404 ok  404 ok  ok  404
api.booking_feedback            POST    in  403 403 403 ok  404 403 403 403 403 404
visits.certificate              GET     in  404 404 404 ok  404 ok  404 ok  ok  404
visits.certificate_check        GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
visits.feedback_form            GET     in  403 403 403 ok  404 403 403 403 403 404
visits.feedback_form            POST    in  403 403 403 ok  404 403 403 403 403 404
visits.venue_feedback           GET     in  403 403 403 403 403 ok  403 ok  ok  403
accounts.school_queue           GET     in  403 403 403 403 403 403 403 ok  ok  403
accounts.approve_coordinator    POST    in  403 403 403 ok  403 403 403 ok  ok  403
accounts.reject_coordinator     POST    in  403 403 403 ok  403 403 403 ok  ok  403
accounts.schools                GET     in  403 403 403 403 403 403 403 ok  ok  403
accounts.verify_school          POST    in  403 403 403 403 403 403 403 ok  ok  403
api.verify_school               POST    in  403 403 403 403 403 403 403 ok  ok  403
api.pending_schools             GET     in  403 403 403 ok  ok  403 403 ok  ok  403
api.approve_coordinator         POST    in  403 403 403 ok  403 403 403 ok  ok  403
api.reject_coordinator          POST    in  403 403 403 ok  403 403 403 ok  ok  403
assets.catalog                  GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
assets.show                     GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
assets.edit                     GET     in  ok  404 404 404 404 404 404 ok  ok  404
assets.edit                     POST    in  ok  404 404 404 404 404 404 ok  ok  404
assets.delete                   POST    in  ok  404 404 404 404 404 404 ok  ok  404
assets.withdraw_edit            POST    in  ok  404 404 404 404 404 404 ok  ok  404
assets.download                 POST    in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
assets.downloads                GET     in  ok  404 404 404 404 404 404 ok  ok  404
assets.mine                     GET     in  ok  ok  403 403 403 403 403 403 ok  403
assets.my_downloads             GET     in  403 403 ok  403 403 403 403 403 ok  403
assets.upload_status            GET     in  ok  ok  403 403 403 403 403 403 ok  403
notifications.notices           GET     in  ok  ok  ok  403 403 403 403 403 ok  403
notifications.mark_all_read     POST    in  ok  ok  ok  403 403 403 403 403 ok  403
assets.upload_page              GET     in  ok  ok  403 403 403 403 403 403 ok  403
assets.upload_simple            POST    in  ok  ok  403 403 403 403 403 403 ok  403
assets.moderation_queue         GET     in  403 403 403 403 403 403 403 ok  ok  403
assets.review                   GET     in  403 403 403 403 403 403 403 ok  ok  403
assets.review                   POST    in  403 403 403 403 403 403 403 ok  ok  403
assets.create_multipart         POST    in  ok  ok  403 403 403 403 403 403 ok  403
assets.list_parts               GET     in  ok  404 403 403 403 403 403 403 404 403
assets.sign_part                GET     in  ok  404 403 403 403 403 403 403 404 403
assets.complete_multipart       POST    in  ok  404 403 403 403 403 403 403 404 403
assets.abort_multipart          DELETE  in  ok  404 403 403 403 403 403 403 404 403
storage.upload_part             PUT     403 403 403 403 403 403 403 403 403 403 403
storage.serve_file              GET     403 403 403 403 403 403 403 403 403 403 403
venues.index                    GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
venues.show                     GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
venues.calendar                 GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
venues.create                   GET     in  403 403 403 403 403 403 403 ok  ok  403
venues.create                   POST    in  403 403 403 403 403 403 403 ok  ok  403
venues.edit                     GET     in  403 403 403 403 403 ok  403 ok  ok  403
venues.edit                     POST    in  403 403 403 403 403 ok  403 ok  ok  403
venues.manage                   GET     in  403 403 403 403 403 ok  403 ok  ok  403
venues.create_program           GET     in  403 403 403 403 403 ok  403 ok  ok  403
venues.create_program           POST    in  403 403 403 403 403 ok  403 ok  ok  403
venues.edit_program             GET     in  403 403 403 403 403 ok  403 ok  ok  403
venues.edit_program             POST    in  403 403 403 403 403 ok  403 ok  ok  403
venues.generate_slots           POST    in  403 403 403 403 403 ok  403 ok  ok  403
venues.slot_status              POST    in  403 403 403 403 403 ok  403 ok  ok  403
venues.add_closure              POST    in  403 403 403 403 403 ok  403 ok  ok  403
booking.request_form            GET     in  403 403 403 ok  ok  403 403 403 ok  ok
booking.request_form            POST    in  403 403 403 ok  ok  403 403 403 ok  ok
booking.my_bookings             GET     in  403 403 403 ok  ok  403 403 403 ok  ok
booking.detail                  GET     in  404 404 404 ok  404 ok  404 ok  ok  404
booking.ics                     GET     in  404 404 404 ok  404 ok  404 ok  ok  404
booking.qr                      GET     in  404 404 404 ok  404 ok  404 ok  ok  404
booking.cancel                  POST    in  404 404 404 ok  404 ok  404 ok  ok  404
booking.move                    POST    in  403 403 403 403 403 ok  404 ok  ok  403
booking.confirm                 POST    in  403 403 403 403 403 ok  404 ok  ok  403
booking.reject                  POST    in  403 403 403 403 403 ok  404 ok  ok  403
booking.check_in                POST    in  403 403 403 403 403 ok  404 ok  ok  403
booking.no_show                 POST    in  403 403 403 403 403 ok  404 ok  ok  403
booking.complete                POST    in  403 403 403 403 403 ok  404 ok  ok  403
booking.accept_offer            POST    in  403 403 403 ok  404 403 403 403 404 404
booking.withdraw_entry          POST    in  403 403 403 ok  404 403 403 403 404 404
booking.checkin                 GET     in  403 403 403 403 403 ok  ok  ok  ok  403
booking.checkin                 POST    in  403 403 403 403 403 ok  ok  ok  ok  403
booking.checkin_lookup          GET     in  403 403 403 403 403 ok  ok  ok  ok  403
visits.gate_worker              GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
visits.gate_today               GET     in  403 403 403 403 403 ok  403 ok  ok  403
visits.gate_sync                POST    in  403 403 403 403 403 ok  ok  ok  ok  403
visits.alternatives             GET     in  404 404 404 ok  404 ok  404 ok  ok  404
visits.take_alternative         POST    in  404 404 404 ok  404 ok  404 ok  ok  404
visits.cancel_after_closure     POST    in  404 404 404 ok  404 ok  404 ok  ok  404
visits.closure_report           GET     in  403 403 403 403 403 ok  403 ok  ok  403
booking.inbox                   GET     in  403 403 403 403 403 ok  ok  ok  ok  403
booking.manage_list             GET     in  403 403 403 403 403 ok  ok  ok  ok  403
booking.export_csv              GET     in  403 403 403 403 403 ok  ok  ok  ok  403
booking.report                  GET     in  403 403 403 403 403 ok  ok  ok  ok  403
visits.headcount                GET     in  404 404 404 ok  404 ok  404 ok  ok  404
visits.headcount                POST    in  404 404 404 ok  404 ok  404 ok  ok  404
promo.calls                     GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
promo.call_page                 GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
promo.calls_manage              GET     in  403 403 403 403 403 403 403 ok  ok  403
promo.call_new                  GET     in  403 403 403 403 403 403 403 ok  ok  403
promo.call_new                  POST    in  403 403 403 403 403 403 403 ok  ok  403
promo.call_edit                 GET     in  403 403 403 403 403 403 403 ok  ok  403
promo.call_edit                 POST    in  403 403 403 403 403 403 403 ok  ok  403
promo.call_status               POST    in  403 403 403 403 403 403 403 ok  ok  403
promo.call_kit                  POST    in  403 403 403 403 403 403 403 ok  ok  403
api.calls                       GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.call                        GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.create_call                 POST    in  403 403 403 403 403 403 403 ok  ok  403
api.update_call                 POST    in  403 403 403 403 403 403 403 ok  ok  403
promo.collections               GET     in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
promo.create_collection         POST    in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
promo.collection                GET     in  404 404 ok  404 404 404 404 404 404 404
promo.rename                    POST    in  404 404 ok  404 404 404 404 404 404 404
promo.delete                    POST    in  404 404 ok  404 404 404 404 404 404 404
promo.move                      POST    in  404 404 ok  404 404 404 404 404 404 404
promo.choose_variant            POST    in  404 404 ok  404 404 404 404 404 404 404
promo.remove                    POST    in  404 404 ok  404 404 404 404 404 404 404
promo.share                     POST    in  404 404 ok  404 404 404 404 404 404 404
promo.unshare                   POST    in  404 404 ok  404 404 404 404 404 404 404
promo.add_page                  GET     in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
promo.add                       POST    in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
promo.shared                    GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
promo.collection_kit            POST    in  404 404 ok  404 404 404 404 404 404 404
promo.kits                      GET     in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
promo.kit_page                  GET     in  404 404 ok  404 404 404 404 404 404 404
promo.kit_download              POST    in  404 404 ok  404 404 404 404 404 404 404
promo.kit_again                 POST    in  404 404 ok  404 404 404 404 404 404 404
api.collections                 GET     in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.create_collection           POST    in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.collection                  GET     in  404 404 ok  404 404 404 404 404 404 404
api.rename_collection           POST    in  404 404 ok  404 404 404 404 404 404 404
api.delete_collection           DELETE  in  404 404 ok  404 404 404 404 404 404 404
api.add_item                    POST    in  404 404 ok  404 404 404 404 404 404 404
api.choose_variant              POST    in  404 404 ok  404 404 404 404 404 404 404
api.remove_item                 DELETE  in  404 404 ok  404 404 404 404 404 404 404
api.set_order                   PUT     in  404 404 ok  404 404 404 404 404 404 404
api.share_collection            POST    in  404 404 ok  404 404 404 404 404 404 404
api.stop_sharing                DELETE  in  404 404 ok  404 404 404 404 404 404 404
api.collection_kit              POST    in  404 404 ok  404 404 404 404 404 404 404
api.kits                        GET     in  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
api.kit                         GET     in  404 404 ok  404 404 404 404 404 404 404
api.kit_download                POST    in  404 404 ok  404 404 404 404 404 404 404
assets.license_terms            GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
assets.share_image              GET     ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
assets.set_focus                POST    in  ok  404 404 404 404 404 404 ok  ok  404
assets.release                  GET     404 ok  404 404 404 404 404 404 ok  ok  404
assets.upload_release           POST    404 ok  404 404 404 404 404 404 ok  ok  404
assets.delete_release           POST    404 ok  404 404 404 404 404 404 ok  ok  404
insights.dashboard              GET     in  403 403 403 403 403 403 403 ok  ok  403
insights.export_csv             GET     in  403 403 403 403 403 403 403 ok  ok  403
"""


def parse_matrix(text: str) -> dict[tuple[str, str], dict[str, str]]:
    matrix = {}
    for line in text.strip().splitlines():
        endpoint, method, *outcomes = line.split()
        assert len(outcomes) == len(PRINCIPALS), f"{endpoint} {method}: {len(outcomes)} outcomes"
        assert (endpoint, method) not in matrix, f"{endpoint} {method} twice"
        matrix[(endpoint, method)] = dict(zip(PRINCIPALS, outcomes, strict=True))
    return matrix


MATRIX = parse_matrix(MATRIX_TEXT)
SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def routes(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules() for method in rule.methods - SKIPPED_METHODS}


def test_every_route_has_a_row(app):
    """A new route, or a new method on one, needs a decision about who may call it."""
    served = routes(app)
    missing = sorted(served - MATRIX.keys())
    stale = sorted(MATRIX.keys() - served)
    assert not missing, f"routes without a row in the authorization matrix: {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"


@dataclass
class World:
    """One of everything, owned by the right principals; ``tokens`` authenticate them."""

    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    args: dict[str, object] = field(default_factory=dict)


_HASH: dict[str, tuple[str, str]] = {}


def _user(role: str, email: str, **fields) -> User:
    if not _HASH:
        template = User(email="x@contoh.id", name="x", role="creator")
        template.set_password(PASSWORD)
        _HASH["v"] = (template.password_hash, template.session_nonce)
    password_hash, nonce = _HASH["v"]
    user = User(
        email=email,
        name=email.split("@")[0],
        role=role,
        password_hash=password_hash,
        session_nonce=nonce,
        email_verified_at=utcnow(),
    )
    for key, value in fields.items():
        setattr(user, key, value)
    db.session.add(user)
    return user


def build_world() -> World:
    world = World()
    community = db.session.scalar(select(Community).where(Community.slug == "lombok-phonegraphy"))
    users = world.users
    users["creator"] = _user("creator", "kreator@contoh.id", community=community)
    users["creator2"] = _user("creator", "kreator2@contoh.id", community=community)
    users["ikm"] = _user("ikm", "ikm@contoh.id", business_name="Kopi Sembalun", sector="coffee")
    users["manager"] = _user("venue_manager", "pengelola@contoh.id")
    users["manager2"] = _user("venue_manager", "pengelola2@contoh.id")
    users["staff"] = _user("staff", "staf@contoh.id")
    users["admin"] = _user("admin", "admin@contoh.id")
    db.session.commit()
    users["school"], users["school2"] = school_users(2, start=700)
    # asks to join the school of "school": its approved coordinator and the office decide
    newcomer = _user("school", "guru-baru@contoh.id", school=users["school"].school, coordinator_status="pending")
    users["pending"] = newcomer
    # The national school reference knows the school: its NPSN lookup (public) finds it.
    school = users["school"].school
    db.session.add(
        ReferenceSchool(npsn=school.npsn, name=school.name, level="SMP", regency_id=school.regency_id, snapshot="t")
    )
    db.session.commit()

    venue = make_venue()
    other_venue = make_venue(slug="meninting-bike-park", name="Meninting Bike Park")
    venue.managers.append(users["manager"])
    other_venue.managers.append(users["manager2"])
    program = make_program(venue)
    slot = make_slot(program, capacity=100)
    full_slot = make_slot(program, starts_in=timedelta(days=8), capacity=40)
    full_slot.held = 40
    db.session.commit()

    booking = booking_services.book_slot(users["school"], slot.id, group_request())
    booking_services.confirm(booking, users["staff"])
    # a certificate issued for it: its public check page (the visit's own status does not matter there)
    certificate = Certificate(booking_id=booking.id, code=certificates.new_code(), facts=certificates.facts_of(booking))
    db.session.add(certificate)
    db.session.commit()
    entry = waitlist.join_waitlist(users["school"], full_slot.id, group_request())
    # A closure's reschedule of the booking, with one session held for its school (visits/reschedule.py).
    make_slot(program, starts_in=timedelta(days=9), capacity=100)
    closure = Closure(venue_id=venue.id, starts_at=utcnow() + timedelta(days=60), ends_at=utcnow() + timedelta(days=61))
    closure.reason = "MotoGP Mandalika"
    db.session.add(closure)
    db.session.flush()
    held_for_school = offer_alternatives(booking, closure).offers[0]
    db.session.commit()

    asset = Asset(
        owner=users["creator"],
        original_filename="tenun.jpg",
        storage_key="assets/matrix/original",
        status=APPROVED,
        kind="image",
        mime="image/jpeg",
        size_bytes=1234,
        title="Tenun Sukarara",
        license="CC-BY-4.0",
        consent=True,
        approved_at=utcnow(),
        submitted_at=utcnow(),
        # its consent document: the owner and staff open it, nobody else learns it exists
        release_key="private/releases/matrix/persetujuan.pdf",
        release_filename="persetujuan.pdf",
        release_mime="application/pdf",
        release_size=9,
    )
    db.session.add(asset)
    # An open call for content named like the venue: every ``<slug>`` of the URL map finds its object.
    call = Call(slug=venue.slug, title="Bau Nyale", deadline=date(2099, 1, 1), license="NTB-PROMO", status="open")
    db.session.add(call)
    db.session.commit()

    # The business's collection of the approved asset, shared by a read-only link, and a kit
    # of it that is ready to download (its ZIP stored) until tomorrow.
    collection = Collection(owner=users["ikm"], name="Promosi kopi", share_token=secrets.token_urlsafe(24))
    item = CollectionItem(collection=collection, asset=asset, variant="original", position=1)
    kit = Kit(
        token=secrets.token_urlsafe(24),
        user=users["ikm"],
        collection=collection,
        title="Promosi kopi",
        status=KIT_READY,
        entries=[{"asset_id": asset.id, "variant": "original", "title": asset.title}],
        purpose="social",
        storage_key="kits/matrix/promosi-kopi.zip",
        size_bytes=22,
        file_count=0,
        files=[],
        skipped=[],
        finished_at=utcnow(),
        expires_at=utcnow() + timedelta(days=1),
    )
    db.session.add_all([collection, item, kit])
    db.session.commit()
    storage = get_storage()
    storage.put(asset.release_key, b"%PDF-1.4\n", "application/pdf")
    storage.put(kit.storage_key, b"PK\x05\x06" + bytes(18), "application/zip")  # an empty ZIP

    for name, user in users.items():
        world.tokens[name] = TOKEN_PREFIX + secrets.token_urlsafe(16)
        db.session.add(ApiToken(user=user, token_hash=hash_token(world.tokens[name]), label="matrix"))
    spare = ApiToken(user=users["creator"], token_hash=hash_token("spare"), label="spare")
    browser = UserSession(user=users["creator"], key_hash=hash_token("browser"), user_agent="Firefox, Android")
    db.session.add_all([spare, browser])
    db.session.commit()
    upload = _start_upload(world.tokens["creator"])
    world.args = {
        "asset_id": asset.id,
        "booking_id": booking.id,
        "code": booking.code,
        "entry_id": entry.id,
        "offer_id": held_for_school.id,
        "closure_id": closure.id,
        "slot_id": slot.id,
        "program_id": program.id,
        "slug": venue.slug,
        "npsn": users["school"].school.npsn,
        "coordinator_id": newcomer.id,
        "token_id": spare.id,
        "session_id": browser.id,
        "user_id": users["ikm"].id,
        "upload_id": upload["uploadId"],
        "upload_key": upload["key"],
        "part_number": 1,
        "role": "ikm",
        "filename": "css/app.css",
        "token": "not-a-signed-token",
        "collection_id": collection.id,
        "item_id": item.id,
        # "token" and "code" already name other things in other rules: url_for_rule puts these
        # in their place for the endpoints that mean them.
        "kit_token": kit.token,
        "share_token": collection.share_token,
        "license_code": "CC-BY-4.0",
        "certificate_code": certificate.code,
        "chart": "visits-venue",  # a dashboard chart's CSV
    }
    return world


def _start_upload(token: str) -> dict:
    """An unfinished upload of the creator's, started the way Uppy starts one."""
    body = {"filename": "sasak.jpg", "type": "image/jpeg", "metadata": {"size": 2048, "lastModified": 1}}
    created = current_app.test_client().post(
        "/uploads/s3/multipart", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert created.status_code == 200, created.get_json()
    return created.get_json()


# Endpoints whose argument shares its name with another rule's: "token" is a signed token in
# the account and storage links but a kit's or a shared collection's token here, and "code" is
# a booking code in the booking API but a licence's code on its page.
ARGUMENT_FOR = {
    "promo.shared": {"token": "share_token"},
    "promo.kit_page": {"token": "kit_token"},
    "promo.kit_download": {"token": "kit_token"},
    "promo.kit_again": {"token": "kit_token"},
    "api.kit": {"token": "kit_token"},
    "api.kit_download": {"token": "kit_token"},
    "assets.license_terms": {"code": "license_code"},
    "visits.certificate_check": {"code": "certificate_code"},
}
# "+ Collection" names its asset in the query (or form), not in the path.
ASSET_IN_QUERY = {"promo.add_page", "promo.add"}


def url_for_rule(app, rule, world: World) -> str:
    renamed = ARGUMENT_FOR.get(rule.endpoint, {})
    values = {name: world.args[renamed.get(name, name)] for name in rule.arguments}
    if rule.endpoint in ASSET_IN_QUERY:
        values["asset"] = world.args["asset_id"]
    with app.test_request_context():
        from flask import url_for

        url = url_for(rule.endpoint, **values)
    if rule.endpoint.startswith("assets.") and "upload_id" in rule.arguments:
        url += f"?key={world.args['upload_key']}"
    return url


def outcome(response) -> str:
    status = response.status_code
    if status == 401 and (response.get_json(silent=True) or {}).get("error") == "invalid_credentials":
        return "ok"  # the token endpoint judged the (empty) credentials: access was not the question
    location = response.headers.get("Location", "")
    # Sent to log in with the page to come back to; "sign out everywhere" also ends on the
    # log-in page, but as the success of what was asked.
    if status == 401 or (status in (301, 302, 303) and "/login" in location and "next=" in location):
        return "in"
    if status in (403, 404):
        return str(status)
    if status >= 500:
        return f"server error {status}"
    return "ok"


def call(client, method: str, url: str, token: str | None):
    """One request as ``token``'s principal; without a token, as a visitor whose browser
    carries a valid CSRF token (so that the answer is about access, not about forgery)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method != "GET" and not token:
        headers["X-CSRFToken"] = csrf_token(client, "/")
    if method == "GET":
        return client.get(url, headers=headers)
    if url.startswith(("/api/", "/uploads/")):
        return client.open(url, method=method, json={}, headers=headers)
    return client.open(url, method=method, data={}, headers=headers)


def _rows(app) -> list[tuple[str, str]]:
    return sorted(routes(app) & MATRIX.keys())


def test_matrix(make_app):
    """Every rule × every principal; all differences are reported together."""
    app = make_app(RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    wrong = []
    with app.app_context():
        world = build_world()
        for endpoint, method in _rows(app):
            url = url_for_rule(app, rules[endpoint], world)
            for principal in PRINCIPALS:
                client.delete_cookie("session")
                client.delete_cookie("remember_token")
                response = call(client, method, url, world.tokens.get(principal))
                response.get_data()  # a streamed answer (CSV) runs to its end inside its request
                response.close()
                got, expected = outcome(response), MATRIX[(endpoint, method)][principal]
                if got != expected:
                    wrong.append(f"{method} {url} as {principal}: expected {expected}, got {got} ({response.status})")
                if got == "ok" and method != "GET" and response.status_code < 400:
                    db.session.remove()
                    _empty(app)
                    world = build_world()
                    url = url_for_rule(app, rules[endpoint], world)
    assert not wrong, "authorization matrix differs:\n" + "\n".join(wrong)


def _empty(app) -> None:
    """Everything but the reference data, row by row: on a few rows, DELETE is much quicker
    than PostgreSQL's TRUNCATE of every table, and the matrix rebuilds its world often."""
    kept = {Community.__table__.name, Regency.__table__.name}
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in kept:
                conn.execute(table.delete())


@pytest.mark.parametrize("principal", ["creator", "staff"])
def test_bearer_principals_are_who_they_say(make_app, principal):
    """The matrix authenticates with bearer tokens: make sure each token is its principal."""
    app = make_app()
    with app.app_context():
        world = build_world()
        client = app.test_client()
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {world.tokens[principal]}"})
        assert me.status_code == 200
        assert me.get_json()["email"] == world.users[principal].email
