"""On-site notices: written in the transaction of the change they report, read on
``/my/notices`` and ``GET /api/v1/notices``, counted in the navigation.

A notice keeps its kind and parameters; its text is made when it is read, in the reader's
language of the moment (``notice_text``).
"""

from __future__ import annotations

from datetime import date, datetime

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..database import utcnow, write_bookkeeping
from ..extensions import db
from ..i18n import wita_date
from ..roles import CREATOR, IKM
from .models import (
    ASSET_APPROVED,
    ASSET_REJECTED,
    KIT_FAILED,
    KIT_READY,
    RIGHTS_ENDED,
    RIGHTS_ENDED_USER,
    RIGHTS_WARNING,
    Notice,
)

# The roles notices are written for, and so the only ones whose pages (and navigation) count
# them: creators (decisions on their media, its usage rights) and businesses (the usage period
# of media they downloaded ended). Nobody else gets a notices page, nor a count query per page.
RECIPIENT_ROLES = (CREATOR, IKM)


def receives_notices(user) -> bool:
    return user.role in RECIPIENT_ROLES


def add_notice(user, kind: str, asset=None, now: datetime | None = None, **params) -> Notice:
    """Add a notice for ``user`` to the current transaction; the caller commits."""
    notice = Notice(
        user_id=user.id,
        kind=kind,
        asset_id=getattr(asset, "id", None),
        params=params,
        created_at=now or utcnow(),
    )
    db.session.add(notice)
    return notice


def notices_of(user):
    """The select of ``user``'s notices, newest first: nobody else's, whoever asks."""
    return select(Notice).where(Notice.user_id == user.id).order_by(Notice.created_at.desc(), Notice.id.desc())


def unread_count(user) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None))
    )


def newest_id(user) -> int | None:
    """The id of ``user``'s newest notice: what "mark all as read" may reach (``mark_read``)."""
    return db.session.scalar(select(func.max(Notice.id)).where(Notice.user_id == user.id))


def mark_read(user, ids: list[int] | None = None, up_to: int | None = None, now: datetime | None = None) -> None:
    """Mark ``user``'s unread notices read: those in ``ids``, or all of them (up to the notice
    ``up_to``, the newest the reader saw, so one that arrived since stays unread).

    Through ``write_bookkeeping``: on a page view (GET) the write takes a short transaction of
    its own and the page keeps its read; on a POST it is the view's own transaction."""
    if ids is not None and not ids:
        return
    statement = update(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None))
    if ids is not None:
        statement = statement.where(Notice.id.in_(ids))
    if up_to is not None:
        statement = statement.where(Notice.id <= up_to)
    write_bookkeeping(db.session, statement.values(read_at=now or utcnow()))


def notice_text(notice: Notice) -> str:
    """What the notice says, in the current language."""
    params = notice.params or {}
    title = params.get("title") or "—"
    reason = params.get("reason") or "—"
    if notice.kind == ASSET_APPROVED and params.get("edit"):
        return _("Your changes to “%(title)s” are approved and published.", title=title)
    if notice.kind == ASSET_APPROVED:
        return _("“%(title)s” is published: it is in the catalogue for everyone to find.", title=title)
    if notice.kind == ASSET_REJECTED and params.get("edit"):
        return _(
            "Your changes to “%(title)s” were not accepted; the published version stays. Reason: %(reason)s",
            title=title,
            reason=reason,
        )
    if notice.kind == ASSET_REJECTED:
        return _("“%(title)s” was not published. Reason: %(reason)s", title=title, reason=reason)
    if notice.kind in (RIGHTS_WARNING, RIGHTS_ENDED, RIGHTS_ENDED_USER):
        return _rights_text(notice.kind, title, params)
    if notice.kind == KIT_READY:
        return _("Your promo kit “%(title)s” is ready to download.", title=title)
    if notice.kind == KIT_FAILED:
        return _("Your promo kit “%(title)s” could not be made. Open it to try again.", title=title)
    return notice.kind


def _rights_text(kind: str, title: str, params: dict) -> str:
    day = wita_date(date.fromisoformat(params.get("ends_on") or params.get("ended_on")))
    if kind == RIGHTS_WARNING:
        return _(
            "“%(title)s” may be used until %(day)s. After that day it leaves the catalogue; to keep it, "
            "give it a later date (checked by the office).",
            title=title,
            day=day,
        )
    if kind == RIGHTS_ENDED:
        return _("The usage period of “%(title)s” ended on %(day)s: it has left the catalogue.", title=title, day=day)
    return _(
        "The usage period of “%(title)s”, which you downloaded, ended on %(day)s. Please start no new use of it.",
        title=title,
        day=day,
    )


def notice_link(notice: Notice, external: bool = False) -> str | None:
    """Where the notice leads (its asset's page), None once the asset is deleted."""
    if notice.kind in (KIT_READY, KIT_FAILED):  # about a kit, not an asset: its own page
        return url_for("promo.kit_page", token=(notice.params or {}).get("token", ""), _external=external)
    if notice.kind == RIGHTS_ENDED_USER:  # the asset's page is gone for them; their copy is not
        return url_for("assets.my_downloads", _external=external)
    if notice.asset_id is None:
        return None
    return url_for("assets.show", asset_id=notice.asset_id, _external=external)
