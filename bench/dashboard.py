"""How long the staff dashboard takes over 12 months when the database holds years of activity.

    .venv/bin/python bench/dashboard.py [--n 100000] [--runs 7]
        [--database-url URL --reset]   # PostgreSQL: a database this run may empty

Builds the schema with the app's migrations (a temporary SQLite file by default; with
``--database-url`` and ``--reset``, that database's public schema is dropped first) and inserts
with SQLAlchemy Core, spread over the last three years: N asset downloads (skewed towards popular
assets, by IKM accounts of every sector, some by deleted accounts) of N/50 assets in the 14
communities; an approval or rejection audit event per decided asset (some of edits, which the
dashboard leaves out), some still waiting, and N/5 other audit events; N/5 school bookings of
every status across 10 venues, 300 schools in the 10 regencies and the four levels.

Then times, in rounds (each round: the baseline, each figure, the page, so a change in the
machine's load falls on all of them alike), ``koin_media.insights.figures.visits``,
``downloads`` and ``reviews`` over the last 12 months and ``GET /office/dashboard`` for that
range through the app's test client, signed in as staff. The baseline is ``GET /login`` through
the same client (a signed-in user is redirected: the request, session and user loading that
every page pays, without figures or template). Prints medians of ``--runs`` as ratios to the
baseline's median (absolute milliseconds only for reference: never compare them across runs),
the SQL statements one page runs (for 1, 12 and 36 months: constant), and writes them to
``bench/results/dashboard-<db>-<n>.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import secrets
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, insert, select, text
from sqlalchemy.engine import make_url

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:  # run as a script, Python puts bench/ on the path, not the project
    sys.path.insert(0, str(ROOT))

from scratch import add_database_options, scratch_app  # noqa: E402

from koin_media.accounts.models import LEVELS, School, User  # noqa: E402
from koin_media.assets.models import APPROVED, PENDING_REVIEW, REJECTED, Asset, AssetDownload  # noqa: E402
from koin_media.audit import AuditEvent  # noqa: E402
from koin_media.booking import models as booking  # noqa: E402
from koin_media.extensions import db  # noqa: E402
from koin_media.insights import figures  # noqa: E402
from koin_media.insights.months import Period, months_back  # noqa: E402
from koin_media.localtime import local_today  # noqa: E402
from koin_media.reference.data import SECTORS  # noqa: E402
from koin_media.reference.models import Community, Regency  # noqa: E402
from koin_media.reference.services import ensure_reference_data  # noqa: E402
from koin_media.venues.models import Venue  # noqa: E402

BATCH = 5000
YEARS = 3
SPAN = timedelta(days=365 * YEARS)
PASSWORD = secrets.token_urlsafe(12)  # the staff account's, for this run only
STAFF_EMAIL = "staff@koin.test"
VENUES, SCHOOLS, IKM_ACCOUNTS, CREATORS = 10, 300, 400, 50
PER_SLOT = 2  # bookings per slot, each by a different school
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
# Bookings' statuses by weight; a slot still ahead has only the statuses it can have yet.
PAST_STATUSES = {
    booking.COMPLETED: 45,
    booking.CHECKED_IN: 5,
    booking.CONFIRMED: 10,
    booking.NO_SHOW: 8,
    booking.CANCELLED: 12,
    booking.REJECTED: 10,
    booking.EXPIRED: 10,
}
FUTURE_STATUSES = {booking.PENDING: 30, booking.CONFIRMED: 60, booking.CANCELLED: 10}
OTHER_ACTIONS = ("booking.confirm", "booking.reject", "booking.cancel", "asset.delete", "user.update")


def bulk(table, rows) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            db.session.execute(insert(table), batch)
            batch = []
    if batch:
        db.session.execute(insert(table), batch)


def ids(model) -> list[int]:
    return list(db.session.scalars(select(model.id).order_by(model.id)))


def seed(n: int, now: datetime, rng: random.Random) -> dict:
    """Everything the dashboard reads; returns how many rows of each."""
    start = now - SPAN

    def moment() -> datetime:
        return start + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))

    ensure_reference_data()
    regencies, communities = ids(Regency), ids(Community)
    users = User.__table__
    staff = User(email=STAFF_EMAIL, name="Staf Kantor", role="staff")
    staff.set_password(PASSWORD)
    db.session.add(staff)
    db.session.flush()
    password_hash = staff.password_hash  # hashed once: the other accounts never sign in
    sectors = [*SECTORS, None]  # an IKM account may have left its sector empty

    def account(email: str, role: str, **extra) -> dict:
        return {"email": email, "name": email.split("@")[0], "role": role, "password_hash": password_hash,
                "session_nonce": f"{rng.getrandbits(64):016x}", **extra}  # fmt: skip

    bulk(users, (account(f"kreator{i}@koin.test", "creator") for i in range(CREATORS)))
    bulk(users, (account(f"ikm{i}@koin.test", "ikm", sector=rng.choice(sectors)) for i in range(IKM_ACCOUNTS)))
    creators = list(db.session.scalars(select(User.id).where(User.role == "creator")))
    ikms = list(db.session.scalars(select(User.id).where(User.role == "ikm")))

    # Assets, with the decisions the review figures read.
    assets, events, decided = Asset.__table__, AuditEvent.__table__, 0
    n_assets = max(200, n // 50)
    asset_rows, event_rows = [], []
    for index in range(n_assets):
        key = uuid.UUID(int=rng.getrandbits(128)).hex
        submitted = moment()
        fate = rng.random()
        status = PENDING_REVIEW if fate < 0.03 else REJECTED if fate < 0.11 else APPROVED
        asset_rows.append({"uuid": key, "owner_id": rng.choice(creators), "status": status, "kind": "image",
                           "mime": "image/jpeg", "original_filename": f"foto-{index}.jpg",
                           "storage_key": f"assets/{key}/original", "title": f"Foto {index}",
                           "community_id": rng.choice(communities) if rng.random() < 0.9 else None,
                           "submitted_at": submitted, "created_at": submitted})  # fmt: skip
    bulk(assets, asset_rows)
    for (asset_id,), row in zip(db.session.execute(select(Asset.id).order_by(Asset.id)), asset_rows, strict=True):
        if row["status"] == PENDING_REVIEW:
            continue
        decided_at = row["submitted_at"] + timedelta(hours=rng.lognormvariate(3, 1))
        action = "asset.approve" if row["status"] == APPROVED else "asset.reject"
        event_rows.append({"actor_id": staff.id, "action": action, "subject_type": "assets",
                           "subject_id": asset_id, "detail": {}, "created_at": decided_at})  # fmt: skip
        decided += 1
        if row["status"] == APPROVED and rng.random() < 0.1:  # a later edit's decision: left out
            event_rows.append({"actor_id": staff.id, "action": "asset.approve", "subject_type": "assets",
                               "subject_id": asset_id, "detail": {"edit": True},
                               "created_at": decided_at + timedelta(days=rng.randrange(1, 200))})  # fmt: skip
    event_rows += [
        {
            "actor_id": staff.id,
            "action": rng.choice(OTHER_ACTIONS),
            "subject_type": "bookings",
            "subject_id": rng.randrange(1, n),
            "detail": {},
            "created_at": moment(),
        }  # fmt: skip
        for _ in range(n // 5)
    ]
    bulk(events, event_rows)

    # Downloads: a few assets downloaded much, most a little.
    asset_ids = ids(Asset)
    weights = [1 / (rank + 1) for rank in range(len(asset_ids))]
    rng.shuffle(weights)
    picks = rng.choices(asset_ids, weights=weights, k=n)
    bulk(AssetDownload.__table__, (
        {"asset_id": asset_id, "user_id": rng.choice(ikms) if rng.random() < 0.85 else None,
         "variant": "original", "created_at": moment()}  # fmt: skip
        for asset_id in picks
    ))  # fmt: skip

    # Venues, programmes, slots, schools, bookings.
    bulk(Venue.__table__, ({"slug": f"bench-venue-{i}", "name": f"Sanggar {i}",
                            "regency_id": regencies[i % len(regencies)]} for i in range(VENUES)))  # fmt: skip
    venues = ids(Venue)
    programs = (
        {"venue_id": venue, "title": f"Program {k}", "duration_minutes": 120, "min_students": 10, "max_students": 60}
        for venue in venues
        for k in range(2)
    )
    bulk(booking.Program.__table__, programs)
    programs = ids(booking.Program)
    bulk(School.__table__, ({"npsn": f"{50000000 + i}", "name": f"Sekolah {i}",
                             "regency_id": rng.choice(regencies)} for i in range(SCHOOLS)))  # fmt: skip
    schools = ids(School)
    n_bookings = max(100, n // 5)
    n_slots = n_bookings // PER_SLOT
    ahead = timedelta(days=90)  # slots run three months past today: bookings still to come
    step = (SPAN + ahead) / n_slots  # distinct start times: one slot per programme and moment
    bulk(booking.Slot.__table__, (
        {"program_id": rng.choice(programs), "starts_at": start + step * i,
         "ends_at": start + step * i + timedelta(hours=2), "capacity": 80}  # fmt: skip
        for i in range(n_slots)
    ))  # fmt: skip
    slots = list(db.session.execute(select(booking.Slot.id, booking.Slot.starts_at).order_by(booking.Slot.id)))

    def visit(i: int) -> dict:
        slot_id, starts_at = slots[i // PER_SLOT]
        table = PAST_STATUSES if starts_at.replace(tzinfo=UTC) < now else FUTURE_STATUSES
        status = rng.choices(list(table), weights=list(table.values()))[0]
        students = rng.randrange(10, 60)
        came = status in figures.ATTENDED
        return {"code": f"B{i:07d}", "slot_id": slot_id, "school_id": schools[(i * 7 + i % PER_SLOT) % len(schools)],
                "students": students, "teachers": 1 + students // 15, "level": rng.choice(LEVELS),
                "contact_name": "Guru", "contact_phone": "081234567890", "status": status,
                "attended_students": students - rng.randrange(0, 5) if came else None,
                "created_at": starts_at - timedelta(days=14)}  # fmt: skip

    bulk(booking.Booking.__table__, (visit(i) for i in range(n_slots * PER_SLOT)))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # what autovacuum soon does
    return {"downloads": n, "assets": len(asset_ids), "decisions": decided, "audit_events": len(event_rows),
            "bookings": n_slots * PER_SLOT, "slots": n_slots}  # fmt: skip


def sign_in(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_META.search(page).group(1)
    answer = client.post("/login", data={"email": STAFF_EMAIL, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.status_code


class StatementCounter:
    def __init__(self, engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self.seen)

    def seen(self, *_args) -> None:
        self.count += 1

    def during(self, fn) -> int:
        before = self.count
        fn()
        return self.count - before


def dashboard_url(period: Period) -> str:
    return f"/office/dashboard?from={period.first.isoformat()}&to={period.last.isoformat()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="asset downloads (bookings: N/5)")
    parser.add_argument("--runs", type=int, default=7)
    add_database_options(parser)
    args = parser.parse_args()
    with scratch_app(parser, args, "dashboard") as (app, url):
        with app.app_context():
            started = time.perf_counter()
            rows = seed(args.n, datetime.now(UTC), random.Random(args.n))
            seed_seconds = time.perf_counter() - started
            dialect = db.engine.dialect.name
            counter = StatementCounter(db.engine)
            today = local_today()
            period = Period(months_back(today, 11), today)  # the page's default: the last 12 months
            found = {  # what the 12 months hold, so an empty chart cannot pass for a fast one
                "visits": figures.visits(period).by_venue.grand_total,
                "downloads": figures.downloads(period).by_sector.grand_total,
                "review_decisions": len(figures.reviews(period).all_hours),
            }
            db.session.remove()
        client = app.test_client()
        sign_in(client)

        def get(path: str, status: int):
            def fetch() -> None:
                answer = client.get(path)
                assert answer.status_code == status, (path, answer.status_code)

            return fetch

        def figure(fn):
            def call() -> None:
                with app.app_context():
                    fn(period)
                    db.session.rollback()

            return call

        cases = {
            "baseline GET /login (signed in)": get("/login", 302),
            "figures.visits": figure(figures.visits),
            "figures.downloads": figure(figures.downloads),
            "figures.reviews": figure(figures.reviews),
            "GET /office/dashboard (12 months)": get(dashboard_url(period), 200),
        }
        for fn in cases.values():  # warm-up: templates compiled, caches filled, pages known to answer
            fn()
        seconds = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, fn in cases.items():
                began = time.perf_counter()
                fn()
                seconds[name].append(time.perf_counter() - began)
        statements = {
            "baseline": counter.during(cases["baseline GET /login (signed in)"]),
            **{
                f"dashboard {months} months": counter.during(
                    get(dashboard_url(Period(months_back(today, months - 1), today)), 200)
                )
                for months in (1, 12, 36)
            },
        }
    base = statistics.median(next(iter(seconds.values())))
    results = {
        "db": dialect,
        "n": args.n,
        "runs": args.runs,
        "rows": rows,
        "seed_seconds": round(seed_seconds, 1),
        "period": [period.first.isoformat(), period.last.isoformat()],
        "found": found,
        "timings": {
            name: {
                "ratio": round(statistics.median(s) / base, 2),
                "median_ms": ms(statistics.median(s)),
                "max_ms": ms(max(s)),
            }  # fmt: skip
            for name, s in seconds.items()
        },
        "sql_statements": statements,
    }
    out = BENCH / "results" / f"dashboard-{dialect}-{args.n}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"{dialect}, n={args.n}: {rows}, seeded in {results['seed_seconds']} s")
    print(f"period {period.first}..{period.last}: {found}")
    print(f"{'':36} {'× baseline':>10} {'median ms':>10}")
    for name, timing in results["timings"].items():
        print(f"{name:36} {timing['ratio']:>10} {timing['median_ms']:>10}")
    print("SQL statements per request:", ", ".join(f"{k}: {v}" for k, v in statements.items()))
    print(f"written to {out.relative_to(ROOT)}; database: {make_url(url).render_as_string(hide_password=True)}")


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


if __name__ == "__main__":
    main()
