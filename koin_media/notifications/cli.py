"""``flask --app wsgi send-digest``: the weekly download digest, now."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..database import writes_database
from . import digest


@click.command("send-digest")
@click.option(
    "--week",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Any day of the week to report, Monday to Sunday in WITA (default: last week).",
)
@with_appcontext
@writes_database
def send_digest_command(week):
    """Write the download digest of a finished week for each creator who has not had it (the
    worker does this every morning); the outbox delivers them."""
    try:
        report = digest.send_digests(week.date() if week else None)
    except digest.WeekNotOver:
        raise click.ClickException("That week is not over yet: its digest goes out once it is.") from None
    click.echo(
        f"Download digest for {report.week_start:%Y-%m-%d} to {report.week_end:%Y-%m-%d}: "
        f"{report.sent} sent, {report.already_sent} had it already."
    )
