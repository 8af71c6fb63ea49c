"""The notices page: ``/my/notices``, one's own notices, newest first. Only the roles notices
are written for (``notices.RECIPIENT_ROLES``: creators, and businesses whose downloads' usage
period ended) get the page, its link and the count it costs on every page.

Opening a page of notices marks the ones it shows as read (they still look new on that view);
"mark all as read" clears the rest. The count of unread ones is the navigation's badge."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from ..access import nav_count, roles_required
from ..extensions import db
from ..validators import page_number, whole_number
from . import bp
from .notices import RECIPIENT_ROLES, mark_read, newest_id, notice_link, notice_text, notices_of, unread_count

PER_PAGE = 20


class NoticeRow(NamedTuple):
    id: int
    kind: str
    text: str
    link: str | None
    created_at: datetime
    unread: bool


@bp.get("/my/notices")
@roles_required(*RECIPIENT_ROLES)
@nav_count(unread_count)
def notices():
    page = db.paginate(
        notices_of(current_user),
        per_page=PER_PAGE,
        max_per_page=PER_PAGE,
        error_out=False,
        page=page_number(request.args.get("page")),
    )
    rows = [
        NoticeRow(n.id, n.kind, notice_text(n), notice_link(n), n.created_at, n.read_at is None) for n in page.items
    ]
    mark_read(current_user, ids=[row.id for row in rows if row.unread])
    # End the page's read so the badge counts what is unread after this view, on SQLite too
    # (its snapshot would still see the notices just marked).
    db.session.rollback()
    return render_template("notifications/notices.html", page=page, rows=rows, newest_id=newest_id(current_user))


@bp.post("/my/notices/read")
@roles_required(*RECIPIENT_ROLES)
def mark_all_read():
    """Every unread notice up to the newest one the page knew of (``up_to``): one that arrived
    since stays unread, so nothing is marked that the reader never had the chance to see."""
    mark_read(current_user, up_to=whole_number(request.form.get("up_to")))
    return redirect(url_for("notifications.notices"), 303)
