"""What people hear when an asset's usage rights end (assets/rights.py).

Receivers of ``assets.signals.rights_ending`` and ``rights_ended``, writing mails (outbox) and
notices inside the job's transaction, so they exist exactly when the warning is claimed or the
asset has expired. Each mail is in its recipient's language; a deactivated account gets none.

- the warning, RIGHTS_WARNING_DAYS ahead: the owner (mail and notice) and every staff member (mail);
- the date passed: the owner (mail and notice: it left the catalogue), and every user who
  downloaded it (mail, and a notice where their role reads notices) asking them to start no new
  use of it after that date.
"""

from __future__ import annotations

from sqlalchemy import select

from ..accounts.models import User
from ..assets.signals import rights_ended, rights_ending
from ..extensions import db
from ..roles import STAFF
from ..sitelinks import site_link
from .models import RIGHTS_ENDED, RIGHTS_ENDED_USER, RIGHTS_WARNING
from .notices import add_notice, receives_notices
from .outbox import add, recipient_locale, render


def _mail(kind: str, user: User, **context) -> None:
    if not user.active:
        return
    locale = recipient_locale(user)
    subject, body = render(kind, locale, recipient=user, **context)
    add(kind, user, subject, body, locale=locale)


def _title(asset) -> str:
    return asset.title or asset.original_filename


def on_rights_ending(asset, ends_on, **_extra) -> None:
    owner, title = asset.owner, _title(asset)
    context = {"title": title, "ends_on": ends_on, "edit_url": site_link("assets.edit", asset_id=asset.id)}
    add_notice(owner, RIGHTS_WARNING, asset, title=title, ends_on=ends_on.isoformat())
    _mail(RIGHTS_WARNING, owner, staff=False, **context)
    staff = db.session.scalars(select(User).where(User.role == STAFF, User.active.is_(True)).order_by(User.id))
    for member in staff:
        if member.id != owner.id:
            _mail(RIGHTS_WARNING, member, staff=True, owner_name=owner.name, **context)


def on_rights_ended(asset, ended_on, downloaders=(), **_extra) -> None:
    owner, title = asset.owner, _title(asset)
    add_notice(owner, RIGHTS_ENDED, asset, title=title, ended_on=ended_on.isoformat())
    _mail(RIGHTS_ENDED, owner, title=title, ended_on=ended_on, edit_url=site_link("assets.edit", asset_id=asset.id))
    if not downloaders:
        return
    downloads_url = site_link("assets.my_downloads")
    for user in db.session.scalars(select(User).where(User.id.in_(list(downloaders))).order_by(User.id)):
        if receives_notices(user):
            add_notice(user, RIGHTS_ENDED_USER, asset, title=title, ended_on=ended_on.isoformat())
        _mail(
            RIGHTS_ENDED_USER,
            user,
            title=title,
            ended_on=ended_on,
            credit_line=asset.credit_line if asset.license else "",
            downloads_url=downloads_url,
        )


def connect() -> None:
    """Listen to the rights signals (called by the package's ``init_app``)."""
    rights_ending.connect(on_rights_ending)
    rights_ended.connect(on_rights_ended)
