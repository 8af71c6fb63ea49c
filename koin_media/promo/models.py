"""Collections: the assets a signed-in user gathers, in their order, each with the version
(variant) the user wants in a kit. A collection is private to its owner unless they share it:
then a read-only link with an unguessable token shows it to anyone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..assets.models import DOWNLOAD_PURPOSES, Asset
from ..database import UTCDateTime, utcnow
from ..extensions import db


class Collection(db.Model):
    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # Set while the owner shares the collection: the read-only link's secret. A new token
    # (sharing again after stopping) makes every earlier link stop working.
    share_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    owner: Mapped[User] = relationship()
    items: Mapped[list[CollectionItem]] = relationship(
        back_populates="collection", order_by="CollectionItem.position", cascade="all, delete-orphan"
    )

    def owned_by(self, user) -> bool:
        return user is not None and getattr(user, "is_authenticated", False) and user.id == self.owner_id


class CollectionItem(db.Model):
    __tablename__ = "collection_items"
    __table_args__ = (
        UniqueConstraint("collection_id", "asset_id", name="uq_collection_items_asset"),
        Index("ix_collection_items_order", "collection_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    # Which file of the asset a kit takes: "original", "web", or a social crop ("crop_1x1", …;
    # assets.downloads.variant_file resolves them).
    variant: Mapped[str] = mapped_column(String(20), default="original", server_default="original")
    position: Mapped[int] = mapped_column(default=0)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    collection: Mapped[Collection] = relationship(back_populates="items")
    asset: Mapped[Asset] = relationship()


# A promo kit's life: requested (queued), being written by the worker (building), ready to
# download until it expires (then its file is deleted), or failed after its last attempt.
KIT_QUEUED, KIT_BUILDING, KIT_READY, KIT_FAILED, KIT_EXPIRED = "queued", "building", "ready", "failed", "expired"
KIT_STATUSES = (KIT_QUEUED, KIT_BUILDING, KIT_READY, KIT_FAILED, KIT_EXPIRED)
KIT_UNFINISHED = (KIT_QUEUED, KIT_BUILDING)


def _listed(values) -> str:
    return "({})".format(", ".join(f"'{value}'" for value in values))


class Kit(db.Model):
    """A ZIP of chosen variants of assets with their credits, built by the worker
    (promo/kits.py, promo/jobs.py) and downloaded by its owner alone through a short signed
    link while it lasts. ``token`` (unguessable) names it in URLs, never the id."""

    __tablename__ = "kits"
    __table_args__ = (
        CheckConstraint(f"status IN {_listed(KIT_STATUSES)}", name="status_known"),
        CheckConstraint(f"purpose IN {_listed(DOWNLOAD_PURPOSES)}", name="purpose_known"),
        # "Kit saya" and the count of a user's kits being built; the expiry sweep.
        Index("ix_kits_user_status", "user_id", "status"),
        Index("ix_kits_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collections.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default=KIT_QUEUED, server_default=KIT_QUEUED)
    # What was asked for, fixed at the request: [{"asset_id", "variant", "title"}] in order.
    entries: Mapped[list] = mapped_column(JSON, default=list)
    purpose: Mapped[str] = mapped_column(String(20))
    storage_key: Mapped[str | None] = mapped_column(String(200))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    file_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # What the ZIP holds ([{"name", "asset_id", "variant", "size_bytes", "license",
    # "credit_line"}], the terms logged at the first download) and what was left out and why
    # ([{"asset_id", "title", "reason"}]).
    files: Mapped[list] = mapped_column(JSON, default=list)
    skipped: Mapped[list] = mapped_column(JSON, default=list)
    problem_code: Mapped[str | None] = mapped_column(String(40))
    # The build's attempts and the lease of the one running (a worker killed mid-build stops
    # renewing it, and the sweep gives the kit to a new attempt); the multipart upload it
    # writes to, aborted by the next attempt or on failure so no parts are left behind.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    upload_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    collection: Mapped[Collection | None] = relationship()

    def owned_by(self, user) -> bool:
        """Only the one who asked for it sees or downloads a kit (the page, the API, the link)."""
        return user is not None and getattr(user, "is_authenticated", False) and user.id == self.user_id

    @property
    def unfinished(self) -> bool:
        return self.status in KIT_UNFINISHED
