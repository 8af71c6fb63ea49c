"""Venue pages, management of venues, programs, sessions and closures, school verification,
the venue JSON and the CLI."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from koin_media.accounts.models import School, User
from koin_media.assets.models import PENDING_REVIEW
from koin_media.audit import AuditEvent
from koin_media.booking.models import Closure, Program, Slot
from koin_media.booking.services import book_slot
from koin_media.booking.signals import booking_changed
from koin_media.database import write_intent
from koin_media.extensions import db
from koin_media.localtime import local_today
from koin_media.venues.models import Venue

from .asset_helpers import approved_asset
from .booking_helpers import group_request, make_program, make_slot, make_venue, school_user
from .conftest import csrf_token


@pytest.fixture
def venue(app):
    return make_venue()


@pytest.fixture
def program(venue):
    return make_program(venue, price_per_student=25000)


@pytest.fixture
def manager(factory, venue):
    user = factory.user("venue_manager")
    venue.managers.append(user)
    db.session.commit()
    return user


def next_weekday(weekday: int, weeks_ahead: int = 1) -> date:
    today = local_today()
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)


# -- public pages -----------------------------------------------------------------------------


def test_venue_list_and_page_show_programs_with_their_rules(client, venue, program):
    venue.description_id, venue.description_en = "Sirkuit balap internasional.", "International racing circuit."
    venue.latitude, venue.longitude = -8.8942, 116.3046
    venue.contact_name, venue.contact_phone = "Lalu Humas", "+6281234567890"
    make_program(venue, title="Program Lama", active=False)
    db.session.commit()

    listing = client.get("/venues").get_data(as_text=True)
    assert "/venues/sirkuit-mandalika" in listing and venue.name in listing

    page = client.get("/venues/sirkuit-mandalika")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Sirkuit balap internasional." in html and "International racing circuit." not in html  # Indonesian first
    assert "Kuta, Pujut, Lombok Tengah" in html and "Lombok Tengah" in html
    assert "openstreetmap.org/?mlat=-8.8942&amp;mlon=116.3046" in html
    assert "+6281234567890" in html and "Lalu Humas" in html
    assert program.title in html and "Program Lama" not in html  # only programs open for bookings
    assert "Rp 25.000" in html and "Surat izin orang tua" in html and "SMP, SMA, SMK" in html
    assert f"/venues/sirkuit-mandalika/calendar?program={program.id}" in html

    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client)})
    assert "International racing circuit." in client.get("/venues/sirkuit-mandalika").get_data(as_text=True)


def test_free_program_is_shown_as_free(client, venue):
    make_program(venue, price_per_student=0)
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client)})
    html = client.get("/venues/sirkuit-mandalika").get_data(as_text=True)
    assert '<dd class="price">Free</dd>' in html and "Rp 0" not in html


def test_unknown_venue_is_404(client, auth, factory):
    assert client.get("/venues/tidak-ada").status_code == 404
    assert client.get("/venues/tidak-ada/calendar").status_code == 404
    auth.login(factory.user("staff"))
    assert client.get("/venues/tidak-ada/manage").status_code == 404
    assert client.get("/venues/tidak-ada/edit").status_code == 404


def test_venue_page_shows_approved_assets_tagged_with_the_venue(client, factory, venue):
    """Must show 4: the venue page shows the approved media made about it, and nothing else."""
    creator = factory.user("creator")
    other_venue = make_venue(slug="meninting-bike-park", name="Meninting Bike Park")
    shown = approved_asset(creator, "Tikungan Sepuluh Mandalika", venue=venue, thumb_key="assets/x/thumb.jpg")
    pending = approved_asset(creator, "Paddock Belum Ditinjau", venue=venue)
    pending.status = PENDING_REVIEW
    elsewhere = approved_asset(creator, "Pumptrack Meninting", venue=other_venue)
    untagged = approved_asset(creator, "Kain Tenun Sukarara")
    db.session.commit()

    html = client.get("/venues/sirkuit-mandalika").get_data(as_text=True)
    assert f'href="/assets/{shown.id}"' in html and shown.title in html
    assert '<img src="' in html  # its thumbnail, through the storage's inline URL
    for hidden in (pending, elsewhere, untagged):
        assert f'href="/assets/{hidden.id}"' not in html and hidden.title not in html
    assert "/assets?venue=sirkuit-mandalika" in html

    other = client.get("/venues/meninting-bike-park").get_data(as_text=True)
    assert f'href="/assets/{elsewhere.id}"' in other and f'href="/assets/{shown.id}"' not in other


# -- who may manage ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 302),
        ("school", 403),
        ("creator", 403),
        ("ikm", 403),
        ("venue_manager", 403),
        ("staff", 200),
        ("admin", 200),
    ],
)
def test_management_pages_by_role(client, auth, factory, program, role, expected):
    if role:
        auth.login(factory.user(role))  # a venue manager, but not of this venue
    for path in (
        "/venues/sirkuit-mandalika/manage",
        "/venues/sirkuit-mandalika/edit",
        "/venues/sirkuit-mandalika/programs/new",
        f"/venues/sirkuit-mandalika/programs/{program.id}/edit",
    ):
        assert client.get(path).status_code == expected, path


def test_a_manager_manages_only_their_venues_and_creates_none(client, auth, manager, program):
    make_venue(slug="meninting-bike-park", name="Meninting Bike Park")
    auth.login(manager)
    listing = client.get("/venues").get_data(as_text=True)
    assert "/venues/sirkuit-mandalika/manage" in listing and "/venues/meninting-bike-park/manage" not in listing
    assert "/venues/new" not in listing
    assert client.get("/venues/sirkuit-mandalika/manage").status_code == 200
    assert client.get("/venues/meninting-bike-park/manage").status_code == 403
    assert client.get("/venues/new").status_code == 403
    token = csrf_token(client, "/venues/sirkuit-mandalika/manage")
    refused = client.post(
        "/venues/meninting-bike-park/closures",
        data={
            "closure-date_from": "2027-01-01",
            "closure-date_to": "2027-01-02",
            "closure-reason": "x",
            "csrf_token": token,
        },
    )
    assert refused.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Closure)) == 0


def test_the_venue_page_offers_management_only_to_who_manages_it(client, auth, factory, manager, venue):
    """The page asks ``venue.can_manage``: its managers and the office, nobody else."""
    manage_link = 'href="/venues/sirkuit-mandalika/manage"'
    assert manage_link not in client.get("/venues/sirkuit-mandalika").get_data(as_text=True)
    for user, shown in ((factory.user("venue_manager"), False), (manager, True), (factory.user("staff"), True)):
        auth.login(user)
        assert (manage_link in client.get("/venues/sirkuit-mandalika").get_data(as_text=True)) is shown, user.role
        auth.logout()


def venue_form(**overrides) -> dict:
    data = {
        "slug": "pantai-kuta",
        "name": "Pantai Kuta Mandalika",
        "description_id": "Pantai dengan pasir merica.",
        "description_en": "Beach with peppercorn sand.",
        "address": "Kuta, Lombok Tengah",
        "regency": "lombok-tengah",
        "contact_name": "Baiq Humas",
        "contact_phone": "0812-3456-7890",
        "contact_email": "Humas@Contoh.id",
        "latitude": "-8.8947",
        "longitude": "116.2770",
    }
    data.update(overrides)
    return data


def test_staff_create_and_edit_a_venue_with_its_managers(client, auth, factory):
    manager = factory.user("venue_manager")
    auth.login(factory.user("staff"))
    token = csrf_token(client, "/venues/new")
    created = client.post("/venues/new", data={**venue_form(managers=[str(manager.id)]), "csrf_token": token})
    assert created.status_code == 302 and created.location.endswith("/venues/pantai-kuta/manage")
    venue = db.session.scalar(select(Venue).where(Venue.slug == "pantai-kuta"))
    assert venue.contact_phone == "+6281234567890" and venue.contact_email == "humas@contoh.id"
    assert venue.latitude == pytest.approx(-8.8947) and [u.id for u in venue.managers] == [manager.id]
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.subject_type == "venues")) == "venue.create"

    taken = client.post("/venues/new", data={**venue_form(), "csrf_token": token})
    assert taken.status_code == 422
    edited = client.post(
        "/venues/pantai-kuta/edit", data={**venue_form(name="Pantai Kuta", slug="diabaikan"), "csrf_token": token}
    )
    assert edited.status_code == 302
    db.session.refresh(venue)
    assert venue.name == "Pantai Kuta" and venue.slug == "pantai-kuta" and venue.managers == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("slug", "Pantai Kuta"),
        ("name", ""),
        ("regency", "atlantis"),
        ("contact_phone", "12345"),
        ("contact_email", "bukan-email"),
        ("latitude", "95"),
        ("longitude", "abc"),
    ],
)
def test_venue_form_refuses_bad_values(client, auth, factory, field, value):
    auth.login(factory.user("staff"))
    token = csrf_token(client, "/venues/new")
    response = client.post("/venues/new", data={**venue_form(**{field: value}), "csrf_token": token})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Venue)) == 0


def test_a_manager_edits_their_venue_but_not_its_managers(client, auth, factory, manager, venue):
    other = factory.user("venue_manager")
    auth.login(manager)
    page = client.get("/venues/sirkuit-mandalika/edit").get_data(as_text=True)
    assert 'name="managers"' not in page and 'name="slug"' not in page
    token = csrf_token(client, "/venues/sirkuit-mandalika/edit")
    data = {**venue_form(name="Sirkuit Mandalika", managers=[str(other.id)]), "csrf_token": token}
    assert client.post("/venues/sirkuit-mandalika/edit", data=data).status_code == 302
    db.session.refresh(venue)
    assert venue.name == "Sirkuit Mandalika" and [u.id for u in venue.managers] == [manager.id]


def program_form(**overrides) -> dict:
    data = {
        "title": "Bersepeda Aman",
        "description": "Latihan bersepeda aman di pumptrack.",
        "duration_minutes": "90",
        "min_students": "20",
        "max_students": "60",
        "students_per_teacher": "10",
        "levels": ["SD", "SMP"],
        "requirements": "Helm sepeda\n\n  Sepatu   tertutup \n",
        "price_per_student": "0",
        "active": "y",
    }
    data.update(overrides)
    return data


def test_programs_are_created_and_edited(client, auth, manager, venue):
    auth.login(manager)
    token = csrf_token(client, "/venues/sirkuit-mandalika/programs/new")
    created = client.post("/venues/sirkuit-mandalika/programs/new", data={**program_form(), "csrf_token": token})
    assert created.status_code == 302
    program = db.session.scalar(select(Program))
    assert program.venue_id == venue.id and program.level_set == {"SD", "SMP"}
    assert program.requirements == ["Helm sepeda", "Sepatu tertutup"] and program.students_per_teacher == 10

    page = client.get(f"/venues/sirkuit-mandalika/programs/{program.id}/edit").get_data(as_text=True)
    assert "Helm sepeda\nSepatu tertutup" in page
    assert re.search(r'<input checked[^>]*value="SD"', page) and not re.search(r'<input checked[^>]*value="SMA"', page)
    edited = client.post(
        f"/venues/sirkuit-mandalika/programs/{program.id}/edit",
        data={**program_form(levels=["SMP"], price_per_student="15000", active=""), "csrf_token": token},
    )
    assert edited.status_code == 302
    db.session.refresh(program)
    assert program.levels == "SMP" and program.price_per_student == 15000 and not program.active


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("max_students", "10"),  # below the minimum of 20
        ("min_students", "0"),
        ("levels", []),
        ("levels", ["TK"]),
        ("duration_minutes", "abc"),
        ("price_per_student", "-1"),
    ],
)
def test_program_form_refuses_bad_values(client, auth, manager, venue, field, value):
    auth.login(manager)
    token = csrf_token(client, "/venues/sirkuit-mandalika/programs/new")
    response = client.post(
        "/venues/sirkuit-mandalika/programs/new", data={**program_form(**{field: value}), "csrf_token": token}
    )
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Program)) == 0


def test_another_venues_program_is_404(client, auth, factory, manager):
    other = make_program(make_venue(slug="meninting-bike-park", name="Meninting Bike Park"))
    auth.login(factory.user("staff"))
    assert client.get(f"/venues/sirkuit-mandalika/programs/{other.id}/edit").status_code == 404


# -- sessions ---------------------------------------------------------------------------------


def pattern_form(of_program, first: date, last: date, **overrides) -> dict:
    data = {
        "program": str(of_program.id),
        "weekdays": ["0", "2"],
        "start_time": "08:00",
        "end_time": "10:00",
        "date_from": first.isoformat(),
        "date_to": last.isoformat(),
        "capacity": "120",
    }
    data.update(overrides)
    return data


def test_sessions_generated_from_a_weekly_pattern_in_wita(client, auth, manager, program):
    auth.login(manager)
    monday = next_weekday(0)
    token = csrf_token(client, "/venues/sirkuit-mandalika/manage")
    data = {**pattern_form(program, monday, monday + timedelta(days=13)), "csrf_token": token}
    first = client.post("/venues/sirkuit-mandalika/slots/generate", data=data)
    assert first.status_code == 302
    slots = db.session.scalars(select(Slot).order_by(Slot.starts_at)).all()
    assert len(slots) == 4  # two Mondays and two Wednesdays
    assert slots[0].starts_at == datetime.combine(monday, time(0, 0), tzinfo=UTC)  # 08:00 WITA
    assert slots[0].ends_at == datetime.combine(monday, time(2, 0), tzinfo=UTC)
    assert {s.starts_at.weekday() for s in slots} == {0, 2} and {s.capacity for s in slots} == {120}
    assert client.post("/venues/sirkuit-mandalika/slots/generate", data=data).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Slot)) == 4  # idempotent

    manage = client.get("/venues/sirkuit-mandalika/manage").get_data(as_text=True)
    assert all(f'data-slot="{s.id}"' in manage for s in slots) and "0 / 120" in manage


@pytest.mark.parametrize(
    "overrides",
    [
        {"weekdays": []},
        {"weekdays": ["7"]},
        {"end_time": "07:00"},
        {"start_time": "8 pagi"},
        {"date_to": "2020-01-01"},
        {"date_from": "kemarin"},
        {"capacity": "0"},
        {"program": "999999"},
    ],
)
def test_session_pattern_refuses_bad_values(client, auth, manager, program, overrides):
    auth.login(manager)
    monday = next_weekday(0)
    token = csrf_token(client, "/venues/sirkuit-mandalika/manage")
    data = {**pattern_form(program, monday, monday + timedelta(days=13), **overrides), "csrf_token": token}
    response = client.post("/venues/sirkuit-mandalika/slots/generate", data=data)
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Slot)) == 0


def test_a_session_is_closed_and_opened_again(client, auth, manager, program):
    slot = make_slot(program)
    auth.login(manager)
    token = csrf_token(client, "/venues/sirkuit-mandalika/manage")
    path = f"/venues/sirkuit-mandalika/slots/{slot.id}/status"
    assert client.post(path, data={"is_open": "0", "csrf_token": token}).status_code == 302
    db.session.refresh(slot)
    assert not slot.is_open
    assert client.post(path, data={"is_open": "1", "csrf_token": token}).status_code == 302
    db.session.refresh(slot)
    assert slot.is_open
    assert client.post(path, data={"is_open": "maybe", "csrf_token": token}).status_code == 400
    other = make_slot(make_program(make_venue(slug="meninting-bike-park", name="Meninting Bike Park")))
    assert (
        client.post(
            f"/venues/sirkuit-mandalika/slots/{other.id}/status", data={"is_open": "0", "csrf_token": token}
        ).status_code
        == 404
    )


def test_a_closure_closes_overlapping_sessions_and_signals_affected_bookings(client, auth, manager, program):
    day = next_weekday(5)  # a Saturday: race weekend
    inside = make_slot(program, starts_in=datetime.combine(day, time(1, 0), tzinfo=UTC) - datetime.now(UTC))
    after = make_slot(
        program, starts_in=datetime.combine(day + timedelta(days=3), time(1, 0), tzinfo=UTC) - datetime.now(UTC)
    )
    with write_intent():
        booking = book_slot(school_user(), inside.id, group_request())
    signalled = []

    def receiver(sender, **extra):
        signalled.append((sender.id, extra["action"]))

    booking_changed.connect(receiver)
    try:
        auth.login(manager)
        token = csrf_token(client, "/venues/sirkuit-mandalika/manage")
        data = {
            "closure-date_from": day.isoformat(),
            "closure-date_to": (day + timedelta(days=1)).isoformat(),
            "closure-reason": "MotoGP Mandalika",
            "csrf_token": token,
        }
        response = client.post("/venues/sirkuit-mandalika/closures", data=data, follow_redirects=True)
    finally:
        booking_changed.disconnect(receiver)
    assert response.status_code == 200
    assert signalled == [(booking.id, "slot_closed")]
    db.session.expire_all()
    assert not db.session.get(Slot, inside.id).is_open and db.session.get(Slot, after.id).is_open
    closure = db.session.scalar(select(Closure))
    assert closure.reason == "MotoGP Mandalika" and closure.created_by_id == manager.id
    assert closure.starts_at == datetime.combine(day - timedelta(days=1), time(16, 0), tzinfo=UTC)  # 00:00 WITA
    assert closure.ends_at == datetime.combine(day + timedelta(days=1), time(16, 0), tzinfo=UTC)
    assert "MotoGP Mandalika" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "overrides",
    [{"closure-reason": ""}, {"closure-date_to": "2020-01-01"}, {"closure-date_from": "besok"}],
)
def test_closure_refuses_bad_values(client, auth, manager, program, overrides):
    auth.login(manager)
    token = csrf_token(client, "/venues/sirkuit-mandalika/manage")
    data = {"closure-date_from": "2027-01-01", "closure-date_to": "2027-01-02", "closure-reason": "MotoGP"}
    response = client.post("/venues/sirkuit-mandalika/closures", data={**data, **overrides, "csrf_token": token})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Closure)) == 0


def test_generate_slots_cli_in_wita_and_idempotent(runner, program):
    monday = next_weekday(0)
    args = [
        "booking",
        "generate-slots",
        "sirkuit-mandalika",
        str(program.id),
        "--weekdays",
        "mon,wed,fri",
        "--start",
        "08:00",
        "--end",
        "10:00",
        "--from",
        monday.isoformat(),
        "--to",
        (monday + timedelta(days=6)).isoformat(),
        "--capacity",
        "120",
    ]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "Created 3 session(s)" in first.output
    starts = db.session.scalars(select(Slot.starts_at).order_by(Slot.starts_at)).all()
    assert starts[0] == datetime.combine(monday, time(0, 0), tzinfo=UTC)  # 08:00 WITA
    assert [s.weekday() for s in starts] == [0, 2, 4]
    second = runner.invoke(args=args)
    assert second.exit_code == 0 and "Created 0 session(s)" in second.output


@pytest.mark.parametrize(
    ("position", "value", "message"),
    [
        (2, "tidak-ada", "No venue"),
        (3, "999999", "has no program"),
        (5, "mon,someday", "unknown weekday"),
        (7, "8 pagi", "not a time"),
        (11, "2027-02-30", "not a date"),
    ],
)
def test_generate_slots_cli_refuses_bad_input(runner, program, position, value, message):
    args = ["booking", "generate-slots", "sirkuit-mandalika", str(program.id), "--weekdays", "mon", "--start", "08:00"]
    args += ["--end", "10:00", "--from", "2027-02-01", "--to", "2027-02-28", "--capacity", "120"]
    args[position] = value
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and message in result.output
    assert db.session.scalar(select(func.count()).select_from(Slot)) == 0


# -- schools ----------------------------------------------------------------------------------


def test_staff_verify_schools_on_the_page(client, auth, factory):
    verified = school_user(verified=True, start=1)
    waiting = factory.user("school", npsn="50209999")
    page = client.get("/schools")
    assert page.status_code == 302  # log in first
    auth.login(factory.user("staff"))
    html = client.get("/schools").get_data(as_text=True)
    assert html.index('data-npsn="50209999"') < html.index(f'data-npsn="{verified.school.npsn}"')  # waiting first
    assert waiting.email in html
    token = csrf_token(client, "/schools")
    assert client.post("/schools/50209999/verify", data={"csrf_token": token}).status_code == 302
    school = db.session.scalar(select(School).where(School.npsn == "50209999"))
    assert school.verified_at is not None
    assert client.post("/schools/50209999/verify", data={"csrf_token": token}).status_code == 302  # harmless twice
    assert (
        db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "school.verify")) == 1
    )
    assert client.post("/schools/12345678/verify", data={"csrf_token": token}).status_code == 404
    assert "50209999" in client.get("/schools?q=5020999").get_data(as_text=True)


@pytest.mark.parametrize("role", ["school", "venue_manager", "creator"])
def test_only_staff_verify_schools(client, auth, factory, role):
    factory.user("school", npsn="50209999")
    auth.login(factory.user(role))
    assert client.get("/schools").status_code == 403
    token = csrf_token(client)
    assert client.post("/schools/50209999/verify", data={"csrf_token": token}).status_code == 403
    assert client.post("/api/v1/schools/50209999/verify", headers={"X-CSRFToken": token}).status_code == 403
    assert db.session.scalar(select(School.verified_at)) is None


def test_verify_school_api(client, runner, factory):
    staff = factory.user("staff")
    factory.user("school", npsn="50209999")
    token = runner.invoke(args=["create-token", staff.email]).output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    first = client.post("/api/v1/schools/50209999/verify", headers=headers)
    assert first.status_code == 200
    body = first.get_json()
    assert body["npsn"] == "50209999" and body["verified"] is True and body["changed"] is True
    assert body["verified_at"].endswith("Z")
    again = client.post("/api/v1/schools/50209999/verify", headers=headers).get_json()
    assert again["changed"] is False and again["verified_at"] == body["verified_at"]
    unknown = client.post("/api/v1/schools/12345678/verify", headers=headers)
    assert unknown.status_code == 404 and unknown.get_json()["error"] == "not_found"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "school.verify"))
    assert event.actor_id == staff.id and event.detail == {"npsn": "50209999"}
    assert client.post("/api/v1/schools/50209999/verify").status_code == 401


# -- JSON: venues ------------------------------------------------------------------------------


def test_venues_json_with_programs_and_rules(client, venue, program):
    make_program(venue, title="Program Lama", active=False)
    bike = make_venue(slug="meninting-bike-park", name="Meninting Bike Park")
    make_program(bike, title="Bersepeda Aman", levels="SD,SMP", requirements=["Helm sepeda"], price_per_student=0)
    body = client.get("/api/v1/venues").get_json()
    assert body["total"] == 2 and body["page"] == 1
    by_slug = {v["slug"]: v for v in body["items"]}
    circuit = by_slug["sirkuit-mandalika"]
    assert circuit["regency"]["slug"] == "lombok-tengah" and circuit["url"].endswith("/venues/sirkuit-mandalika")
    assert [p["title"] for p in circuit["programs"]] == [program.title]
    rules = circuit["programs"][0]
    assert rules["levels"] == ["SMP", "SMA", "SMK"] and rules["students_per_teacher"] == 15
    assert rules["min_students"] == 10 and rules["max_students"] == 40 and rules["price_per_student"] == 25000
    assert rules["requirements"] == ["Surat izin orang tua", "Sepatu tertutup"] and rules["duration_minutes"] == 120
    assert by_slug["meninting-bike-park"]["programs"][0]["levels"] == ["SD", "SMP"]
    assert client.get("/api/v1/venues?per_page=1&page=2").get_json()["items"][0]["slug"] == "sirkuit-mandalika"
    assert client.get("/api/v1/venues?page=0").status_code == 400


# -- demo data --------------------------------------------------------------------------------


def test_seed_demo_adds_programs_sessions_a_manager_and_a_verified_school(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    programs = db.session.scalars(select(Program).order_by(Program.title)).all()
    assert [(p.title, p.venue.slug) for p in programs] == [
        ("Bersepeda Aman", "meninting-bike-park"),
        ("Mengenal Teknologi Balap", "sirkuit-mandalika"),
    ]
    assert programs[0].level_set == {"SD", "SMP"} and "Helm sepeda" in programs[0].requirements
    assert programs[1].min_students == 30 and programs[1].max_students == 120 and programs[1].students_per_teacher == 15
    slots = db.session.scalar(select(func.count()).select_from(Slot))
    assert slots > 20
    last = db.session.scalar(select(func.max(Slot.starts_at)))
    assert last <= datetime.now(UTC) + timedelta(days=61)
    manager = db.session.scalar(select(User).where(User.email == "pengelola@demo.koin.test"))
    assert {v.slug for v in db.session.scalars(select(Venue)) if manager in v.managers} == {
        "sirkuit-mandalika",
        "meninting-bike-park",
    }
    assert db.session.scalar(select(School).where(School.npsn == "50201234")).verified_at is not None

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert db.session.scalar(select(func.count()).select_from(Program)) == 2
    assert db.session.scalar(select(func.count()).select_from(Slot)) == slots
    assert "0 added" in second.output
