"""What a creator hears when staff decide on their asset: a notice on the site and an e-mail.

Receiver of ``assets.signals.asset_reviewed``, writing both inside the service's transaction
like ``booking_mail``, so they exist exactly when the decision does. The mail is in the
creator's language, with the title, a link to the asset and, for a rejection, the reason.
"""

from __future__ import annotations

from ..assets.signals import asset_reviewed
from ..sitelinks import site_link
from .models import ASSET_APPROVED, ASSET_REJECTED
from .notices import add_notice
from .outbox import add, recipient_locale, render

KIND_OF_ACTION = {"approved": ASSET_APPROVED, "rejected": ASSET_REJECTED}


def on_asset_reviewed(asset, action: str, actor=None, reason: str | None = None, edit: bool = False, **_extra) -> None:
    kind = KIND_OF_ACTION.get(action)
    if kind is None:
        return
    owner = asset.owner
    title = asset.title or asset.original_filename
    # ``edit``: the decision was on changes to a published asset, which stays published.
    add_notice(owner, kind, asset, title=title, reason=reason or None, edit=bool(edit))
    if not owner.active:
        return  # a deactivated account gets no mail; the notice waits should it come back
    locale = recipient_locale(owner)
    subject, body = render(
        kind,
        locale,
        recipient=owner,
        title=title,
        reason=reason or "",
        edit=bool(edit),
        asset_url=site_link("assets.show", asset_id=asset.id),
        notices_url=site_link("notifications.notices"),
    )
    add(kind, owner, subject, body, locale=locale)


def connect() -> None:
    """Listen to the asset signal (called by the package's ``init_app``)."""
    asset_reviewed.connect(on_asset_reviewed)
