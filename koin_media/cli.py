"""Command-line tools: ``flask --app wsgi <command>``."""

from __future__ import annotations

import secrets
import sys
from datetime import time, timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from .accounts import services as accounts
from .accounts.models import COORDINATOR_APPROVED, School, User
from .assets.cli import media_cli, storage_cli
from .assets.demo import DEMO_MEDIA, seed_demo_media
from .booking import schedule
from .booking.cli import booking_cli
from .booking.models import Program
from .database import utcnow, writes_database
from .extensions import db
from .localtime import local_today
from .notifications.cli import send_digest_command
from .reference.cli import schools_cli
from .reference.models import Community, Regency
from .reference.school_import import SAMPLE_FILE, SAMPLE_SNAPSHOT, import_schools
from .reference.services import ensure_reference_data
from .roles import CREATOR, ROLES, STAFF
from .venues.models import Venue


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.ClickException("A password needs at least 8 characters.")
    return password


def _user_or_fail(email: str) -> User:
    user = accounts.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the e-mail {email}.")
    return user


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="The account's role.")
@click.option("--name", help="Display name (default: the part of the e-mail before @).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
@writes_database
def create_user_command(email, role, name, password_stdin):
    """Create an account of any role, e.g. staff, venue_manager or admin."""
    password = _read_password(password_stdin)
    try:
        user = accounts.create_user(email, password, role, name)
    except accounts.EmailTaken:
        raise click.ClickException(f"An account with the e-mail {email} already exists.") from None
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@click.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
@writes_database
def set_password_command(email, password_stdin):
    """Set a new password for an account (ends all its sessions and API tokens)."""
    user = _user_or_fail(email)
    accounts.change_password(user, _read_password(password_stdin))
    click.echo(f"Password changed for {user.email}.")


@click.command("create-token")
@click.argument("email")
@click.option("--label", default="cli", show_default=True, help="A name to recognise the token by.")
@with_appcontext
@writes_database
def create_token_command(email, label):
    """Print a new bearer token for the JSON API (shown once, stored hashed)."""
    user = _user_or_fail(email)
    _token, plain = accounts.create_token(user, label)
    click.echo(plain)


@click.command("revoke-tokens")
@click.argument("email")
@with_appcontext
@writes_database
def revoke_tokens_command(email):
    """Revoke every bearer token of an account."""
    user = _user_or_fail(email)
    active = [t for t in accounts.tokens_of(user) if t.revoked_at is None]
    for token in active:
        accounts.revoke_token(token)
    click.echo(f"Revoked {len(active)} token(s) of {user.email}.")


DEMO_USERS = (
    ("creator", "kreator@demo.koin.test", "Baiq Kreator", {"community": "lombok-phonegraphy"}),
    (
        "ikm",
        "ikm@demo.koin.test",
        "Lalu IKM",
        {"business_name": "Kopi Sembalun Lestari", "sector": "coffee", "regency": "lombok-timur"},
    ),
    (
        "school",
        "sekolah@demo.koin.test",
        "Ibu Guru Demo",
        {"school_name": "SMPN 2 Mataram", "npsn": "50201234", "regency": "kota-mataram"},
    ),
    ("venue_manager", "pengelola@demo.koin.test", "Pengelola Venue", {}),
    ("staff", "staf@demo.koin.test", "Staf Disperin", {}),
    ("admin", "admin@demo.koin.test", "Admin KOIN", {}),
)


def _demo_profile(user: User, profile: dict) -> None:
    if "community" in profile:
        user.community = db.session.scalar(select(Community).where(Community.slug == profile["community"]))
    if "regency" in profile:
        user.regency = db.session.scalar(select(Regency).where(Regency.slug == profile["regency"]))
    if "business_name" in profile:
        user.business_name, user.sector = profile["business_name"], profile["sector"]
    if "npsn" in profile:
        school = db.session.scalar(select(School).where(School.npsn == profile["npsn"]))
        user.join_school(school or School(npsn=profile["npsn"], name=profile["school_name"], regency=user.regency))


@click.command("seed-demo")
@click.option("--no-users", is_flag=True, help="Load only the reference data, no demo accounts (nor media).")
@click.option("--no-media", is_flag=True, help="Leave out the demo media.")
@with_appcontext
@writes_database
def seed_demo_command(no_users, no_media):
    """Load the regencies and communities, one demo account per role, and demo media made on
    the spot and processed like any upload (development only).

    Safe to run again: what exists is left alone, and passwords are printed only when an
    account is created.
    """
    added = ensure_reference_data()
    click.echo(f"Reference data: {added['regencies']} regencies and {added['communities']} communities added.")
    sample = import_schools(SAMPLE_FILE, SAMPLE_SNAPSHOT)
    click.echo(f"School reference (a made-up SAMPLE, not the real data): {sample.added} schools added.")
    click.echo(f"Venues: {_seed_venues()} added.")
    programs, slots = _seed_programs()
    click.echo(f"Programs: {programs} added; sessions for the next {DEMO_SLOT_DAYS} days: {slots} added.")
    if no_users:
        return
    # The accounts are listed last (make run serves right after): a password shown once must
    # not scroll away above the media lines.
    account_lines = []
    for role, email, name, profile in DEMO_USERS:
        if accounts.find_user_by_email(email) is not None:
            reset = f"flask --app wsgi set-password {email}"
            account_lines.append(f"  {role:<14} {email:<28} (exists; reset with: {reset})")
            continue
        password = secrets.token_urlsafe(9)
        user = User(email=email, name=name, role=role, email_verified_at=utcnow())  # typed by the operator
        user.set_password(password)
        _demo_profile(user, profile)
        db.session.add(user)
        db.session.commit()
        account_lines.append(f"  {role:<14} {email:<28} password: {password}")
    _link_demo_users()
    if not no_media:
        _seed_media()
    click.echo("Demo accounts (a password is shown once, when its account is made):")
    click.echo("\n".join(account_lines))


def _seed_media() -> None:
    """The demo media, uploaded by the demo creator and approved by the demo staff account."""
    creator = accounts.find_user_by_email("kreator@demo.koin.test")
    reviewer = accounts.find_user_by_email("staf@demo.koin.test")
    if creator is None or creator.role != CREATOR or reviewer is None or not reviewer.has_role(STAFF):
        click.echo("Demo media: skipped (the demo creator and staff accounts are needed).")
        return
    added = seed_demo_media(creator, reviewer, click.echo)
    click.echo(f"Demo media: {added} added ({len(DEMO_MEDIA)} in the demo), processed and published.")


DEMO_VENUES = (
    (
        "sirkuit-mandalika",
        "Pertamina Mandalika International Circuit",
        "lombok-tengah",
        "Kawasan Ekonomi Khusus Mandalika, Kuta, Pujut, Lombok Tengah",
        "Sirkuit balap internasional di Kawasan Mandalika. Kunjungan edukasi mengenal teknologi balap, "
        "keselamatan, dan pariwisata olahraga.",
        "International racing circuit in the Mandalika zone. Educational visits on racing technology, "
        "safety and sports tourism.",
    ),
    (
        "meninting-bike-park",
        "Meninting Bike Park",
        "lombok-barat",
        "Meninting, Batu Layar, Lombok Barat",
        "Taman sepeda dengan lintasan pumptrack dan trail. Kunjungan edukasi tentang bersepeda aman dan hidup sehat.",
        "Bike park with pump track and trails. Educational visits on safe cycling and healthy living.",
    ),
)


def _seed_venues() -> int:
    existing = set(db.session.scalars(select(Venue.slug)))
    added = 0
    for slug, name, regency, address, text_id, text_en in DEMO_VENUES:
        if slug in existing:
            continue
        regency_row = db.session.scalar(select(Regency).where(Regency.slug == regency))
        db.session.add(
            Venue(
                slug=slug,
                name=name,
                regency=regency_row,
                address=address,
                description_id=text_id,
                description_en=text_en,
            )
        )
        added += 1
    db.session.commit()
    return added


# Programs of the demo venues, each with the weekly pattern its sessions follow (WITA).
DEMO_PROGRAMS = (
    {
        "venue": "sirkuit-mandalika",
        "title": "Mengenal Teknologi Balap",
        "description": "Tur paddock, pit lane dan ruang kontrol balap: bagaimana mesin, ban dan telemetri bekerja, "
        "serta keselamatan di lintasan.",
        "duration_minutes": 120,
        "min_students": 30,
        "max_students": 120,
        "students_per_teacher": 15,
        "levels": ("SMP", "SMA", "SMK"),
        "requirements": ["Surat izin orang tua", "Sepatu tertutup", "Tanda pengenal sekolah"],
        "price_per_student": 25_000,
        "pattern": {"weekdays": (1, 3), "start": (8, 0), "end": (10, 0), "capacity": 130},
    },
    {
        "venue": "meninting-bike-park",
        "title": "Bersepeda Aman",
        "description": "Latihan bersepeda aman di pumptrack: rambu, pengereman, menjaga jarak, dan merawat sepeda.",
        "duration_minutes": 90,
        "min_students": 20,
        "max_students": 60,
        "students_per_teacher": 10,
        "levels": ("SD", "SMP"),
        "requirements": ["Helm sepeda", "Sepatu tertutup", "Surat izin orang tua"],
        "price_per_student": 0,
        "pattern": {"weekdays": (2, 4, 5), "start": (8, 0), "end": (9, 30), "capacity": 66},
    },
)
DEMO_SLOT_DAYS = 60


def _seed_programs() -> tuple[int, int]:
    """The demo programs (once) and their sessions for the next days (only the missing ones)."""
    programs_added = slots_added = 0
    today = local_today()
    for spec in DEMO_PROGRAMS:
        venue = db.session.scalar(select(Venue).where(Venue.slug == spec["venue"]))
        if venue is None:
            continue
        program = db.session.scalar(select(Program).where(Program.venue_id == venue.id, Program.title == spec["title"]))
        if program is None:
            fields = {k: v for k, v in spec.items() if k not in ("venue", "levels", "pattern")}
            program = Program(venue_id=venue.id, **fields)
            program.level_set = spec["levels"]
            db.session.add(program)
            db.session.commit()
            programs_added += 1
        pattern = spec["pattern"]
        slots_added += len(
            schedule.generate_slots(
                program,
                pattern["weekdays"],
                time(*pattern["start"]),
                time(*pattern["end"]),
                today,
                today + timedelta(days=DEMO_SLOT_DAYS),
                pattern["capacity"],
            )
        )
    return programs_added, slots_added


def _link_demo_users() -> None:
    """The demo venue manager runs both demo venues; the demo school is verified, teaches SMP
    (unless someone recorded its levels) and its demo coordinator is approved, so that the demo
    can book and asking for an SMA program shows the level warning."""
    manager = accounts.find_user_by_email("pengelola@demo.koin.test")
    if manager is not None and manager.role == "venue_manager":
        for venue in db.session.scalars(select(Venue).where(Venue.slug.in_([v[0] for v in DEMO_VENUES]))):
            if manager not in venue.managers:
                venue.managers.append(manager)
    school = db.session.scalar(select(School).where(School.npsn == "50201234"))
    if school is not None and school.verified_at is None:
        school.verified_at = utcnow()
    if school is not None and not school.levels:
        school.level_set = {"SMP"}  # SMPN 2 Mataram: a lower secondary school
    coordinator = accounts.find_user_by_email("sekolah@demo.koin.test")
    if coordinator is not None and school is not None and coordinator.school_id == school.id:
        if coordinator.coordinator_status != COORDINATOR_APPROVED:
            coordinator.coordinator_status, coordinator.coordinator_decided_at = COORDINATOR_APPROVED, utcnow()
    db.session.commit()


def init_app(app) -> None:
    app.cli.add_command(booking_cli)
    app.cli.add_command(schools_cli)

    app.cli.add_command(media_cli)
    app.cli.add_command(storage_cli)
    for command in (
        create_user_command,
        set_password_command,
        create_token_command,
        revoke_tokens_command,
        seed_demo_command,
        send_digest_command,
    ):
        app.cli.add_command(command)
