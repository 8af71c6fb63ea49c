"""JSON shapes that more than one API module answers with (route modules never import each
other: only create_app imports them)."""

from __future__ import annotations

from flask import url_for

from ..assets.links import inline_url
from ..localtime import iso_utc


def asset_summary_json(asset) -> dict:
    """An asset as lists show it (the catalogue, a call's contributions): an ``Asset`` or a
    catalogue ``Card``, which carry the same fields."""
    return {
        "id": asset.id,
        "title": asset.title,
        "kind": asset.kind,
        "status": asset.status,
        "community": asset.community.slug if asset.community else None,
        "regency": asset.regency.slug if asset.regency else None,
        "venue": asset.venue.slug if asset.venue else None,
        "license": asset.license,
        "tags": asset.tag_list,
        "download_count": asset.download_count,
        "approved_at": iso_utc(asset.approved_at),
        "url": url_for("assets.show", asset_id=asset.id, _external=True),
        "thumbnail": inline_url(asset.thumb_key, "image/jpeg") if asset.thumb_key else None,
    }


def user_json(user) -> dict:
    data = {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "locale": user.locale or "id",
        "email_verified": user.email_verified,
        "created_at": iso_utc(user.created_at),
    }
    if user.community:
        data["community"] = {"slug": user.community.slug, "name": user.community.name}
    if user.business_name:
        data["business_name"] = user.business_name
        data["sector"] = user.sector
    if user.regency:
        data["regency"] = {"slug": user.regency.slug, "name": user.regency.name}
    if user.school:
        data["school"] = {
            "npsn": user.school.npsn,
            "name": user.school.name,
            "verified": user.school.is_verified,
            # pending or rejected: the account does not act for the school (see /account)
            "coordinator_status": user.coordinator_status,
        }
    return data
