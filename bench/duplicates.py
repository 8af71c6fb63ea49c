"""How long the duplicate search of one new upload takes among N fingerprinted assets.

    .venv/bin/python bench/duplicates.py [--n 100000] [--runs 7]
        [--database-url URL --reset]   # PostgreSQL: a database this run may empty

Builds the schema with the app's migrations (a temporary SQLite file by default; with
``--database-url`` and ``--reset``, that database's public schema is dropped first), inserts N
photos with random SHA-256s and perceptual hashes (SQLAlchemy Core, in batches), then times
``koin_media.assets.duplicates.find`` for a new photo that has one exact copy and one near copy
(5 bits apart) among them: the exact lookup by the sha256 index and the near scan of every
photo's hash (read from ix_assets_kind_phash, compared with numpy). Prints the median and the
slowest of ``--runs``, the two parts separately, and the database's plan of the scan, and
writes them to ``bench/results/duplicates-<db>-<n>.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:  # run as a script, Python puts bench/ on the path, not the project
    sys.path.insert(0, str(ROOT))

from scratch import add_database_options, scratch_app  # noqa: E402

from koin_media.accounts.models import User  # noqa: E402
from koin_media.assets import duplicates  # noqa: E402
from koin_media.assets.models import APPROVED, Asset  # noqa: E402
from koin_media.extensions import db  # noqa: E402
from koin_media.media.fingerprint import near  # noqa: E402

BATCH = 5000
NEAR_BITS = 5  # how far the planted near copy is from the probe


def seed(n: int, rng: random.Random) -> tuple[str, str]:
    """N approved photos with random fingerprints; returns the (sha256, phash) of the probe's
    exact copy and of its near copy (the last two rows)."""
    owner = User(email="bench@koin.test", name="Bench", role="creator")
    owner.set_password("bench-password-unused")
    db.session.add(owner)
    db.session.flush()
    table = Asset.__table__

    def row(index: int, sha256: str, phash: str) -> dict:
        key = uuid.UUID(int=rng.getrandbits(128)).hex
        return {"uuid": key, "owner_id": owner.id, "status": APPROVED, "kind": "image", "mime": "image/jpeg",
                "original_filename": f"foto-{index}.jpg", "storage_key": f"assets/{key}/original",
                "title": f"Foto {index}", "sha256": sha256, "phash": phash}  # fmt: skip

    batch = []
    for index in range(n - 2):
        batch.append(row(index, f"{rng.getrandbits(256):064x}", f"{rng.getrandbits(64):016x}"))
        if len(batch) == BATCH:
            db.session.execute(insert(table), batch)
            batch = []
    exact_sha, near_phash = f"{rng.getrandbits(256):064x}", f"{rng.getrandbits(64):016x}"
    batch += [
        row(n - 2, exact_sha, f"{rng.getrandbits(64):016x}"),
        row(n - 1, f"{rng.getrandbits(256):064x}", near_phash),
    ]
    db.session.execute(insert(table), batch)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE assets"))  # what autovacuum soon does; index-only scans need it
    return exact_sha, near_phash


def flip(phash: str, bits: int, rng: random.Random) -> str:
    value = int(phash, 16)
    for bit in rng.sample(range(64), bits):
        value ^= 1 << bit
    return f"{value:016x}"


def timed(fn, runs: int) -> tuple[list[float], object]:
    seconds, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
        db.session.rollback()
    return seconds, result


def plan() -> list[str]:
    scan = "SELECT id, phash FROM assets WHERE kind = 'image' AND phash IS NOT NULL"
    explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    return [" ".join(str(part) for part in row) for row in db.session.execute(text(explain + scan))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    add_database_options(parser)
    args = parser.parse_args()
    with scratch_app(parser, args, "duplicates") as (app, url):
        with app.app_context():
            rng = random.Random(args.n)
            started = time.perf_counter()
            exact_sha, near_phash = seed(args.n, rng)
            seed_seconds = time.perf_counter() - started
            probe = Asset(id=10**9, kind="image", sha256=exact_sha, phash=flip(near_phash, NEAR_BITS, rng))
            limit = app.config["NEAR_DUPLICATE_DISTANCE"]
            total, found = timed(lambda: duplicates.find(probe), args.runs)
            read, rows = timed(
                lambda: db.session.execute(
                    select(Asset.id, Asset.phash).where(Asset.kind == "image", Asset.phash.is_not(None))
                ).all(),
                args.runs,
            )
            compare, _ = timed(lambda: near(probe.phash, rows, limit), args.runs)
            figures = {
                "db": db.engine.dialect.name,
                "n": args.n,
                "runs": args.runs,
                "seed_seconds": round(seed_seconds, 1),
                "found": [list(f) for f in found],
                "find_ms": {"median": ms(statistics.median(total)), "max": ms(max(total))},
                "read_hashes_ms": {"median": ms(statistics.median(read)), "max": ms(max(read))},
                "compare_ms": {"median": ms(statistics.median(compare)), "max": ms(max(compare))},
                "plan": plan(),
            }
    assert [kind for _id, kind, _d in figures["found"]] == ["exact", "near"], figures["found"]
    out = BENCH / "results" / f"duplicates-{figures['db']}-{args.n}.json"
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    print(f"written to {out.relative_to(ROOT)}; database: {make_url(url).render_as_string(hide_password=True)}")


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


if __name__ == "__main__":
    main()
