"""What ``seed_catalog.py`` inserts: the shared pictures, the venues, the creators and the N
approved assets, as rows for SQLAlchemy Core (COPY on PostgreSQL, executemany on SQLite).

Every value comes from one ``random.Random``, so the same N gives the same catalogue. Runs in
the app context ``seed_catalog`` sets up.
"""

from __future__ import annotations

import io
import itertools
import math
import random
import secrets
from datetime import UTC, datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import Table, insert, select
from vocabulary import BENCH_VENUES, FIRST_NAMES, LAST_NAMES, Writer
from werkzeug.security import generate_password_hash

from koin_media.accounts.models import User
from koin_media.assets.models import APPROVED, Asset
from koin_media.extensions import db
from koin_media.reference.models import Community, Regency
from koin_media.storage import get_storage
from koin_media.venues.models import Venue

CREATORS = 300
BATCH = 5000
YEARS = 5
THUMBNAILS = 6
# How the seeded assets divide by kind and by licence.
KINDS = (("image", 0.55), ("video", 0.25), ("audio", 0.08), ("document", 0.12))
LICENCES = (("CC-BY-4.0", 0.35), ("CC-BY-SA-4.0", 0.15), ("CC-BY-NC-4.0", 0.20), ("NTB-PROMO", 0.30))


def fill(n: int) -> None:
    """The pictures, venues, creators and N approved assets, in the session's transaction."""
    rng = random.Random(n)  # the same N gives the same catalogue
    pictures = put_pictures()
    regencies = db.session.execute(select(Regency.slug, Regency.id, Regency.name)).all()
    communities = db.session.execute(select(Community.id, Community.name)).all()
    regency_ids = {slug: id_ for slug, id_, _name in regencies}
    venue_ids = seed_venues(regency_ids)
    staff_id, creators = seed_users(rng, [id_ for id_, _name in communities])
    context = {
        "creators": creators,
        "staff_id": staff_id,
        "community_names": {id_: name for id_, name in communities},
        "regency_ids": regency_ids,
        "regency_names": {slug: name for slug, _id, name in regencies},
        "venue_ids": venue_ids,
        "thumbs": pictures["thumb"],
        "previews": pictures["preview"],
    }
    insert_rows(Asset.__table__, asset_rows(n, rng, context))


def thumbnail_jpegs(size: tuple[int, int]) -> list[bytes]:
    """A few real JPEGs (sky, sea and sun in different colours) for thumb and preview keys."""
    pictures = []
    palette = ((250, 170, 90), (90, 160, 220), (120, 190, 120), (230, 120, 110), (170, 140, 210), (240, 210, 120))
    width, height = size
    for index in range(THUMBNAILS):
        image = Image.new("RGB", size, palette[index])
        draw = ImageDraw.Draw(image)
        horizon = height * (55 + 5 * index) // 100
        draw.rectangle((0, horizon, width, height), fill=(30, 90 + 10 * index, 140))
        radius = width // 12
        centre = (width * (2 + index) // 9, horizon - radius - height // 10)
        draw.ellipse(
            (centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius), fill=(255, 240, 200)
        )
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        pictures.append(out.getvalue())
    return pictures


def put_pictures() -> dict[str, list[str]]:
    """Store the shared pictures once (same keys for every database) and return their keys."""
    storage = get_storage()
    keys = {"thumb": [], "preview": []}
    for name, size in (("thumb", (320, 213)), ("preview", (1280, 853))):
        for index, data in enumerate(thumbnail_jpegs(size)):
            key = f"assets/bench-sample-{index}/{name}.jpg"
            if storage.head(key) is None:
                storage.put(key, data, "image/jpeg")
            keys[name].append(key)
    return keys


def batched(rows, size: int):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def insert_rows(table: Table, rows) -> int:
    """Insert dicts of the same keys: COPY on PostgreSQL, Core executemany in batches on SQLite."""
    if db.engine.dialect.name == "postgresql":
        return copy_rows(table, rows)
    count = 0
    for batch in batched(rows, BATCH):
        db.session.execute(insert(table), batch)
        count += len(batch)
    return count


def copy_rows(table: Table, rows) -> int:
    """``COPY … FROM STDIN`` in the session's transaction, several times faster than
    executemany. As an INSERT would, each value goes through its column type's bind processing
    (JSON, UTC datetimes) and the columns' Python-side defaults fill what the rows leave out."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    dialect = db.engine.dialect
    given = list(first)
    defaults = {c.name: c.default for c in table.columns if c.name not in first and c.default is not None}
    names = given + list(defaults)
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    columns = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    cursor = db.session.connection().connection.driver_connection.cursor()
    count = 0
    with cursor, cursor.copy(f"COPY {dialect.identifier_preparer.format_table(table)} ({columns}) FROM STDIN") as copy:
        for row in itertools.chain([first], rows):
            values = [row[name] for name in given]
            values += [d.arg(None) if d.is_callable else d.arg for d in defaults.values()]
            copy.write_row([p(v) if p else v for p, v in zip(processors, values, strict=True)])
            count += 1
    return count


def seed_venues(regency_ids: dict[str, int]) -> dict[str, int]:
    existing = set(db.session.scalars(select(Venue.slug)))
    insert_rows(
        Venue.__table__,
        (
            {
                "slug": slug,
                "name": name,
                "regency_id": regency_ids[regency],
                "address": address,
                "description_id": f"{name}: tempat kunjungan edukasi dan wisata di {address}.",
                "description_en": f"{name}: a place for educational visits and tourism in {address}.",
            }
            for slug, name, regency, address in BENCH_VENUES
            if slug not in existing
        ),
    )
    return {slug: id_ for slug, id_ in db.session.execute(select(Venue.slug, Venue.id))}


def seed_users(rng: random.Random, community_ids: list[int]) -> tuple[int, list[tuple[int, int | None, str]]]:
    """One staff reviewer and CREATORS creators, all with the same unusable password (nobody
    logs in during the benchmark, and one scrypt hash per user would be most of the seeding)."""
    password_hash = generate_password_hash(secrets.token_urlsafe(24), method="scrypt")
    now = datetime.now(UTC)

    def user(email, name, role, community_id):
        return {
            "email": email,
            "name": name,
            "role": role,
            "password_hash": password_hash,
            "session_nonce": secrets.token_hex(8),
            "email_verified_at": now,
            "community_id": community_id,
            "active": True,
        }

    rows = [user("staf@bench.koin.test", "Staf Disperin", "staff", None)]
    for index in range(CREATORS):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        rows.append(user(f"kreator{index:03d}@bench.koin.test", name, "creator", rng.choice(community_ids)))
    insert_rows(User.__table__, rows)
    staff_id = db.session.scalar(select(User.id).where(User.email == "staf@bench.koin.test"))
    creators = db.session.execute(
        select(User.id, User.community_id, User.name).where(User.email.like("kreator%@bench.koin.test"))
    ).all()
    return staff_id, [tuple(row) for row in creators]


def asset_rows(n: int, rng: random.Random, context: dict):
    """N approved assets, ids in upload order, the newest uploads the most (the platform grows)."""
    writer = Writer(rng)
    now = datetime.now(UTC)
    start = now - timedelta(days=365 * YEARS)
    span = (now - start).total_seconds() - 20 * 86400
    creators = context["creators"]
    # A few creators upload most of the archive, as on every such platform.
    creator_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(creators))]
    community_names = context["community_names"]
    regency_ids, regency_names = context["regency_ids"], context["regency_names"]
    venue_ids, thumbs, previews = context["venue_ids"], context["thumbs"], context["previews"]
    kinds, kind_weights = zip(*KINDS, strict=True)
    licences, licence_weights = zip(*LICENCES, strict=True)
    for index in range(n):
        created = start + timedelta(seconds=span * math.sqrt((index + rng.random()) / n))
        submitted = created + timedelta(minutes=rng.randint(5, 2 * 24 * 60))
        approved = min(submitted + timedelta(minutes=rng.randint(30, 14 * 24 * 60)), now)
        owner_id, owner_community, owner_name = rng.choices(creators, creator_weights)[0]
        community_id = owner_community if rng.random() < 0.9 else None
        community = community_names.get(community_id, "KOIN NTB")
        title, description, tags, place = writer.asset_text(community, regency_names, approved.year)
        kind = rng.choices(kinds, kind_weights)[0]
        description = f"{description} {writer.kind_line(kind)}"
        uuid = f"{rng.getrandbits(128):032x}"
        picture = rng.randrange(THUMBNAILS)
        row = {
            "uuid": uuid,
            "owner_id": owner_id,
            "community_id": community_id,
            "regency_id": regency_ids[place.regency] if rng.random() < 0.85 else None,
            "venue_id": venue_ids.get(place.venue) if place.venue and rng.random() < 0.7 else None,
            "status": APPROVED,
            "storage_key": f"assets/{uuid}/original",
            "thumb_key": thumbs[picture] if kind != "audio" else None,
            "preview_key": previews[picture] if kind in ("image", "document") else None,
            "poster_key": previews[picture] if kind == "video" else None,
            "web_key": f"assets/{uuid}/web.{'mp4' if kind == 'video' else 'm4a'}"
            if kind in ("video", "audio")
            else None,
            "title": title,
            "description": description,
            "tags": tags,
            "license": rng.choices(licences, licence_weights)[0],
            "credit": "" if rng.random() < 0.7 else owner_name,
            "consent": True,
            "reviewed_by_id": context["staff_id"],
            "reviewed_at": approved,
            "submitted_at": submitted,
            "approved_at": approved,
            "created_at": created,
            "updated_at": approved,
            "download_count": min(int((rng.paretovariate(1.3) - 1) * 4), 20_000),
            "processing_attempts": 1,
            **_file_fields(rng, kind, index),
        }
        yield row


def _file_fields(rng: random.Random, kind: str, index: int) -> dict:
    fields = {"kind": kind, "width": None, "height": None, "duration_seconds": None, "video_codec": None}
    fields["audio_codec"] = None
    if kind == "image":
        fields["width"], fields["height"] = rng.choice(((4000, 3000), (6000, 4000), (3024, 4032), (1920, 1080)))
        fields.update(
            original_filename=f"IMG_{index:06d}.jpg", mime="image/jpeg", size_bytes=rng.randint(800_000, 12_000_000)
        )
    elif kind == "video":
        fields["width"], fields["height"] = rng.choice(((1920, 1080), (3840, 2160), (1080, 1920)))
        seconds = round(rng.uniform(10, 600), 1)
        fields.update(duration_seconds=seconds, video_codec="h264", audio_codec="aac")
        fields.update(original_filename=f"VID_{index:06d}.mp4", mime="video/mp4", size_bytes=int(seconds * 1_500_000))
    elif kind == "audio":
        seconds = round(rng.uniform(30, 3600), 1)
        fields.update(duration_seconds=seconds, audio_codec="mp3")
        fields.update(original_filename=f"rekaman-{index:06d}.mp3", mime="audio/mpeg", size_bytes=int(seconds * 24_000))
    else:
        fields.update(
            original_filename=f"profil-usaha-{index:06d}.pdf",
            mime="application/pdf",
            size_bytes=rng.randint(200_000, 9_000_000),
        )
    fields["declared_type"] = fields["mime"]
    return fields
