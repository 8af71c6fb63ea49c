"""``flask --app wsgi booking …``: slot generation from the command line."""

from __future__ import annotations

from datetime import date, time

import click
from flask.cli import AppGroup

from ..database import writes_database
from ..extensions import db
from ..venues.services import venue_by_slug
from . import schedule
from .models import Program

booking_cli = AppGroup("booking", help="Eduwisata bookings: venues' sessions.")

WEEKDAY_NAMES = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    # Indonesian: senin, selasa, rabu, kamis, jumat, sabtu, minggu
    "sen": 0, "sel": 1, "rab": 2, "kam": 3, "jum": 4, "sab": 5, "min": 6,
}  # fmt: skip


def parse_weekdays(value: str) -> list[int]:
    days = set()
    for part in (value or "").split(","):
        name = part.strip().lower()[:3]
        if name not in WEEKDAY_NAMES:
            raise click.BadParameter(f"unknown weekday {part.strip()!r}; use mon,tue,wed,thu,fri,sat,sun")
        days.add(WEEKDAY_NAMES[name])
    return sorted(days)


def _time(value: str, name: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time like 08:00", param_hint=name) from None


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-12-01", param_hint=name) from None


@booking_cli.command("generate-slots")
@click.argument("venue_slug")
@click.argument("program_id", type=int)
@click.option("--weekdays", required=True, help="Comma-separated: mon,tue,wed,thu,fri,sat,sun.")
@click.option("--start", "start", required=True, help="Start time in WITA, e.g. 08:00.")
@click.option("--end", "end", required=True, help="End time in WITA, e.g. 10:00.")
@click.option("--from", "date_from", required=True, help="First day, YYYY-MM-DD (WITA).")
@click.option("--to", "date_to", required=True, help="Last day, YYYY-MM-DD (WITA), inclusive.")
@click.option("--capacity", type=click.IntRange(min=1), required=True, help="Places per session (students + teachers).")
@writes_database
def generate_slots_command(venue_slug, program_id, weekdays, start, end, date_from, date_to, capacity):
    """Create a program's sessions from a weekly pattern (times in WITA). Safe to repeat:
    sessions that exist, lie in the past or fall in a closure are skipped."""
    venue = venue_by_slug(venue_slug)
    if venue is None:
        raise click.ClickException(f"No venue with the slug {venue_slug}.")
    program = db.session.get(Program, program_id)
    if program is None or program.venue_id != venue.id:
        raise click.ClickException(f"Venue {venue_slug} has no program {program_id}.")
    try:
        created = schedule.generate_slots(
            program,
            parse_weekdays(weekdays),
            _time(start, "--start"),
            _time(end, "--end"),
            _date(date_from, "--from"),
            _date(date_to, "--to"),
            capacity,
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {len(created)} session(s) of “{program.title}” at {venue.name}.")
