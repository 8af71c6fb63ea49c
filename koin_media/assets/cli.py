"""``flask --app wsgi media …`` and ``flask --app wsgi storage …``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..database import writes_database
from ..extensions import db
from ..storage import get_storage
from . import services
from .jobs import cleanup_storage
from .models import Asset

media_cli = AppGroup("media", help="Media assets.")
storage_cli = AppGroup("storage", help="Object storage.")


@media_cli.command("reprocess")
@click.argument("asset_id", type=int)
@writes_database
def reprocess_command(asset_id):
    """Run processing of one asset again (a failed one, or one stuck in processing)."""
    asset = db.session.get(Asset, asset_id)
    if asset is None:
        raise click.ClickException(f"No asset with id {asset_id}.")
    try:
        services.reprocess(asset)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.refresh(asset)
    click.echo(f"Asset {asset.id} queued for processing (now {asset.status}).")


@storage_cli.command("init")
@click.option("--origin", "origins", multiple=True, help="Site origin allowed by CORS (default: KOIN_PUBLIC_URL).")
def storage_init_command(origins):
    """Create the bucket if missing, with a CORS rule for the site and a lifecycle rule that
    aborts unfinished multipart uploads."""
    for line in get_storage().ensure_ready(list(origins) or [current_app.config["PUBLIC_URL"]]):
        click.echo(line)


@storage_cli.command("cleanup")
@writes_database
def storage_cleanup_command():
    """Abort multipart uploads older than a day and delete objects that no asset owns."""
    result = cleanup_storage()
    click.echo(
        f"Aborted {result['aborted_uploads']} unfinished upload(s), removed files of "
        f"{result['orphaned_assets']} deleted asset(s), requeued {result['requeued']} stuck asset(s)."
    )
