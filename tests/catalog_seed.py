"""Many approved assets in one go (Core inserts, not ORM objects), for tests that need a
catalogue big enough for the database to choose its real query plans."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from koin_media.assets import search
from koin_media.assets.models import KINDS, LICENSES, Asset
from koin_media.extensions import db
from koin_media.reference.models import Community, Regency

WORDS = (
    "pantai kopi sembalun tenun songket sukarara gerabah banyumulek mutiara madu sumbawa "
    "senggigi mandalika rinjani nyale festival pasar desa wisata kuliner sate rembiga "
    "ayam taliwang plecing kangkung bukit air terjun sendang gile tiu kelep gili trawangan"
).split()


def seed_catalog(owner_id: int, count: int, seed: int = 8) -> None:
    """``count`` approved assets with Indonesian titles, spread over five years, indexed."""
    rng = random.Random(seed)
    communities = list(db.session.scalars(select(Community.id)))
    regencies = list(db.session.scalars(select(Regency.id)))
    start = datetime(2021, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(count):
        words = rng.sample(WORDS, 4)
        key = uuid.uuid4().hex
        rows.append(
            {
                "uuid": key,
                "owner_id": owner_id,
                "community_id": rng.choice(communities),
                "regency_id": rng.choice(regencies),
                "status": "approved",
                "original_filename": f"{key}.jpg",
                "storage_key": f"originals/{key}.jpg",
                "thumb_key": f"thumbs/{key}.jpg",
                "kind": rng.choice(KINDS),
                "mime": "image/jpeg",
                "license": rng.choice(list(LICENSES)),
                "title": " ".join(words).title(),
                "description": " ".join(rng.choices(WORDS, k=12)),
                "tags": ", ".join(rng.sample(WORDS, 3)),
                "consent": True,
                "download_count": rng.randint(0, 500),
                "approved_at": start + timedelta(minutes=n * 3 + rng.randint(0, 2)),
            }
        )
    for begin in range(0, count, 5000):
        db.session.execute(insert(Asset), rows[begin : begin + 5000])
    search.rebuild()
    db.session.commit()
