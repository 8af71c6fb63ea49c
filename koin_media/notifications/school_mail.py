"""Who hears about a school coordinator waiting for approval, and about the decision.

Receivers of ``accounts.signals.coordinator_changed``, writing the outbox inside the
service's transaction like ``booking_mail``. When someone registers for a school, the office
(staff; the admins when there are no staff) hears about it, and so do the school's approved
coordinators, who may approve a colleague; the coordinator hears the decision.
"""

from __future__ import annotations

from ..accounts.coordinators import approvers_of
from ..accounts.models import User
from ..accounts.signals import coordinator_changed
from ..sitelinks import site_link
from . import models as kinds
from .addressing import office_receivers
from .outbox import add, recipient_locale, render


def _write(kind: str, users, template: str | None = None, **context) -> list:
    messages = []
    for user in users:
        locale = recipient_locale(user)
        subject, body = render(template or kind, locale, recipient=user, **context)
        messages.append(add(kind, user, subject, body, locale=locale))
    return messages


def _on_waiting(coordinator: User, new_school: bool = False) -> None:
    school = coordinator.school
    context = dict(coordinator=coordinator, school=school, new_school=new_school)
    _write(
        kinds.COORDINATOR_WAITING,
        office_receivers(),
        decide_url=site_link("accounts.school_queue"),
        for_office=True,
        **context,
    )
    if not new_school:
        colleagues = [user for user in approvers_of(school.id) if user.id != coordinator.id]
        _write(
            kinds.COORDINATOR_WAITING,
            colleagues,
            decide_url=site_link("accounts.profile"),
            for_office=False,
            **context,
        )


def _on_decided(coordinator: User, approved: bool) -> None:
    _write(
        kinds.COORDINATOR_APPROVED if approved else kinds.COORDINATOR_REJECTED,
        [coordinator] if coordinator.active else [],
        school=coordinator.school,
        bookings_url=site_link("booking.my_bookings"),
        account_url=site_link("accounts.profile"),
    )


def on_coordinator_changed(coordinator: User, action: str, actor=None, new_school: bool = False, **_extra) -> None:
    if action == "waiting":
        _on_waiting(coordinator, new_school)
    elif action in ("approved", "rejected"):
        _on_decided(coordinator, action == "approved")


def connect() -> None:
    """Listen to the coordinator signal (called by the package's ``init_app``)."""
    coordinator_changed.connect(on_coordinator_changed)
