"""``flask --app wsgi schools …``: the national school reference from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ..database import writes_database
from .school_import import SNAPSHOT_MAX, UnreadableFile, import_schools

schools_cli = AppGroup("schools", help="The national school reference (Dapodik / Kemdikbud snapshot).")

SEPARATOR_NAMES = {";": "semicolon", ",": "comma", "\t": "tab"}


@schools_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option(
    "--snapshot",
    help=f"A label for this snapshot, e.g. “Dapodik NTB 2026-11” (default: the file's name; at most {SNAPSHOT_MAX}).",
)
@click.option("--dry-run", is_flag=True, help="Read and compare everything, write nothing.")
@click.option(
    "--max-listed",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Rejected rows listed one per line (0: all); the summary counts every one.",
)
@writes_database
def import_command(file, snapshot, dry_run, max_listed):
    """Load or update schools from a CSV export of the national reference.

    Columns (header names as Dapodik or referensi.data.kemdikbud.go.id write them): NPSN, name
    (Nama Sekolah), level (Bentuk Pendidikan: SD, SMP, SMA, SMK, MI, MTs, MA, MAK, …), regency
    (Kabupaten/Kota: “Kab. Lombok Barat”, “KOTA MATARAM”) and, optionally, address (Alamat, at
    most 255 characters; a file without the column leaves stored addresses as they are).
    UTF-8, separated by semicolons, commas or tabs. Changed rows are updated, unchanged rows
    are left alone, rows of pre-schools and other levels KOIN does not serve are skipped, and
    rows that cannot be used are listed with their line and reason. Safe to run again.
    """
    listed = 0

    def reject(line: int, reason: str, value: str) -> None:
        nonlocal listed
        listed += 1
        if not max_listed or listed <= max_listed:
            click.echo(f"line {line}: {reason}" + (f": {value}" if value else ""), err=True)

    if snapshot is not None and not 0 < len(snapshot.strip()) <= SNAPSHOT_MAX:
        raise click.BadParameter(f"give a label of 1 to {SNAPSHOT_MAX} characters", param_hint="--snapshot")
    label = " ".join((snapshot or file.name).split())[:SNAPSHOT_MAX]
    try:
        report = import_schools(file, label, dry_run=dry_run, reject=reject)
    except UnreadableFile as error:
        raise click.ClickException(f"{file}: {error}") from None
    if max_listed and listed > max_listed:
        click.echo(f"… and {listed - max_listed} more rejected row(s) not listed (--max-listed 0 lists all).", err=True)
    separator = SEPARATOR_NAMES[report.separator]
    click.echo(f"Read {report.rows} row(s) of {file.name} ({separator}-separated) as snapshot “{label}”.")
    click.echo(
        f"Added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"rejected {report.rejected_total}, skipped {report.skipped_total}."
    )
    if report.rejected:
        click.echo("Rejected: " + "; ".join(f"{reason} ({count})" for reason, count in report.rejected.most_common()))
    if report.skipped:
        levels = ", ".join(f"{level} {count}" for level, count in report.skipped.most_common())
        click.echo(f"Skipped (levels KOIN does not book visits for): {levels}.")
    if dry_run:
        click.echo("Dry run: nothing was written.")
