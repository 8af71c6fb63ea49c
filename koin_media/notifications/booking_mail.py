"""Who hears about a booking change, and what they read.

Receivers of ``booking.signals``: each writes its outbox rows into the service's own
transaction (the signals fire before the commit), so a message exists exactly when the change
does. Texts are ``templates/mail/<name>.<locale>.txt`` in Indonesian and English, rendered in
each recipient's language. Schools hear about their bookings (every approved coordinator of
the school); a venue's managers (office staff when a venue has none) hear about new requests and
about schools that cancel.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import LazyString

from ..accounts.models import User, approved_coordinators
from ..booking import whatsapp
from ..booking.calendar_files import CANCEL, REQUEST, has_calendar_files
from ..booking.codes import display
from ..booking.models import Booking, WaitlistEntry
from ..booking.signals import booking_changed, waitlist_changed
from ..extensions import db
from ..roles import SCHOOL
from ..sitelinks import site_link
from . import channels
from . import models as kinds
from .addressing import office_receivers

# -- recipients ------------------------------------------------------------------------------


def school_coordinators(school_id: int) -> list[User]:
    """Who hears about a school's bookings: its approved coordinators only (one who merely
    named the school's NPSN and waits for approval hears nothing)."""
    return db.session.scalars(approved_coordinators(school_id)).all()


def venue_receivers(venue) -> list[User]:
    """The venue's managers; office staff when it has none (admins when there are no staff)."""
    managers = [user for user in venue.managers if user.active]
    return managers or office_receivers()


# -- writing messages ------------------------------------------------------------------------


def _booking_context(booking: Booking, for_venue: bool = False) -> dict:
    """What every booking mail's templates read (``mail/_visit`` among them). The WhatsApp
    texts are lazy: each recipient's copy is rendered in their language (``outbox.render``
    forces it), so they are made then, not here. ``for_venue``: the mail goes to the venue's
    people, who chat with the school's contact, and have no parents to tell."""
    slot = booking.slot
    return dict(
        booking=booking,
        slot=slot,
        program=slot.program,
        venue=slot.program.venue,
        school=booking.school,
        code=display(booking.code),
        booking_url=site_link("booking.detail", booking_id=booking.id),
        ics_url=site_link("booking.ics", booking_id=booking.id),
        whatsapp_url=_lazy(whatsapp.school_chat_link if for_venue else whatsapp.venue_chat_link, booking),
        whatsapp_to_school=for_venue,
        parents_text=None if for_venue else _lazy(whatsapp.parents_text, booking),
        parents_share_url=None if for_venue else _lazy(whatsapp.parents_share_link, booking),
    )


def _lazy(make, booking: Booking) -> LazyString:
    # "" when ``make`` has nothing (no number, a visit that does not stand): false in a template.
    return LazyString(lambda: make(booking) or "")


def write(
    kind: str,
    users,
    about: Booking | None,
    template: str | None = None,
    calendar_method: str | None = None,
    now: datetime | None = None,
    **context,
) -> list:
    """The message about the booking ``about`` to each of ``users`` through every configured
    channel (``channels``: e-mail, notices, ...), in their language, inside the current
    transaction; ``context`` goes to the templates. Returns the outbox rows written."""
    message = channels.Message(
        kind=kind, about=about, template=template, context=context, calendar_method=calendar_method, now=now
    )
    return channels.deliver(message, users).get(channels.EmailChannel.name, [])


def to_school(kind: str, booking: Booking, **extra) -> list:
    return write(kind, school_coordinators(booking.school_id), booking, **_booking_context(booking), **extra)


def _on_requested(booking: Booking, actor, **_extra) -> None:
    venue = booking.slot.program.venue
    write(
        kinds.REQUEST_RECEIVED,
        venue_receivers(venue),
        booking,
        **_booking_context(booking, for_venue=True),
        manage_url=site_link("booking.detail", booking_id=booking.id),
    )


def _on_confirmed(booking: Booking, actor, **_extra) -> None:
    to_school(kinds.CONFIRMED, booking, calendar_method=REQUEST)


def _on_rejected(booking: Booking, actor, **_extra) -> None:
    to_school(kinds.REJECTED, booking, reason=booking.decision_reason or "")


def _on_cancelled(booking: Booking, actor, **_extra) -> None:
    by_school = actor is not None and getattr(actor, "role", None) == SCHOOL
    # A confirmed visit is in the school's calendars: the cancellation takes it out again.
    was_confirmed = booking.decided_at is not None
    to_school(
        kinds.CANCELLED,
        booking,
        reason=booking.cancelled_reason or "",
        by_school=by_school,
        calendar_method=CANCEL if was_confirmed else None,
    )
    if by_school:
        write(
            kinds.CANCELLED,
            venue_receivers(booking.slot.program.venue),
            booking,
            template="cancelled_venue",
            **_booking_context(booking, for_venue=True),
        )


def _on_expired(booking: Booking, actor, **_extra) -> None:
    to_school(kinds.EXPIRED, booking)


def _on_moved(booking: Booking, actor, from_slot=None, **_extra) -> None:
    to_school(
        kinds.MOVED,
        booking,
        from_slot=from_slot,
        calendar_method=REQUEST if has_calendar_files(booking) else None,
        calendar_attached=has_calendar_files(booking),
    )


def _on_slot_closed(booking: Booking, actor, closure=None, **_extra) -> None:
    to_school(kinds.CLOSURE, booking, reason=getattr(closure, "reason", "") or "", closure=closure)


BOOKING_ACTIONS = {
    "requested": _on_requested,
    "confirmed": _on_confirmed,
    "rejected": _on_rejected,
    "cancelled": _on_cancelled,
    "expired": _on_expired,
    "moved": _on_moved,
    "slot_closed": _on_slot_closed,
}


def on_booking_changed(booking: Booking, action: str, actor=None, **extra) -> None:
    handler = BOOKING_ACTIONS.get(action)
    if handler is not None:
        handler(booking, actor, **extra)


def on_waitlist_changed(entry: WaitlistEntry, action: str, actor=None, **_extra) -> None:
    if action != "offered":
        return
    slot = entry.slot
    write(
        kinds.WAITLIST_OFFER,
        school_coordinators(entry.school_id),
        None,
        entry=entry,
        slot=slot,
        program=slot.program,
        venue=slot.program.venue,
        school=entry.school,
        offers_url=site_link("booking.my_bookings"),
    )


def connect() -> None:
    """Listen to the booking signals (called by the package's ``init_app``)."""
    booking_changed.connect(on_booking_changed)
    waitlist_changed.connect(on_waitlist_changed)
