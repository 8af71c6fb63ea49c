"""How a message reaches a person: one class per channel, chosen by KOIN_NOTIFICATION_CHANNELS.

A producer describes a message once (``Message``: its kind, what it is about, the template's
context) and ``deliver`` hands it to each configured channel that ``reaches`` each recipient.
A channel's ``send`` stores the message its own way inside the caller's transaction, so it
exists exactly when the change does: ``EmailChannel`` writes an outbox row (mailed later by the
queue, ``outbox.deliver``), ``NoticeChannel`` an on-site notice. Nothing goes over the network
inside a change's transaction.

Adding a channel, say WhatsApp Business, is one more class (README, "Notification channels"):

- a ``Channel`` subclass registered with ``@register``: its ``name``, ``reaches`` (the user
  has a WhatsApp number and agreed to messages; the kind has an approved template) and ``send``
  (render the text in ``recipient_locale(user)`` and store a row of its own to send);
- its delivery: a periodic job like ``notifications.jobs`` that claims the stored rows, calls
  the provider, and records the outcome with retries, as ``outbox.deliver`` does for mail;
- its setting: its name in KOIN_NOTIFICATION_CHANNELS (its credentials in their own variables).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from flask import Flask, current_app
from flask_babel import force_locale

from ..booking.calendar_files import booking_calendar, ics_filename
from .models import NOTICE_KINDS
from .notices import add_notice, receives_notices
from .outbox import add, organizer_address, recipient_locale, render

DEFAULT_CHANNELS = "email,notice"


@dataclass(frozen=True)
class Message:
    """One message to several people, before any channel has rendered it."""

    kind: str  # notifications.models: the outbox's and the notices' kind
    about: Any = None  # the Booking it is about (outbox rows keep its id), or None
    template: str | None = None  # templates/mail/<template>.<locale>.txt; the kind when None
    context: Mapping[str, Any] = field(default_factory=dict)  # what the templates read
    calendar_method: str | None = None  # attach the booking's .ics with this iTIP method
    notice: Mapping[str, Any] = field(default_factory=dict)  # a notice's parameters (notices.py)
    asset: Any = None  # the asset a notice is about
    now: datetime | None = None


class Channel(ABC):
    """One way to reach a person. Subclasses set ``name`` and implement both methods; an
    instance is made once per app (``init_app``), so it may hold its settings."""

    name: ClassVar[str] = ""

    def __init__(self, app: Flask) -> None:
        self.app = app

    @abstractmethod
    def reaches(self, user, message: Message) -> bool:
        """Whether this channel takes ``message`` to ``user`` at all."""

    @abstractmethod
    def send(self, user, message: Message) -> Any:
        """Store the message for ``user`` in the current transaction (the caller commits);
        return what was stored."""


CHANNELS: dict[str, type[Channel]] = {}


def register(channel: type[Channel]) -> type[Channel]:
    """Make a channel class known by its name, so KOIN_NOTIFICATION_CHANNELS may list it."""
    if not channel.name or "," in channel.name:
        raise ValueError(f"a channel needs a name without commas, not {channel.name!r}")
    CHANNELS[channel.name] = channel
    return channel


@register
class EmailChannel(Channel):
    """E-mail through the outbox, in the recipient's language, with the booking's calendar
    file when the message asks for one; every active account has an address."""

    name = "email"

    def reaches(self, user, message: Message) -> bool:
        return bool(user.active and user.email)

    def send(self, user, message: Message):
        locale = recipient_locale(user)
        subject, body = render(message.template or message.kind, locale, recipient=user, **message.context)
        ics = None
        if message.calendar_method and message.about is not None:
            with force_locale(locale):
                ics = booking_calendar(message.about, message.calendar_method, organizer_address(), user.email)
            ics = ics.decode("utf-8")
        return add(
            message.kind,
            user,
            subject,
            body,
            booking=message.about,
            locale=locale,
            attachment_ics=ics,
            attachment_name=ics_filename(message.about) if ics else None,
            now=message.now,
        )


@register
class NoticeChannel(Channel):
    """Notices on the site, for the roles that have a notices page (``notices.RECIPIENT_ROLES``)
    and the kinds a notice can say (``models.NOTICE_KINDS``); read in the reader's language."""

    name = "notice"

    def reaches(self, user, message: Message) -> bool:
        return message.kind in NOTICE_KINDS and receives_notices(user)

    def send(self, user, message: Message):
        return add_notice(user, message.kind, message.asset, now=message.now, **message.notice)


class UnknownChannel(ValueError):
    """KOIN_NOTIFICATION_CHANNELS names a channel no class registered."""


def channel_names(setting: str | Iterable[str] | None) -> list[str]:
    """The names in the setting (a comma-separated string, or a list from a test), in order,
    each once."""
    parts = setting.split(",") if isinstance(setting, str) else list(setting or ())
    return list(dict.fromkeys(name.strip().lower() for name in parts if name and name.strip()))


def build_channels(app: Flask) -> tuple[Channel, ...]:
    """The app's channels, or a startup error that says what is wrong and what is known."""
    names = channel_names(app.config.get("NOTIFICATION_CHANNELS", DEFAULT_CHANNELS))
    known = ", ".join(sorted(CHANNELS))
    unknown = [name for name in names if name not in CHANNELS]
    if unknown:
        raise UnknownChannel(
            f"KOIN_NOTIFICATION_CHANNELS names unknown channel(s) {', '.join(unknown)}; known channels: {known}"
        )
    if not names:
        raise UnknownChannel(f"KOIN_NOTIFICATION_CHANNELS lists no channel; known channels: {known}")
    return tuple(CHANNELS[name](app) for name in names)


def init_app(app: Flask) -> None:
    app.extensions["koin_channels"] = build_channels(app)


def active_channels() -> tuple[Channel, ...]:
    return current_app.extensions["koin_channels"]


def deliver(message: Message, users: Iterable) -> dict[str, list]:
    """Hand ``message`` to every channel that reaches each user; what each channel stored, by
    channel name. Inside the caller's transaction: a rollback takes all of it back."""
    stored: dict[str, list] = {channel.name: [] for channel in active_channels()}
    for user in users:
        for channel in active_channels():
            if channel.reaches(user, message):
                stored[channel.name].append(channel.send(user, message))
    return stored
