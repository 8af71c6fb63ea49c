"""Collections: the assets a signed-in user gathers, in their order, each with the version
(variant) the user wants in a kit. A collection is private to its owner unless they share it:
then a read-only link with an unguessable token shows it to anyone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..assets.models import Asset
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
