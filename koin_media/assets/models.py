from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    and_,
    event,
    inspect,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import pagecache
from ..accounts.models import User
from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..i18n import wita_date
from ..localtime import LOCAL, local_to_utc, local_today
from ..reference.models import Community, Regency
from ..roles import STAFF
from ..venues.models import Venue
from .problems import describe

# The lifecycle of DESIGN.md, plus "draft": processed, waiting for the creator to complete the
# details (title, licence, consent) that review needs.
UPLOADING = "uploading"
VERIFYING = "verifying"
PROCESSING = "processing"
DRAFT = "draft"
PENDING_REVIEW = "pending_review"
APPROVED = "approved"
ARCHIVED = "archived"
REJECTED_FILE = "rejected_file"
FAILED = "failed"
REJECTED = "rejected"
# Its usable-until date passed (assets/rights.py): out of the catalogue until a reviewed new date.
EXPIRED = "expired"
STATUSES = (
    UPLOADING,
    VERIFYING,
    PROCESSING,
    DRAFT,
    PENDING_REVIEW,
    APPROVED,
    ARCHIVED,
    REJECTED_FILE,
    FAILED,
    REJECTED,
    EXPIRED,
)

STATUS_LABELS = {
    UPLOADING: _l("Uploading"),
    VERIFYING: _l("Checking the file"),
    PROCESSING: _l("Processing"),
    DRAFT: _l("Details needed"),
    PENDING_REVIEW: _l("Waiting for review"),
    APPROVED: _l("Published"),
    ARCHIVED: _l("Archived"),
    REJECTED_FILE: _l("File refused"),
    FAILED: _l("Processing failed"),
    REJECTED: _l("Rejected in review"),  # not "File refused": staff read it, the file was fine
    EXPIRED: _l("Usage period ended"),
}

KINDS = ("image", "video", "audio", "document")
# Kinds whose originals are never streamed: the player and the "web size" download use a
# re-encoded rendition of this type instead.
WEB_RENDITION_TYPES = {"video": "video/mp4", "audio": "audio/mp4"}
# States an asset reaches only after processing succeeded.
PROCESSED = (DRAFT, PENDING_REVIEW, APPROVED, ARCHIVED, REJECTED, EXPIRED)
# States an asset leaves by itself (the worker moves it on): My uploads keeps asking about them.
SETTLING = (VERIFYING, PROCESSING)
KIND_LABELS = {"image": _l("Photo"), "video": _l("Video"), "audio": _l("Audio"), "document": _l("Document")}

LICENSES = {
    "CC-BY-4.0": _l("CC BY 4.0 — use with credit"),
    "CC-BY-SA-4.0": _l("CC BY-SA 4.0 — use with credit, share alike"),
    "CC-BY-NC-4.0": _l("CC BY-NC 4.0 — use with credit, not for commercial use"),
    "NTB-PROMO": _l("Free for NTB local promotion, with credit"),
}
LICENSE_URLS = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC-BY-NC-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
}
# What a card or a list has room for (the full label is on the asset's page).
LICENSE_SHORT_LABELS = {
    "CC-BY-4.0": "CC BY 4.0",
    "CC-BY-SA-4.0": "CC BY-SA 4.0",
    "CC-BY-NC-4.0": "CC BY-NC 4.0",
    "NTB-PROMO": _l("NTB promotion"),
}


# What a published asset's owner changes waits for review when it changes what people agree to
# or credit (the file itself is never changed by an edit); the rest goes live at once.
# ``usable_until`` only when it is extended or removed (a shorter period applies at once:
# assets/rights.py ``applies_at_once``).
REVIEWED_FIELDS = ("title", "license", "credit", "consent", "usable_until")
REVIEWED_FIELD_LABELS = {
    "title": _l("Title"),
    "license": _l("Licence"),
    "credit": _l("Credit line"),
    "consent": _l("Consent of the people shown"),
    "usable_until": _l("Usable until"),
}
# Reviewed fields whose values are not JSON: kept as ISO text in ``pending_changes``.
_PENDING_DATES = ("usable_until",)


def split_tags(tags: str) -> list[str]:
    """The tags of a comma-separated list, trimmed, empty ones dropped."""
    return [t for t in (s.strip() for s in tags.split(",")) if t]


def _in(values) -> str:
    return "({})".format(", ".join(f"'{v}'" for v in values))


class Asset(db.Model):
    __tablename__ = "assets"
    __table_args__ = (
        CheckConstraint(f"status IN {_in(STATUSES)}", name="status_known"),
        CheckConstraint(f"kind IS NULL OR kind IN {_in(KINDS)}", name="kind_known"),
        CheckConstraint(f"license IS NULL OR license IN {_in(LICENSES)}", name="license_known"),
        CheckConstraint("focus_x >= 0 AND focus_x <= 1 AND focus_y >= 0 AND focus_y <= 1", name="focus_inside"),
        Index("ix_assets_status_created", "status", "created_at"),
        # The public catalogue in its two orders (migration 0010). The newest index carries
        # every column a filter or facet reads, so those never visit the table.
        Index(
            "ix_assets_catalog_newest",
            "status",
            "approved_at",
            "id",
            "kind",
            "license",
            "community_id",
            "regency_id",
            "venue_id",
        ),
        Index("ix_assets_catalog_popular", "status", "download_count", "approved_at", "id"),
        # The review queue's edits (and its count in the staff navigation) without reading
        # every published asset.
        Index("ix_assets_edit_submitted", "status", "edit_submitted_at"),
        # The rights jobs (assets/rights.py) and the catalogue's "has any date passed" check:
        # published assets by their usable-until date, without reading the rest.
        Index("ix_assets_usable_until", "status", "usable_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: uuid.uuid4().hex)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    regency_id: Mapped[int | None] = mapped_column(ForeignKey("regencies.id"))
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"), index=True)
    # The call for content it was uploaded into (assets/calls.py, migration 0020): its required
    # fields join what review needs, and its page lists the asset once published.
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), index=True)
    # active_history: a change of status always knows the old one (loaded first if the object
    # was expired), so the page cache can tell whether the asset left the catalogue.
    status: Mapped[str] = mapped_column(String(20), default=UPLOADING, active_history=True)

    # The file
    original_filename: Mapped[str] = mapped_column(String(255))
    declared_type: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[str | None] = mapped_column(String(10), index=True)
    mime: Mapped[str | None] = mapped_column(String(60))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    thumb_key: Mapped[str | None] = mapped_column(String(200))
    preview_key: Mapped[str | None] = mapped_column(String(200))
    poster_key: Mapped[str | None] = mapped_column(String(200))
    # The "web size" of video and audio (an MP4/M4A the player streams); the original is only
    # ever handed out through the logged, licensed download.
    web_key: Mapped[str | None] = mapped_column(String(200))
    web_size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    # Social media formats (media/crops.py, assets/crops.py). The focus point, as fractions of
    # the upright picture's width and height from its top left, centres a photo's crops; it is
    # not reviewed (it changes no terms). ``crop_keys``: {"1x1": key, "4x5": …, "9x16": …,
    # "191x1": …}, photos only; ``share_key``: the 1200x630 picture of link previews, every kind.
    focus_x: Mapped[float] = mapped_column(default=0.5, server_default="0.5")
    focus_y: Mapped[float] = mapped_column(default=0.5, server_default="0.5")
    crop_keys: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    share_key: Mapped[str | None] = mapped_column(String(200))
    width: Mapped[int | None]
    height: Mapped[int | None]
    duration_seconds: Mapped[float | None]
    video_codec: Mapped[str | None] = mapped_column(String(40))
    audio_codec: Mapped[str | None] = mapped_column(String(40))
    media_info: Mapped[dict] = mapped_column(JSON, default=dict)
    processing_attempts: Mapped[int] = mapped_column(default=0)
    # The lease of the job processing the asset (assets/leases.py): who, and until when. A job
    # whose worker was killed stops renewing it, and another attempt takes over once it lapses.
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why a file was refused or failed: a code the UI translates, and a detail for staff.
    problem_code: Mapped[str | None] = mapped_column(String(40))
    problem_context: Mapped[dict] = mapped_column(JSON, default=dict)
    problem_detail: Mapped[str | None] = mapped_column(Text)
    # Fingerprints of the original, set by processing (assets/duplicates.py, migration 0021):
    # the hex SHA-256 of its bytes, and imagehash's phash (16 hex digits) of a photo or of a
    # video's poster. The phash is read with the kind (ix_assets_kind_phash, below the class).
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    phash: Mapped[str | None] = mapped_column(String(16))

    # What the creator says about it
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(String(500), default="")
    license: Mapped[str | None] = mapped_column(String(20))
    credit: Mapped[str] = mapped_column(String(200), default="")
    consent: Mapped[bool] = mapped_column(default=False)

    # Moderation
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An edit of a published asset waiting for review: the new values of REVIEWED_FIELDS that
    # differ from the live ones, which stay public until staff approve it. On an approved asset
    # ``rejection_reason`` is why the last edit was refused.
    pending_changes: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    edit_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Usage rights (assets/rights.py): the last WITA day it may be used (None: no end), the
    # consent or model-release document (private: owner and staff only), and when the owner
    # and staff were warned of that date (once per date).
    usable_until: Mapped[date | None] = mapped_column(Date)
    release_key: Mapped[str | None] = mapped_column(String(200))
    release_filename: Mapped[str | None] = mapped_column(String(255))
    release_mime: Mapped[str | None] = mapped_column(String(60))
    release_size: Mapped[int | None] = mapped_column(BigInteger)
    expiry_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    download_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    community: Mapped[Community | None] = relationship()
    regency: Mapped[Regency | None] = relationship()
    venue: Mapped[Venue | None] = relationship()
    call: Mapped[Call | None] = relationship("Call")

    @property
    def tag_list(self) -> list[str]:
        return split_tags(self.tags)

    @property
    def details_complete(self) -> bool:
        return not self.missing_details

    @property
    def missing_details(self) -> list[str]:
        """What review still waits for, by field: a title, a licence, the consent, and the
        fields its call requires (``Call.missing_fields``). Until none is missing it is a draft."""
        present = {"title": bool(self.title.strip()), "license": bool(self.license), "consent": bool(self.consent)}
        missing = [name for name, there in present.items() if not there]
        return missing + (self.call.missing_fields(self) if self.call is not None else [])

    @property
    def problem_message(self) -> str | None:
        return describe(self.problem_code, **(self.problem_context or {})) if self.problem_code else None

    @property
    def web_file(self) -> tuple[str, str] | None:
        """(key, content type) of the "web size" download, None when there is none (yet):
        the web rendition for video and audio, the preview picture for the other kinds."""
        if self.kind in WEB_RENDITION_TYPES:
            return (self.web_key, WEB_RENDITION_TYPES[self.kind]) if self.web_key else None
        return (self.preview_key, "image/jpeg") if self.preview_key else None

    @property
    def needs_web_rendition(self) -> bool:
        """Processed (before web renditions existed, or their making failed) without one."""
        return self.kind in WEB_RENDITION_TYPES and self.status in PROCESSED and not self.web_key

    @property
    def takes_focus(self) -> bool:
        """A processed photo: its social crops follow the focus point its managers set."""
        return self.kind == "image" and self.status in PROCESSED

    @property
    def needs_social_pictures(self) -> bool:
        """Processed before crops and share pictures existed (or their making failed)."""
        if self.status not in PROCESSED:
            return False
        return not self.share_key or (self.kind == "image" and not self.crop_keys)

    @property
    def usage_ended(self) -> bool:
        """Its usable-until day (WITA) is over: from that moment it is neither public nor
        downloadable, even before the daily job moves it to EXPIRED (assets/rights.py)."""
        return self.usable_until is not None and local_today() > self.usable_until

    @property
    def is_public(self) -> bool:
        return self.status == APPROVED and not self.usage_ended

    @classmethod
    def public_clause(cls):
        """``is_public`` as SQL, for lists that filter in the query (collections and their counts)."""
        return and_(cls.status == APPROVED, or_(cls.usable_until.is_(None), cls.usable_until >= local_today()))

    # -- who may do what with it: the one home of these rules, asked by the pages, the API,
    # -- the services and the templates alike.

    def managed_by(self, user) -> bool:
        """Its owner and the office's staff: they edit its details, delete it, see who
        downloaded it and why it was refused or failed."""
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        return user.id == self.owner_id or user.has_role(STAFF)

    def visible_to(self, user) -> bool:
        """Published assets are public; any other state only to those who manage it."""
        return self.is_public or self.managed_by(user)

    def downloadable_by(self, user) -> bool:
        """Only published assets leave the platform, for anyone signed in: not even its owner
        or staff download an unpublished one (they review it through its previews)."""
        return self.is_public and user is not None and bool(getattr(user, "is_authenticated", False))

    @property
    def has_pending_edit(self) -> bool:
        """A published asset whose owner's edit waits for review (the live version stays up)."""
        return self.status == APPROVED and self.edit_submitted_at is not None

    @property
    def edit_rejected(self) -> bool:
        """The owner's last edit of this published asset was refused (``rejection_reason`` says why)."""
        return self.status == APPROVED and bool(self.rejection_reason) and not self.has_pending_edit

    @property
    def pending_edit(self) -> list[tuple[str, object, object]]:
        """(field, live value, proposed value) of the edit waiting for review, in form order."""
        if not self.has_pending_edit:
            return []
        changes = self.pending_values
        return [(name, getattr(self, name), changes[name]) for name in REVIEWED_FIELDS if name in changes]

    @property
    def pending_values(self) -> dict:
        """``pending_changes`` as the columns take them (dates back from their ISO text)."""
        values = dict(self.pending_changes or {})
        for name in _PENDING_DATES:
            if values.get(name):
                values[name] = date.fromisoformat(values[name])
        return values

    def set_pending_values(self, values: dict) -> None:
        """Keep ``values`` as ``pending_changes`` (None when empty), dates as ISO text."""
        stored = {name: value.isoformat() if isinstance(value, date) else value for name, value in values.items()}
        self.pending_changes = stored or None

    @property
    def pending_edit_version(self) -> str | None:
        """Names exactly the edit a reviewer saw: a newer edit from the owner has another one."""
        if not self.has_pending_edit:
            return None
        text = json.dumps([self.pending_changes, self.edit_submitted_at.isoformat()], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def edit_needs_review(self, user) -> bool:
        """Whether ``user``'s changes to REVIEWED_FIELDS wait for review: its owner's, once it is
        published. Staff edits are the review itself and apply at once."""
        return self.status == APPROVED and not (user is not None and user.has_role(STAFF))

    def edit_withdrawable_by(self, user) -> bool:
        """Only the owner takes back their own edit; staff reject it, with a reason."""
        return self.has_pending_edit and user is not None and getattr(user, "id", None) == self.owner_id

    def reviewable_by(self, user) -> bool:
        """Staff decide on an asset that waits for review, or on a published one's pending edit."""
        signed_in = user is not None and getattr(user, "is_authenticated", False)
        waiting = self.status == PENDING_REVIEW or self.has_pending_edit
        return bool(signed_in and user.has_role(STAFF) and waiting)

    @classmethod
    def awaiting_review(cls):
        """``reviewable_by``'s states as SQL: what the moderation queue lists and counts."""
        return or_(cls.status == PENDING_REVIEW, and_(cls.status == APPROVED, cls.edit_submitted_at.is_not(None)))

    @property
    def credited_to(self) -> str:
        """Who made it and their community. The community is left out when the credit already
        names it as one of its parts ("Baiq / Lombok Phonegraphy"), however it is spelled or
        spaced, so the line a business pastes never repeats it."""
        who = " ".join(self.credit.split()) or self.owner.name
        community = self.community.name if self.community else ""
        if community and _same_name(community) not in {_same_name(part) for part in CREDIT_PARTS.split(who)}:
            who = f"{who} / {community}"
        return who

    @property
    def credit_line(self) -> str:
        """Title, who made it and their community, licence."""
        return f"{self.title} — {self.credited_to}, {self.license} (KOIN Media NTB)"


# Separators people put between the names of a credit: "Baiq / Lombok Phonegraphy", "Baiq, …".
CREDIT_PARTS = re.compile(r"\s*[/,;|·&]\s*")


def _same_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def _in_catalog(asset: Asset) -> bool:
    """Whether a change to ``asset`` may show in the public catalogue: it is, or was, approved
    (the status column keeps its old value on change: active_history)."""
    return APPROVED in (asset.status, *inspect(asset).attrs.status.history.deleted)


pagecache.watch(Asset, _in_catalog)


@event.listens_for(Asset.usable_until, "set", active_history=True)
def _new_date_new_warning(asset: Asset, value, old, _initiator) -> None:
    """A new usable-until date gets its own warning (rights.warn_before), however it is set
    (an edit, an approved change, the API)."""
    if value != old:
        asset.expiry_warned_at = None


# The near-duplicate search reads every hash of one kind: with the id in the index it never
# visits the table (assets/duplicates.py, bench/duplicates.py).
Index("ix_assets_kind_phash", Asset.kind, Asset.phash, Asset.id)

DUPLICATE_KINDS = ("exact", "near")


class AssetDuplicate(db.Model):
    """What processing found about ``asset``: it is a copy of the earlier ``other`` (the same
    bytes: "exact"), or its photo looks like the other's ("near", ``distance`` bits of the
    perceptual hash apart). A warning for the creator and staff, never a refusal."""

    __tablename__ = "asset_duplicates"
    __table_args__ = (
        Index("uq_asset_duplicates_pair", "asset_id", "other_id", unique=True),
        CheckConstraint(f"kind IN {_in(DUPLICATE_KINDS)}", name="kind_known"),
        CheckConstraint("asset_id <> other_id", name="not_itself"),
        CheckConstraint("distance >= 0 AND distance <= 64", name="distance_bits"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    other_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(5))
    distance: Mapped[int] = mapped_column(default=0)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    asset: Mapped[Asset] = relationship(foreign_keys=[asset_id])
    other: Mapped[Asset] = relationship(foreign_keys=[other_id])


class MultipartUpload(db.Model):
    """An upload the app started: who owns it, where it goes, and the file's fingerprint so
    that adding the same file again resumes it instead of starting over."""

    __tablename__ = "multipart_uploads"
    __table_args__ = (Index("ix_multipart_uploads_resume", "owner_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[str] = mapped_column(String(255), unique=True)
    key: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    fingerprint: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    asset: Mapped[Asset | None] = relationship()


# What a business says a download is for (the download dialog and a kit ask; creators see it).
DOWNLOAD_PURPOSES = {
    "packaging": _l("Packaging or label"),
    "social": _l("Social media post"),
    "print": _l("Print (poster, brochure, banner)"),
    "video": _l("Video"),
    "other": _l("Other"),
}


class AssetDownload(db.Model):
    """One download: who, for which business, which variant, what for, when, and under which
    terms."""

    __tablename__ = "asset_downloads"
    __table_args__ = (
        CheckConstraint(f"purpose IS NULL OR purpose IN {_in(DOWNLOAD_PURPOSES)}", name="purpose_known"),
        # The dashboard's downloads of a period, without reading every download (migration 0028).
        Index("ix_asset_downloads_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    business_name: Mapped[str | None] = mapped_column(String(160))
    variant: Mapped[str] = mapped_column(String(10))
    # The licence and credit line the business got the file under, as they were then: an edit
    # approved later changes the asset's, never the terms of a copy already taken.
    license: Mapped[str | None] = mapped_column(String(20))
    credit_line: Mapped[str | None] = mapped_column(Text)
    # NULL for downloads made before the dialog asked (migration 0019).
    purpose: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User | None] = relationship()
    asset: Mapped[Asset] = relationship()


# -- calls for content ------------------------------------------------------------------------
# The model and its rules sit here, beside the asset they are asked about (``Asset.call``), so
# that the mapper knows "Call" wherever an asset is loaded (a script, a benchmark); their
# finding and writing is assets/calls.py.

CALL_DRAFT, CALL_OPEN, CALL_CLOSED = "draft", "open", "closed"
CALL_STATUSES = (CALL_DRAFT, CALL_OPEN, CALL_CLOSED)
CALL_STATUS_LABELS = {CALL_DRAFT: _l("Draft"), CALL_OPEN: _l("Open for uploads"), CALL_CLOSED: _l("Closed")}
# How a call reads to people (``Call.state``): an open call past its deadline has ended.
CALL_ENDED = "ended"
CALL_STATE_LABELS = {**CALL_STATUS_LABELS, CALL_ENDED: _l("Deadline passed")}

# What a call may require of every upload into it, besides what review always needs (title,
# licence, consent: ``Asset.details_complete``).
REQUIRED_FIELDS = {
    "description": _l("Description"),
    "tags": _l("Tags"),
    "venue": _l("Venue shown"),
    "credit": _l("Credit line"),
}
# Every detail review may wait for, in the order of the edit form: how "Perlu rincian" names them.
DETAIL_LABELS = {
    "title": _l("Title"),
    "description": REQUIRED_FIELDS["description"],
    "tags": REQUIRED_FIELDS["tags"],
    "venue": REQUIRED_FIELDS["venue"],
    "license": _l("Licence"),
    "credit": REQUIRED_FIELDS["credit"],
    "consent": _l("Consent of the people shown"),
}

TITLE_MIN, TITLE_MAX = 3, 120
SLUG_LENGTH = 80
# Paths of the call pages that a slug must not take (/calls/new, /calls/manage).
RESERVED_SLUGS = frozenset({"new", "manage"})


class CallRefused(Exception):
    """A call that does not take this now: ``message`` for people (in their language), ``code``
    for the API, ``status`` its HTTP answer, ``field`` when one field is at fault."""

    def __init__(self, code: str, message, status: int = 409, field: str | None = None):
        super().__init__(str(message))
        self.code, self.message, self.status, self.field = code, message, status, field


class Call(db.Model):
    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint(f"status IN {_in(CALL_STATUSES)}", name="status_known"),
        CheckConstraint(f"license IN {_in(LICENSES)}", name="license_known"),
        # /calls: the open ones by deadline, then the closed.
        Index("ix_calls_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Made once from the first title (``slug_for``) and kept: links to a call never break.
    slug: Mapped[str] = mapped_column(String(SLUG_LENGTH), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    brief: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The last WITA day uploads are accepted (until its midnight): ``closes_at``.
    deadline: Mapped[date] = mapped_column(Date)
    # Presets of an upload into the call: tags (comma-separated, as Asset.tags), venue, regency
    # and licence; the upload may change them, and the call's tags are always added.
    tags: Mapped[str] = mapped_column(String(500), default="", server_default="")
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id", ondelete="SET NULL"))
    regency_id: Mapped[int | None] = mapped_column(ForeignKey("regencies.id", ondelete="SET NULL"))
    license: Mapped[str] = mapped_column(String(20))
    # Names of REQUIRED_FIELDS an upload into it needs before it goes to review.
    required_fields: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default=CALL_DRAFT, server_default=CALL_DRAFT)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    venue: Mapped[Venue | None] = relationship()
    regency: Mapped[Regency | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def tag_list(self) -> list[str]:
        return split_tags(self.tags)

    @property
    def required(self) -> list[str]:
        """The required fields it names, in the form's order (unknown names are ignored)."""
        chosen = set(self.required_fields or ())
        return [name for name in REQUIRED_FIELDS if name in chosen]

    @property
    def closes_at(self) -> datetime:
        """The instant uploads stop: midnight WITA after the deadline day."""
        return local_to_utc(self.deadline + timedelta(days=1), time(0))

    def deadline_passed(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.closes_at

    @property
    def state(self) -> str:
        """Its status as lists and pages show it: an open call past its deadline has ended."""
        return CALL_ENDED if self.status == CALL_OPEN and self.deadline_passed() else self.status

    # -- who may do what with it -----------------------------------------------------------

    def managed_by(self, user) -> bool:
        """The office's staff create, edit, open, close and export calls."""
        return user is not None and bool(getattr(user, "is_authenticated", False)) and user.has_role(STAFF)

    def visible_to(self, user) -> bool:
        """Open and closed calls are public; a draft only to staff."""
        return self.status != CALL_DRAFT or self.managed_by(user)

    def upload_refusal(self, now: datetime | None = None) -> CallRefused | None:
        """Why it takes no upload now (None: it does): it is open and its deadline day not over."""
        if self.status == CALL_DRAFT:
            return CallRefused("call_not_open", _("This call for content is not open yet, so it takes no uploads."))
        if self.status == CALL_CLOSED:
            return CallRefused(
                "call_closed", _("The call “%(title)s” is closed and takes no more uploads.", title=self.title)
            )
        if self.deadline_passed(now):
            return CallRefused(
                "call_deadline_passed",
                _(
                    "The deadline of the call “%(title)s” was %(date)s; it takes no more uploads.",
                    title=self.title,
                    date=wita_date(self.deadline),
                ),
            )
        return None

    def takes_uploads(self, now: datetime | None = None) -> bool:
        return self.upload_refusal(now) is None

    def missing_fields(self, asset: Asset) -> list[str]:
        """The required fields ``asset`` has not filled in: until it has, it stays a draft."""
        filled = {
            "description": bool((asset.description or "").strip()),
            "tags": bool(split_tags(asset.tags or "")),
            "venue": asset.venue is not None,
            "credit": bool((asset.credit or "").strip()),
        }
        return [name for name in self.required if not filled[name]]

    def opening_refusal(self) -> CallRefused | None:
        """A call opens only with a deadline day that is not over."""
        if deadline_past(self.deadline):
            return CallRefused("deadline_past", DEADLINE_PAST, 422, "deadline")
        return None


DEADLINE_PAST = _l("The deadline is in the past. Choose today or a later day.")


def local_day(now: datetime | None = None) -> date:
    """Today in WITA (from this module's clock, which tests fix)."""
    return (now or utcnow()).astimezone(LOCAL).date()


def deadline_past(day: date) -> bool:
    """Whether uploads until the end of ``day`` (WITA) are no longer possible: the rule an
    open call's deadline keeps, on the forms and when a call is opened alike."""
    return day < local_day()
