"""``/api/v1/notices``: the caller's own notices, the same ones ``/my/notices`` shows."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from ..access import roles_required
from ..json_bodies import json_body
from ..localtime import iso_utc
from ..notifications.notices import RECIPIENT_ROLES, mark_read, notice_link, notice_text, notices_of, unread_count
from . import bp
from .helpers import page_envelope


def notice_json(notice) -> dict:
    return {
        "id": notice.id,
        "kind": notice.kind,
        "text": notice_text(notice),
        "asset_id": notice.asset_id,
        "url": notice_link(notice, external=True),
        "created_at": iso_utc(notice.created_at),
        "read_at": iso_utc(notice.read_at),
    }


@bp.get("/notices")
@roles_required(*RECIPIENT_ROLES)
def notices():
    """Listing reads nothing as read: a client marks them with ``POST /notices/read``."""
    return jsonify(page_envelope(notices_of(current_user), notice_json) | {"unread": unread_count(current_user)})


@bp.post("/notices/read")
@roles_required(*RECIPIENT_ROLES)
def notices_read():
    json_body()  # no fields, but a body that is not a JSON object is refused as everywhere (415/400)
    mark_read(current_user)
    return jsonify({"unread": unread_count(current_user)})
