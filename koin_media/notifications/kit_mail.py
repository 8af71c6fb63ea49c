"""What a kit's owner hears when the worker has built it, or given up: an e-mail in their
language with the link, and a notice on the site for those who get notices (businesses).

Receiver of ``promo.signals.kit_ready`` and ``kit_failed``, writing both inside the job's
transaction, so they exist exactly when the kit's new status does.
"""

from __future__ import annotations

from ..promo.signals import kit_failed, kit_ready
from ..sitelinks import site_link
from .models import KIT_FAILED, KIT_READY
from .notices import add_notice, receives_notices
from .outbox import add, recipient_locale, render


def _tell(kit, kind: str) -> None:
    user = kit.user
    if receives_notices(user):
        add_notice(user, kind, title=kit.title, token=kit.token)
    if not user.active:
        return  # a deactivated account gets no mail
    locale = recipient_locale(user)
    subject, body = render(
        kind,
        locale,
        recipient=user,
        kit=kit,
        kit_url=site_link("promo.kit_page", token=kit.token),
    )
    add(kind, user, subject, body, locale=locale)


def on_kit_ready(kit, **_extra) -> None:
    _tell(kit, KIT_READY)


def on_kit_failed(kit, **_extra) -> None:
    _tell(kit, KIT_FAILED)


def connect() -> None:
    """Listen to the kit signals (called by the package's ``init_app``)."""
    kit_ready.connect(on_kit_ready)
    kit_failed.connect(on_kit_failed)
