"""Who acts for a school: NPSNs are public, so registering with one only asks
to join. The attack that worked before — register with a verified school's NPSN, then read,
cancel and make its bookings and receive its e-mails — is reproduced here and refused; an
approved coordinator or the office approves (or rejects) the newcomer; the office gets a
queue with a count in the navigation; existing data migrates safely."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from koin_media.accounts import coordinators
from koin_media.accounts.models import School, User
from koin_media.audit import AuditEvent
from koin_media.booking import rules, services, waitlist
from koin_media.booking.models import CANCELLED, CONFIRMED, OFFERED, Booking
from koin_media.booking.problems import BookingRefused
from koin_media.database import utcnow
from koin_media.extensions import db
from koin_media.notifications.models import OutboxMessage

from .booking_helpers import group_request, make_slot, request_fields, school_user
from .conftest import PASSWORD, csrf_token

NEW_NPSN = "50207777"


@pytest.fixture
def app(make_app):
    # Rate limits are tests/test_security.py's subject; here they would only slow the many
    # registrations and log-ins down.
    app = make_app(RATELIMIT_ENABLED=False, PUBLIC_URL="https://koin.test")
    with app.app_context():
        yield app


def register_school(client, email, npsn, name="Pak Penyusup", school_name="Sekolah Apa Saja"):
    data = {
        "name": name,
        "email": email,
        "password": PASSWORD,
        "confirm": PASSWORD,
        "school_name": school_name,
        "npsn": npsn,
        "regency": "kota-mataram",
        "csrf_token": csrf_token(client, "/register/school"),
    }
    response = client.post("/register/school", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.email == email))
    # Confirming one's own e-mail address is easy for an attacker too: what stops them here
    # is the membership of the school.
    user.email_verified_at = utcnow()
    db.session.commit()
    return user


def post(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_token(client), **data})


def bearer(app, user) -> dict:
    # A client of its own: no session cookie, so the token call needs no CSRF token.
    response = app.test_client().post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def mail_to(user, kind=None) -> list[OutboxMessage]:
    statement = select(OutboxMessage).where(OutboxMessage.to_address == user.email).order_by(OutboxMessage.id)
    if kind:
        statement = statement.where(OutboxMessage.kind == kind)
    return db.session.scalars(statement).all()


def status_of(user) -> str | None:
    return db.session.scalar(select(User.coordinator_status).where(User.id == user.id))


def approve_path(user) -> str:
    return f"/schools/{user.school.npsn}/coordinators/{user.id}/approve"


def reject_path(user) -> str:
    return f"/schools/{user.school.npsn}/coordinators/{user.id}/reject"


class SchoolA:
    """A verified school with its approved coordinator and a confirmed booking."""

    def __init__(self, factory):
        self.slot = make_slot(capacity=100)
        self.manager = factory.user("venue_manager")
        self.slot.program.venue.managers.append(self.manager)
        db.session.commit()
        self.teacher = school_user()
        self.booking = services.book_slot(self.teacher, self.slot.id, group_request())
        services.confirm(self.booking, self.manager)
        self.staff = factory.user("staff", email="staf@disperin.test")
        self.npsn = self.teacher.school.npsn


@pytest.fixture
def school_a(app, factory):
    return SchoolA(factory)


# -- the attack, reproduced ------------------------------------------------------------------


def test_registering_with_a_known_npsn_gives_no_access_to_the_school(client, auth, school_a):
    booking = school_a.booking
    attacker = register_school(client, "penyusup@contoh.id", school_a.npsn)
    assert attacker.school_id == school_a.teacher.school_id and attacker.coordinator_status == "pending"
    assert not attacker.is_approved_coordinator

    # Reading the booking, its calendar file and its QR entry pass: as if it did not exist.
    for path in (f"/bookings/{booking.id}", f"/bookings/{booking.id}/calendar.ics", f"/bookings/{booking.id}/qr.svg"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/api/v1/bookings/{booking.id}").status_code == 404
    listing = client.get("/my/bookings")
    html = listing.get_data(as_text=True)
    assert listing.status_code == 200 and booking.contact_phone not in html and booking.contact_name not in html
    assert 'id="membership-problem"' in html and "menunggu persetujuan" in html  # who must approve, in Indonesian

    # Cancelling it: 404 on the page and in the API, and the booking stays confirmed.
    assert post(client, f"/bookings/{booking.id}/cancel", **{"cancel-reason": "batal"}).status_code == 404
    token = csrf_token(client)
    assert client.post(f"/api/v1/bookings/{booking.id}/cancel", headers={"X-CSRFToken": token}).status_code == 404
    assert db.session.get(Booking, booking.id).status == CONFIRMED

    # Booking in the school's name: a clear refusal, on the page and in the API.
    other_slot = make_slot(school_a.slot.program, capacity=100, starts_in=timedelta(days=8))
    page = post(client, f"/slots/{other_slot.id}/book", **request_fields(consent="y"))
    assert page.status_code == 403 and str(BookingRefused("coordinator_pending").message) in page.get_data(as_text=True)
    api = client.post(
        "/api/v1/bookings", json={"slot_id": other_slot.id, **request_fields()}, headers={"X-CSRFToken": token}
    )
    assert api.status_code == 403 and api.get_json()["error"] == "coordinator_pending"
    waiting = post(client, f"/slots/{other_slot.id}/book", action="waitlist", **request_fields(consent="y"))
    assert waiting.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1

    # The school's e-mails: none for the newcomer when the booking changes.
    services.cancel(db.session.get(Booking, booking.id), school_a.manager, "Sirkuit ditutup untuk balapan")
    assert [m.kind for m in mail_to(school_a.teacher, "cancelled")] == ["cancelled"]
    assert mail_to(attacker, "cancelled") == [] and mail_to(attacker, "confirmed") == []


def test_a_pending_coordinator_cannot_accept_or_withdraw_the_schools_waitlist_offer(client, auth, school_a):
    entry = waitlist.join_waitlist(
        school_a.teacher, make_slot(school_a.slot.program, starts_in=timedelta(days=9)).id, group_request()
    )
    assert entry.status == OFFERED  # seats were free: offered at once, with an e-mail
    attacker = register_school(client, "penyusup@contoh.id", school_a.npsn)
    assert post(client, f"/waitlist/{entry.id}/accept").status_code == 404
    assert post(client, f"/waitlist/{entry.id}/withdraw").status_code == 404
    with pytest.raises(BookingRefused) as refused:
        waitlist.accept_offer(entry, attacker)
    assert refused.value.code == "coordinator_pending"
    with pytest.raises(BookingRefused):
        waitlist.withdraw(entry, attacker)
    assert mail_to(attacker, "waitlist_offer") == [] and len(mail_to(school_a.teacher, "waitlist_offer")) == 1


def test_once_approved_by_the_schools_coordinator_the_newcomer_acts_for_the_school(client, auth, school_a):
    booking = school_a.booking
    newcomer = register_school(client, "wakasek@contoh.id", school_a.npsn, name="Ibu Wakasek")
    auth.logout()
    auth.login(school_a.teacher)
    account = client.get("/account").get_data(as_text=True)
    assert f'data-coordinator="{newcomer.id}"' in account and "Ibu Wakasek" in account
    assert post(client, approve_path(newcomer), next="/account").headers["Location"].endswith("/account")
    assert status_of(newcomer) == "approved"
    assert [m.kind for m in mail_to(newcomer, "coordinator_approved")] == ["coordinator_approved"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "coordinator.approve"))
    assert event.actor_id == school_a.teacher.id and event.subject_id == newcomer.id

    auth.logout()
    auth.login(newcomer)
    assert client.get(f"/bookings/{booking.id}").status_code == 200
    assert client.get(f"/bookings/{booking.id}/qr.svg").status_code == 200
    assert booking.code[:4] in client.get("/my/bookings").get_data(as_text=True)
    services.cancel(db.session.get(Booking, booking.id), school_a.manager, "Sirkuit ditutup untuk balapan")
    assert len(mail_to(newcomer, "cancelled")) == 1
    assert db.session.get(Booking, booking.id).status == CANCELLED


def test_staff_approve_from_the_queue_and_the_newcomer_can_book(client, auth, school_a):
    newcomer = register_school(client, "wakasek@contoh.id", school_a.npsn)
    auth.logout()
    auth.login(school_a.staff)
    queue = client.get("/schools/waiting").get_data(as_text=True)
    assert f'data-coordinator="{newcomer.id}"' in queue and school_a.teacher.email in queue  # who already acts
    assert post(client, approve_path(newcomer)).status_code == 302
    auth.logout()
    auth.login(newcomer)
    other_slot = make_slot(school_a.slot.program, capacity=100, starts_in=timedelta(days=8))
    response = post(client, f"/slots/{other_slot.id}/book", **request_fields(consent="y"))
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Booking).where(Booking.slot_id == other_slot.id)) == 1


def test_rejected_coordinator_is_told_and_stays_locked_out(client, auth, school_a):
    newcomer = register_school(client, "penyusup@contoh.id", school_a.npsn)
    auth.logout()
    auth.login(school_a.teacher)
    assert post(client, reject_path(newcomer)).status_code == 302
    assert status_of(newcomer) == "rejected" and len(mail_to(newcomer, "coordinator_rejected")) == 1
    # A coordinator decides about pending requests only; the office may reverse a decision.
    again = post(client, approve_path(newcomer))
    assert again.status_code == 302 and status_of(newcomer) == "rejected"
    auth.logout()
    auth.login(newcomer)
    account = client.get("/account").get_data(as_text=True)
    assert 'data-status="rejected"' in account and "ditolak" in account
    assert client.get(f"/bookings/{school_a.booking.id}").status_code == 404
    with pytest.raises(BookingRefused) as refused:
        rules.check_may_book_for_school(db.session.get(User, newcomer.id))
    assert refused.value.code == "coordinator_rejected"
    auth.logout()
    auth.login(school_a.staff)
    assert post(client, approve_path(newcomer)).status_code == 302 and status_of(newcomer) == "approved"
    # ... and take an approval back (a teacher who left).
    assert post(client, reject_path(newcomer)).status_code == 302 and status_of(newcomer) == "rejected"


# -- who may decide ----------------------------------------------------------------------------


def test_another_schools_coordinator_cannot_decide(client, auth, school_a, factory):
    newcomer = register_school(client, "penyusup@contoh.id", school_a.npsn)
    auth.logout()
    outsider = school_user(start=950)  # approved coordinator of another verified school
    auth.login(outsider)
    assert post(client, approve_path(newcomer)).status_code == 403
    assert post(client, reject_path(newcomer)).status_code == 403
    token = csrf_token(client)
    api = client.post(f"/api/v1{approve_path(newcomer)}", headers={"X-CSRFToken": token})
    assert api.status_code == 403 and api.get_json()["error"] == "forbidden"
    # Naming one's own school with another school's coordinator: not found there.
    wrong = client.post(
        f"/api/v1/schools/{outsider.school.npsn}/coordinators/{newcomer.id}/approve", headers={"X-CSRFToken": token}
    )
    assert wrong.status_code == 404
    assert status_of(newcomer) == "pending"


def test_a_pending_coordinator_cannot_approve_anyone(client, auth, school_a):
    first = register_school(client, "penyusup1@contoh.id", school_a.npsn)
    auth.logout()
    second = register_school(client, "penyusup2@contoh.id", school_a.npsn)
    assert post(client, approve_path(first)).status_code == 403
    auth.logout()
    auth.login(first)
    assert post(client, approve_path(second)).status_code == 403
    assert post(client, approve_path(first)).status_code == 403  # nor themselves
    with pytest.raises(coordinators.CoordinatorRefused) as refused:
        coordinators.approve_coordinator(db.session.get(User, first.id), db.session.get(User, first.id))
    assert refused.value.code == "own_membership"
    assert (status_of(first), status_of(second)) == ("pending", "pending")


@pytest.mark.parametrize("role", ["creator", "ikm", "venue_manager"])
def test_other_roles_get_403(client, auth, school_a, factory, role):
    newcomer = register_school(client, "penyusup@contoh.id", school_a.npsn)
    auth.logout()
    auth.login(factory.user(role))
    assert post(client, approve_path(newcomer)).status_code == 403
    assert client.get("/schools/waiting").status_code == 403
    token = csrf_token(client)
    assert client.get("/api/v1/schools/pending").status_code == 403
    assert client.post(f"/api/v1{reject_path(newcomer)}", headers={"X-CSRFToken": token}).status_code == 403
    assert status_of(newcomer) == "pending"


def test_deciding_needs_the_csrf_token_and_a_known_coordinator(client, auth, school_a, factory):
    newcomer = register_school(client, "penyusup@contoh.id", school_a.npsn)
    auth.logout()
    auth.login(school_a.staff)
    assert client.post(approve_path(newcomer)).status_code == 400
    assert post(client, f"/schools/{school_a.npsn}/coordinators/999999/approve").status_code == 404
    assert post(client, f"/schools/12345678/coordinators/{newcomer.id}/approve").status_code == 404
    ikm = factory.user("ikm")
    assert post(client, f"/schools/{school_a.npsn}/coordinators/{ikm.id}/approve").status_code == 404
    assert status_of(newcomer) == "pending"


def test_a_decision_taken_meanwhile_is_not_overwritten(app, school_a):
    newcomer = User(email="guru-baru@contoh.id", name="Guru Baru", role="school", session_nonce="n")
    newcomer.set_password(PASSWORD)
    newcomer.join_school(school_a.teacher.school)
    db.session.add(newcomer)
    db.session.commit()
    stale = db.session.get(User, newcomer.id)
    assert stale.coordinator_status == "pending"
    db.session.expunge(stale)  # keeps what it read: "pending"
    db.session.rollback()
    with db.engine.begin() as other:  # another approver rejected them a moment ago
        other.execute(sa.update(User).where(User.id == newcomer.id).values(coordinator_status="rejected"))
    with pytest.raises(coordinators.CoordinatorRefused) as refused:
        coordinators.approve_coordinator(stale, db.session.get(User, school_a.teacher.id))
    assert refused.value.code == "already_decided"
    assert status_of(newcomer) == "rejected"


# -- new schools, the office's queue and its notifications ------------------------------------


def test_a_new_school_waits_and_verifying_it_approves_only_its_first_coordinator(client, auth, factory):
    staff = factory.user("staff", email="staf@disperin.test")
    founder = register_school(client, "kepsek@contoh.id", NEW_NPSN, name="Pak Kepsek", school_name="SMPN 9 Mataram")
    auth.logout()
    latecomer = register_school(client, "lain@contoh.id", NEW_NPSN)
    assert (status_of(founder), status_of(latecomer)) == ("pending", "pending")
    waiting = mail_to(staff, "coordinator_waiting")
    assert [m.subject for m in waiting][0].startswith("Sekolah baru menunggu verifikasi: SMPN 9 Mataram")
    assert "https://koin.test/schools/waiting" in waiting[0].body_text and len(waiting) == 2
    assert mail_to(founder, "coordinator_waiting") == []  # not approved: hears nothing about the school
    auth.logout()
    auth.login(founder)
    assert 'data-status="pending"' in client.get("/account").get_data(as_text=True)
    auth.logout()

    auth.login(staff)
    nav = client.get("/").get_data(as_text=True)
    assert 'id="nav-school-queue"' in nav and '<span class="badge"' in nav
    queue = client.get("/schools/waiting").get_data(as_text=True)
    assert f'data-npsn="{NEW_NPSN}"' in queue and "Pak Kepsek" in queue
    response = post(client, f"/schools/{NEW_NPSN}/verify", next="/schools/waiting")
    assert response.headers["Location"].endswith("/schools/waiting")
    assert (status_of(founder), status_of(latecomer)) == ("approved", "pending")
    assert len(mail_to(founder, "coordinator_approved")) == 1
    # The latecomer now waits as a further coordinator of a verified school.
    assert coordinators.queue_size() == 1
    assert post(client, reject_path(latecomer)).status_code == 302
    assert coordinators.queue_size() == 0
    assert '<span class="badge"' not in client.get("/").get_data(as_text=True)


def test_a_made_up_school_leaves_the_queue_when_its_founder_is_rejected(client, auth, factory):
    staff = factory.user("staff")
    founder = register_school(client, "palsu@contoh.id", NEW_NPSN)
    auth.logout()
    auth.login(staff)
    assert coordinators.queue_size() == 1
    assert post(client, reject_path(founder)).status_code == 302
    assert coordinators.queue_size() == 0
    assert db.session.scalar(select(School.verified_at).where(School.npsn == NEW_NPSN)) is None


def test_the_schools_approved_coordinators_hear_about_a_newcomer(client, school_a):
    newcomer = register_school(client, "wakasek@contoh.id", school_a.npsn, name="Ibu Wakasek")
    to_colleague = mail_to(school_a.teacher, "coordinator_waiting")
    assert len(to_colleague) == 1 and "Ibu Wakasek" in to_colleague[0].body_text
    assert "https://koin.test/account" in to_colleague[0].body_text
    to_office = mail_to(school_a.staff, "coordinator_waiting")
    assert len(to_office) == 1 and newcomer.email in to_office[0].body_text


def test_the_badge_is_counted_for_the_office_only(client, auth, school_a, factory):
    register_school(client, "penyusup@contoh.id", school_a.npsn)
    nav = client.get("/").get_data(as_text=True)
    assert 'id="nav-school-queue"' not in nav  # the pending coordinator's own page
    auth.logout()
    auth.login(school_a.teacher)
    assert 'id="nav-school-queue"' not in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login(factory.user("admin"))
    assert '<span class="badge" aria-label="1 menunggu">1</span>' in client.get("/").get_data(as_text=True)


# -- JSON -------------------------------------------------------------------------------------


def test_the_queue_and_decisions_in_json(app, client, auth, school_a, factory):
    newcomer = register_school(client, "wakasek@contoh.id", school_a.npsn)
    auth.logout()
    founder = register_school(client, "kepsek@contoh.id", NEW_NPSN)
    me = client.get("/api/v1/me").get_json()
    assert me["school"]["coordinator_status"] == "pending" and me["school"]["verified"] is False
    assert client.get("/api/v1/schools/pending").status_code == 403  # pending: decides nothing
    auth.logout()

    staff = bearer(app, school_a.staff)
    body = client.get("/api/v1/schools/pending", headers=staff).get_json()
    assert [s["npsn"] for s in body["schools"]["items"]] == [NEW_NPSN] and body["schools"]["total"] == 1
    assert [c["id"] for c in body["coordinators"]["items"]] == [newcomer.id]
    assert body["coordinators"]["items"][0]["status"] == "pending"

    teacher = bearer(app, school_a.teacher)
    own = client.get("/api/v1/schools/pending", headers=teacher).get_json()
    assert own["schools"]["items"] == [] and [c["id"] for c in own["coordinators"]["items"]] == [newcomer.id]
    assert client.post(f"/api/v1{approve_path(founder)}", headers=teacher).status_code == 403
    approved = client.post(f"/api/v1{approve_path(newcomer)}", headers=teacher)
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    twice = client.post(f"/api/v1{reject_path(newcomer)}", headers=teacher)
    assert twice.status_code == 409 and twice.get_json()["error"] == "not_pending"

    rejected = client.post(f"/api/v1{reject_path(founder)}", headers=staff)
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    assert client.get("/api/v1/schools/pending", headers=staff).get_json()["schools"]["total"] == 0
    assert client.get("/api/v1/schools/pending").status_code == 401


# -- the booking gate, one function -----------------------------------------------------------


def test_the_booking_gate_says_what_is_missing(app, factory):
    unverified = school_user(verified=False, start=960)
    with pytest.raises(BookingRefused) as refused:
        rules.check_may_book_for_school(unverified)
    assert refused.value.code == "school_unverified"
    approved = school_user(start=961)
    assert rules.check_may_book_for_school(approved) == approved.school_id
    approved.coordinator_status = "pending"
    with pytest.raises(BookingRefused) as refused:
        rules.check_may_book_for_school(approved)
    assert refused.value.code == "coordinator_pending"
    with pytest.raises(BookingRefused) as refused:
        rules.check_may_book_for_school(factory.user("ikm"))
    assert refused.value.code == "not_a_school"


def test_the_database_keeps_membership_and_school_together(app, factory):
    user = factory.user("ikm")
    user.coordinator_status = "approved"  # approved for no school
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    teacher = school_user(start=970)
    teacher.coordinator_status = "boss"
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_seed_demo_keeps_a_verified_school_with_an_approved_coordinator(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # and again
    demo = db.session.scalar(select(User).where(User.email == "sekolah@demo.koin.test"))
    assert demo.school.is_verified and demo.is_approved_coordinator


# -- migrating existing data ------------------------------------------------------------------


def test_existing_coordinators_migrate_conservatively(app):
    """At 0004 anyone who named an NPSN acted for the school. After 0005: the earliest
    coordinator of a verified school is approved, every other one is pending, and nothing
    that references users is lost (SQLite rebuilds the table)."""
    db.session.remove()
    downgrade(revision="0004_outbox")
    day = lambda n: datetime(2026, 1, n, tzinfo=UTC).replace(tzinfo=None)  # noqa: E731
    with db.engine.begin() as conn:
        regency = conn.execute(sa.text("SELECT id FROM regencies ORDER BY id LIMIT 1")).scalar()
        schools = [
            (1, "50201001", day(1)),  # verified
            (2, "50201002", None),  # waiting for verification
        ]
        for school_id, npsn, verified in schools:
            conn.execute(
                sa.text(
                    "INSERT INTO schools (id, npsn, name, regency_id, verified_at, created_at)"
                    " VALUES (:id, :npsn, :name, :regency, :verified, :created)"
                ),
                dict(
                    id=school_id,
                    npsn=npsn,
                    name=f"SMPN {school_id}",
                    regency=regency,
                    verified=verified,
                    created=day(1),
                ),
            )
        users = [
            # id, role, school, created: the second registered first (ids are not the order)
            (11, "school", 1, day(5)),
            (12, "school", 1, day(2)),
            (13, "school", 1, day(9)),
            (14, "school", 2, day(3)),
            (15, "creator", None, day(1)),
        ]
        for user_id, role, school_id, created in users:
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, email, password_hash, name, role, active, created_at,"
                    " password_changed_at, session_nonce, school_id)"
                    " VALUES (:id, :email, 'x', :name, :role, :active, :created, :created, 'n', :school)"
                ),
                dict(
                    id=user_id,
                    email=f"u{user_id}@contoh.id",
                    name=f"U {user_id}",
                    role=role,
                    active=True,
                    created=created,
                    school=school_id,
                ),
            )
        conn.execute(
            sa.text("INSERT INTO api_tokens (id, user_id, token_hash, label, created_at) VALUES (1, 11, 'h', 'l', :c)"),
            dict(c=day(6)),
        )
    upgrade(revision="0005_school_coordinators")
    with db.engine.connect() as conn:
        states = dict(conn.execute(sa.text("SELECT id, coordinator_status FROM users ORDER BY id")).all())
        tokens = conn.execute(sa.text("SELECT count(*) FROM api_tokens")).scalar()
    assert states == {11: "pending", 12: "approved", 13: "pending", 14: "pending", 15: None}
    assert tokens == 1
    downgrade(revision="0004_outbox")  # and back, keeping the rows
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar() == 5
    upgrade()
