"""The outbox: one row per message and recipient, written with the change it reports; the
notices people read on the site; the weekly download digests already sent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import db

REQUEST_RECEIVED = "request_received"
CONFIRMED = "confirmed"
REJECTED = "rejected"
CANCELLED = "cancelled"
EXPIRED = "expired"
MOVED = "moved"
WAITLIST_OFFER = "waitlist_offer"
REMINDER = "reminder"
CLOSURE = "closure"
KINDS = (REQUEST_RECEIVED, CONFIRMED, REJECTED, CANCELLED, EXPIRED, MOVED, WAITLIST_OFFER, REMINDER, CLOSURE)
# After a closure: the alternative sessions held for the school (notifications/reschedule_mail.py).
RESCHEDULE = "reschedule"
KINDS += (RESCHEDULE,)
# After a completed visit: the certificate is ready and the school is asked for feedback.
FEEDBACK_REQUEST = "feedback_request"
KINDS += (FEEDBACK_REQUEST,)
# School coordinators: someone waits for approval (to the office and the school's approved
# coordinators); the decision (to the coordinator).
COORDINATOR_WAITING = "coordinator_waiting"
COORDINATOR_APPROVED = "coordinator_approved"
COORDINATOR_REJECTED = "coordinator_rejected"
KINDS += (COORDINATOR_WAITING, COORDINATOR_APPROVED, COORDINATOR_REJECTED)
# Account mails, tied to no booking (accounts/email_links.py).
PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind of mail, not a password)
EMAIL_VERIFICATION = "email_verification"
ACCOUNT_KINDS = (PASSWORD_RESET, EMAIL_VERIFICATION)
# Creators: a moderation decision on their asset (also an on-site ``Notice``), and the weekly
# digest of who downloaded their assets.
ASSET_APPROVED = "asset_approved"
ASSET_REJECTED = "asset_rejected"
ASSET_DIGEST = "asset_digest"
ASSET_KINDS = (ASSET_APPROVED, ASSET_REJECTED, ASSET_DIGEST)
# Usage rights (assets/rights.py): the warning before an asset's usable-until date (its owner,
# staff), the date passed (its owner), and the same to each user who downloaded it.
RIGHTS_WARNING = "rights_warning"
RIGHTS_ENDED = "rights_ended"
RIGHTS_ENDED_USER = "rights_ended_user"
ASSET_KINDS += (RIGHTS_WARNING, RIGHTS_ENDED, RIGHTS_ENDED_USER)
NOTICE_KINDS = (ASSET_APPROVED, ASSET_REJECTED, RIGHTS_WARNING, RIGHTS_ENDED, RIGHTS_ENDED_USER)
# Promo kits (promo/jobs.py): the owner's kit is ready to download, or could not be built.
KIT_READY = "kit_ready"
KIT_FAILED = "kit_failed"
KIT_KINDS = (KIT_READY, KIT_FAILED)
NOTICE_KINDS += KIT_KINDS


class OutboxMessage(db.Model):
    """An e-mail waiting to go out, or gone (``sent_at``). Never deleted by delivery."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        # What the delivery sweep reads: unsent messages that are due.
        Index("ix_outbox_messages_due", "sent_at", "next_attempt_at"),
        Index("ix_outbox_messages_booking", "booking_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_address: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(5), default="id")
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # The booking's calendar file as it was when the message was written (confirmations).
    attachment_ics: Mapped[str | None] = mapped_column(Text)
    attachment_name: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A worker delivering the message holds it until then, so two never send it at once.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} to {self.to_address}>"


class Notice(db.Model):
    """A message on the site for one person (``/my/notices``), unread until they see it.

    It keeps its kind and parameters (the asset's title, a reason), not a finished text, so it
    reads in whichever language its reader has chosen when they open it; the asset it is about
    may be deleted later (``asset_id`` becomes null, the title stays)."""

    __tablename__ = "notices"
    __table_args__ = (
        # A person's notices newest first, and their unread count (the navigation's badge).
        Index("ix_notices_user_created", "user_id", "created_at", "id"),
        Index("ix_notices_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Notice {self.id} {self.kind} for user {self.user_id}>"


class DownloadDigest(db.Model):
    """A weekly download digest sent to a creator: one row per creator and week (the WITA
    Monday it starts on), written with the mail, so no week is mailed twice, even when two
    workers run the job at once (the second one's row breaks the unique constraint)."""

    __tablename__ = "download_digests"
    __table_args__ = (UniqueConstraint("user_id", "week_start", name="uq_download_digests_user_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    week_start: Mapped[date] = mapped_column(Date)
    downloads: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
