"""JSON shapes that more than one API module answers with (route modules never import each
other: only create_app imports them)."""

from __future__ import annotations

from ..localtime import iso_utc


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
