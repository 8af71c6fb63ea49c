"""WhatsApp where schools talk: click-to-chat links about a booking, and the text a school
shares with its pupils' parents.

No provider and no API: a ``wa.me`` link opens the reader's own WhatsApp with a message typed
in (``sitelinks.whatsapp_link``). The school's link goes to the venue's contact with the booking
code filled in; the venue's link goes to the school's contact person. Texts are in the reader's
language of the moment: the page's, or the recipient's while a mail is rendered (the mail
context holds them lazily, ``notifications.booking_mail``).

The parents' text exists only while the visit stands (confirmed, its session not closed):
parents told about a request the venue may still refuse, or a session a race weekend closed,
would come on the wrong day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _

from ..i18n import wita_range
from ..sitelinks import whatsapp_link
from ..venues.models import Venue
from .codes import display
from .models import Booking

MAP_SEARCH = "https://www.google.com/maps/search/?api=1&query="
# What people put between the digits of a phone number: spaces, dots, dashes, brackets, slashes.
_SEPARATORS = re.compile(r"[\s().\-/]")
# E.164: at most 15 digits with the country code; fewer than 8 is no reachable number.
_INTERNATIONAL = re.compile(r"^[1-9][0-9]{7,14}$")
INDONESIA = "62"


def whatsapp_number(phone: str | None) -> str | None:
    """A phone number as wa.me wants it: digits only, country code first, no "+" and no
    leading 0 (``+62 812-3456-7890`` and ``0812 3456 7890`` are ``6281234567890``); None when
    it is no number (empty, letters, too short or long), so no broken link is made from it."""
    digits = _SEPARATORS.sub("", phone or "")
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):  # the international prefix dialled from Indonesia
        digits = digits[2:]
    elif digits.startswith("0"):  # a number as dialled within Indonesia
        digits = INDONESIA + digits[1:]
    elif not digits.startswith(INDONESIA):
        return None  # no country code and no trunk 0: whose number it is cannot be known
    return digits if _INTERNATIONAL.match(digits) else None  # [0-9]: ASCII digits only


def map_link(venue: Venue) -> str | None:
    """A map search for the venue's coordinates; None until someone entered them."""
    if venue.latitude is None or venue.longitude is None:
        return None
    return f"{MAP_SEARCH}{_degrees(venue.latitude)},{_degrees(venue.longitude)}"


def _degrees(value: float) -> str:
    # Six decimals are about 10 cm on the ground; no exponent, no trailing zeros.
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _when(booking: Booking) -> str:
    return wita_range(booking.slot.starts_at, booking.slot.ends_at)


def venue_chat_text(booking: Booking) -> str:
    """What the school's message to the venue starts with."""
    program = booking.slot.program
    return _(
        "Hello, we are from %(school)s, booking code %(code)s (%(program)s, %(when)s).",
        school=booking.school.name,
        code=display(booking.code),
        program=program.title,
        when=_when(booking),
    )


def venue_chat_link(booking: Booking) -> str | None:
    """A chat with the venue's contact about the booking; None when the venue has no number."""
    number = whatsapp_number(booking.slot.program.venue.contact_phone)
    return whatsapp_link(venue_chat_text(booking), number) if number else None


def school_chat_link(booking: Booking) -> str | None:
    """For the venue: a chat with the school's contact person about the booking."""
    number = whatsapp_number(booking.contact_phone)
    if number is None:
        return None
    program = booking.slot.program
    text = _(
        "Hello %(name)s, this is %(venue)s about booking %(code)s (%(program)s, %(when)s).",
        name=booking.contact_name,
        venue=program.venue.name,
        code=display(booking.code),
        program=program.title,
        when=_when(booking),
    )
    return whatsapp_link(text, number)


def shares_with_parents(booking: Booking) -> bool:
    """The visit stands: confirmed, in a session that is still open."""
    return booking.visit_stands


def parents_text(booking: Booking) -> str | None:
    """The message a school forwards to parents: what, when (WITA), where with a map link,
    what to bring, the booking code. None while the visit does not stand."""
    if not shares_with_parents(booking):
        return None
    program = booking.slot.program
    venue = program.venue
    place = ", ".join(part for part in (venue.name, venue.address) if part)
    lines = [
        _("Educational visit of %(school)s: %(program)s", school=booking.school.name, program=program.title),
        _("When: %(when)s", when=_when(booking)),
        _("Where: %(place)s", place=place),
    ]
    if map_link(venue):
        lines.append(_("Map: %(link)s", link=map_link(venue)))
    if program.requirements:
        lines.append(_("What to bring:"))
        lines += [f"- {item}" for item in program.requirements]
    lines.append(_("Booking code: %(code)s", code=display(booking.code)))
    return "\n".join(lines)


def parents_share_link(booking: Booking) -> str | None:
    """The parents' text in a message to whomever the school picks (a class's group)."""
    text = parents_text(booking)
    return whatsapp_link(text) if text else None


@dataclass(frozen=True)
class WhatsAppLinks:
    """What a booking page shows: each None when there is nothing to link to."""

    venue_chat: str | None
    school_chat: str | None
    parents_text: str | None

    parents_share: str | None


def links(booking: Booking) -> WhatsAppLinks:
    text = parents_text(booking)
    return WhatsAppLinks(
        venue_chat=venue_chat_link(booking),
        school_chat=school_chat_link(booking),
        parents_text=text,
        parents_share=whatsapp_link(text) if text else None,
    )
