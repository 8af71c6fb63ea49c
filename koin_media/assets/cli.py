"""``flask --app wsgi media …`` and ``flask --app wsgi storage …``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..database import writes_database
from ..extensions import db
from ..storage import StepReport, StorageError, get_storage
from . import search, services
from .crops import make_social_pictures, missing_social_pictures
from .duplicates import fingerprint_asset, missing_fingerprints
from .jobs import cleanup_storage
from .models import Asset
from .renditions import make_web_rendition, missing_web_renditions

media_cli = AppGroup("media", help="Media assets.")
storage_cli = AppGroup("storage", help="Object storage.")


@media_cli.command("reprocess")
@click.argument("asset_id", type=int)
@writes_database
def reprocess_command(asset_id):
    """Run processing of one asset again (a failed one, or one stuck in processing); for a
    processed video or audio without a web rendition, make only that rendition."""
    asset = db.session.get(Asset, asset_id)
    if asset is None:
        raise click.ClickException(f"No asset with id {asset_id}.")
    rendition_only = asset.needs_web_rendition
    try:
        services.reprocess(asset)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.refresh(asset)
    if rendition_only:
        click.echo(f"Asset {asset.id} queued for its web rendition (stays {asset.status}).")
    else:
        click.echo(f"Asset {asset.id} queued for processing (now {asset.status}).")


@media_cli.command("renditions")
@click.option("--missing", is_flag=True, help="Queue a web rendition for each processed video and audio lacking one.")
@writes_database
def renditions_command(missing):
    """Count the processed video and audio assets without a web rendition (their player shows
    only the poster); with --missing, queue the making of each."""
    asset_ids = missing_web_renditions()
    db.session.commit()  # hold no transaction while the jobs (inline in tests) write their rows
    if not missing:
        click.echo(f"{len(asset_ids)} video/audio asset(s) have no web rendition; --missing queues them.")
        return
    for asset_id in asset_ids:
        make_web_rendition(asset_id)
    click.echo(f"Queued web renditions for {len(asset_ids)} asset(s).")


@media_cli.command("crops")
@writes_database
def crops_command():
    """Queue the social media crops (photos) and the share picture (every kind) of each processed
    asset made before they existed, or whose making failed. Run once after upgrading."""
    asset_ids = missing_social_pictures()
    db.session.commit()  # hold no transaction while the jobs (inline in tests) write their rows
    for asset_id in asset_ids:
        make_social_pictures(asset_id)
    click.echo(f"Queued social media formats for {len(asset_ids)} asset(s).")


@media_cli.command("fingerprints")
@writes_database
def fingerprints_command():
    """Queue a job per processed asset without fingerprints (processed before they were taken):
    each hashes the stored original, then records the asset's duplicates."""
    asset_ids = missing_fingerprints()
    db.session.commit()  # hold no transaction while the jobs (inline in tests) write their rows
    for asset_id in asset_ids:
        fingerprint_asset(asset_id)
    click.echo(f"Queued fingerprints for {len(asset_ids)} asset(s).")


@media_cli.command("reindex")
@click.option("--batch-size", default=5000, show_default=True, help="Assets read and written per statement.")
@writes_database
def reindex_command(batch_size):
    """Rebuild the search index from every asset (after an import, or a change of how words
    and stems are indexed), in one transaction: searches see the old index until it commits."""
    if batch_size < 1:
        raise click.BadParameter("must be at least 1", param_hint="--batch-size")
    count = search.rebuild(batch_size=batch_size)
    db.session.commit()
    click.echo(f"Indexed {count} asset(s) for search.")


@storage_cli.command("init")
@click.option("--origin", "origins", multiple=True, help="Site origin allowed by CORS (default: KOIN_PUBLIC_URL).")
def storage_init_command(origins):
    """Create the bucket if missing, with a CORS rule for the site and a lifecycle rule that
    aborts unfinished multipart uploads. What the store does not support is a warning; the
    exit code is non-zero only when a step failed."""
    try:
        reports = get_storage().ensure_ready(list(origins) or [current_app.config["PUBLIC_URL"]])
    except StorageError as exc:  # the local backend stops at its first folder it cannot make
        reports = [StepReport("storage", f"storage: {exc.__class__.__name__}: {exc}", "failed")]
    _echo_reports(reports)


@storage_cli.command("cleanup")
@writes_database
def storage_cleanup_command():
    """Abort multipart uploads older than a day and delete objects that no asset owns."""
    result = cleanup_storage()
    click.echo(
        f"Aborted {result['aborted_uploads']} unfinished upload(s), removed files of "
        f"{result['orphaned_assets']} deleted asset(s), requeued {result['requeued']} stuck asset(s)."
    )
    _echo_reports(result["reports"])


def _echo_reports(reports: list[StepReport]) -> None:
    for report in reports:
        click.echo(str(report), err=report.outcome != "done")
    failed = [report.step for report in reports if report.outcome == "failed"]
    if failed:
        raise click.ClickException(f"{len(failed)} step(s) failed: {', '.join(failed)}.")
