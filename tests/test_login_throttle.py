"""Log-in limits on the database store: exact across processes, fair to the rightful owner;
and log-in that does not hold SQLite's write lock while it hashes."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from koin_media.accounts.models import ApiToken, User
from koin_media.database import utcnow
from koin_media.extensions import db, limiter
from koin_media.ratelimit import DatabaseStorage, RateLimitCounter

from .conftest import PASSWORD, Auth, csrf_token, settings_for

WRONG = "bukan-kata-sandinya"


def client_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def is_sqlite(app) -> bool:
    return db.engine.dialect.name == "sqlite"


def test_owner_gets_in_from_a_new_address_after_25_failures_elsewhere(app, factory):
    admin = factory.user("admin")
    attacker = client_at(app, "203.0.113.9")
    answers = [Auth(attacker).login(admin, password=WRONG).status_code for _ in range(25)]
    assert answers[:10] == [401] * 10 and set(answers[10:]) == {429}
    # The address that failed stays refused, even with the right password…
    assert Auth(attacker).login(admin).status_code == 429
    # …but the owner, from an address that has not failed for this account, is let in.
    assert Auth(client_at(app, "198.51.100.20")).login(admin).status_code == 302


def test_an_attack_spread_over_many_addresses_is_backed_off_yet_the_owner_gets_in(make_app, factory):
    app = make_app(RATELIMIT_LOGIN_ACCOUNT="3 per hour")
    with app.app_context():
        user = factory.user("staff")
        waits = []
        for n in range(6):
            bot = client_at(app, f"203.0.113.{n}")
            assert Auth(bot).login(user, password=WRONG).status_code == 401  # a new address is checked
            again = Auth(bot).login(user, password=WRONG)
            if n < 2:
                assert again.status_code == 401  # the account's first 4 failures: within its allowance of 3
            else:
                assert again.status_code == 429  # past it: this address waits…
                waits.append(int(again.headers["Retry-After"]))
        # …longer with every failure on the account (2, 4, 8, … seconds; not timed, compared).
        assert waits == sorted(waits) and waits[-1] > waits[0]
        assert Auth(client_at(app, "198.51.100.7")).login(user).status_code == 302


def test_backoff_is_capped(make_app, factory):
    app = make_app(RATELIMIT_LOGIN_ACCOUNT="1 per hour", LOGIN_BACKOFF_MAX=30)
    with app.app_context():
        user = factory.user("ikm")
        for n in range(12):
            Auth(client_at(app, f"203.0.113.{n}")).login(user, password=WRONG)
        refused = Auth(client_at(app, "203.0.113.11")).login(user, password=WRONG)
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 30


def test_every_attempt_counts_against_the_address(make_app, factory):
    app = make_app(RATELIMIT_LOGIN_ATTEMPTS_ADDRESS="3 per minute")
    with app.app_context():
        user = factory.user("creator")
        for _ in range(3):
            assert Auth(client_at(app, "203.0.113.5")).login(user).status_code == 302
        assert Auth(client_at(app, "203.0.113.5")).login(user).status_code == 429
        assert Auth(client_at(app, "203.0.113.6")).login(user).status_code == 302


def test_refusal_is_readable_in_the_users_language_with_retry_after(app, factory):
    user = factory.user("creator")
    client = client_at(app, "203.0.113.8")
    for _ in range(10):
        client.post("/api/v1/auth/token", json={"email": user.email, "password": WRONG})
    indonesian = client.post("/api/v1/auth/token", json={"email": user.email, "password": WRONG})
    assert indonesian.status_code == 429
    body = indonesian.get_json()
    assert body["error"] == "rate_limited" and body["message"].startswith("Terlalu banyak percobaan masuk")
    assert int(indonesian.headers["Retry-After"]) == body["retry_after"] >= 1
    english = client.post(
        "/api/v1/auth/token", json={"email": user.email, "password": WRONG}, headers={"Accept-Language": "en"}
    )
    assert english.get_json()["message"].startswith("Too many log-in attempts. Wait ")


def test_form_and_token_endpoint_share_the_counts(app, factory):
    user = factory.user("creator")
    client, script = client_at(app, "203.0.113.30"), client_at(app, "203.0.113.30")
    for _ in range(5):
        assert Auth(client).login(user, password=WRONG).status_code == 401
    for _ in range(5):
        assert script.post("/api/v1/auth/token", json={"email": user.email, "password": WRONG}).status_code == 401
    assert Auth(client).login(user).status_code == 429


def test_a_right_password_clears_that_addresses_failures(app, factory):
    user = factory.user("creator")
    client = client_at(app, "203.0.113.40")
    for _ in range(9):
        Auth(client).login(user, password=WRONG)
    assert Auth(client).login(user).status_code == 302
    Auth(client).logout()
    for _ in range(10):
        assert Auth(client).login(user, password=WRONG).status_code == 401


def test_counters_live_in_the_database_and_reset_clears_them(app, factory):
    user = factory.user("creator")
    Auth(client_at(app, "203.0.113.50")).login(user, password=WRONG)
    assert db.session.scalar(select(func.count()).select_from(RateLimitCounter)) >= 3
    db.session.commit()  # end this test's read, which would still see the old rows
    limiter.reset()  # what conftest does after each test
    assert db.session.scalar(select(func.count()).select_from(RateLimitCounter)) == 0


def test_expired_counters_are_removed_on_write(app):
    past = utcnow() - timedelta(minutes=5)
    db.session.add(RateLimitCounter(key="LIMITER/old/1/1/minute", count=7, expires_at=past))
    db.session.commit()
    storage = DatabaseStorage("database://")  # a new process's store cleans on its first write
    assert storage.get("LIMITER/old/1/1/minute") == 0  # expired counts as absent
    assert storage.incr("LIMITER/new/1/1/minute", 60) == 1
    db.session.expire_all()
    assert db.session.get(RateLimitCounter, "LIMITER/old/1/1/minute") is None
    assert db.session.get(RateLimitCounter, "LIMITER/new/1/1/minute").count == 1


def test_two_app_instances_count_one_limit(make_app, factory):
    first, second = make_app(), make_app()
    with first.app_context():
        email = factory.user("ikm").email
    for n in range(10):
        app = first if n % 2 else second
        with app.app_context():
            assert Auth(client_at(app, "203.0.113.60")).login(email, password=WRONG).status_code == 401
    with first.app_context():
        assert Auth(client_at(first, "203.0.113.60")).login(email, password=WRONG).status_code == 429


def _fail_logins(database_url, tmp_path, email, attempts, start, answers):
    """In a separate process: an app of its own on the shared database, failing to log in."""
    from koin_media import create_app

    app = create_app(settings_for(database_url, tmp_path))
    with app.app_context():
        client = client_at(app, "203.0.113.70")
        token = csrf_token(client, "/login")
        start.wait(60)
        for _ in range(attempts):
            response = client.post("/login", data={"email": email, "password": WRONG, "csrf_token": token})
            answers.put(response.status_code)
        db.engine.dispose()


def test_two_processes_count_one_limit_exactly(app, factory, migrated, tmp_path):
    user = factory.user("creator")
    context = multiprocessing.get_context("spawn")
    start, answers = context.Event(), context.Queue()
    workers = [
        context.Process(target=_fail_logins, args=(migrated, tmp_path / str(n), user.email, 10, start, answers))
        for n in range(2)
    ]
    for worker in workers:
        worker.start()
    start.set()
    codes = sorted(answers.get(timeout=120) for _ in range(20))
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    # Ten failures allowed per account and address, whichever process took them (memory:// let 20 through).
    assert codes == [401] * 10 + [429] * 10


# --- hole 7: the write lock only while writing -----------------------------------------------


def test_a_failed_login_reads_the_account_without_the_write_lock(app, factory):
    if not is_sqlite(app):
        pytest.skip("SQLite's database-wide write lock")
    email = factory.user("creator").email
    client = client_at(app, "203.0.113.80")
    token = csrf_token(client, "/login")
    reading, probed, outcome = threading.Event(), threading.Event(), {}

    def hold_at_the_account_read(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT") and "FROM users" in statement and not reading.is_set():
            reading.set()
            probed.wait(30)  # the request stays here until the probe below has run

    def attempt():
        with app.app_context():
            outcome["status"] = client.post(
                "/login", data={"email": email, "password": WRONG, "csrf_token": token}
            ).status_code

    event.listen(db.engine, "after_cursor_execute", hold_at_the_account_read)
    try:
        request_thread = threading.Thread(target=attempt)
        request_thread.start()
        assert reading.wait(30)
        probe = sqlite3.connect(make_url(str(db.engine.url)).database, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")  # "database is locked" if log-in held the write lock
            probe.execute("ROLLBACK")
            outcome["probe"] = "free"
        except sqlite3.OperationalError as error:
            outcome["probe"] = str(error)
        finally:
            probe.close()
            probed.set()
        request_thread.join(60)
    finally:
        event.remove(db.engine, "after_cursor_execute", hold_at_the_account_read)
    assert outcome == {"probe": "free", "status": 401}


def test_lock_timeout_is_a_clean_503_and_nothing_is_half_written(make_app, factory):
    app = make_app(DATABASE_BUSY_TIMEOUT_MS=200)
    with app.app_context():
        if not is_sqlite(app):
            pytest.skip("SQLite's busy timeout")
        user = factory.user("creator", name="Nama Lama")
        client = client_at(app, "203.0.113.90")
        assert Auth(client).login(user).status_code == 302
        form_token = csrf_token(client, "/account")
        holder = sqlite3.connect(make_url(str(db.engine.url)).database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process writing for longer than the busy timeout
        try:
            page = client.post("/account", data={"name": "Nama Baru", "locale": "id", "csrf_token": form_token})
            api = client_at(app, "203.0.113.91").post(
                "/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}
            )
            login = Auth(client_at(app, "203.0.113.92")).login(user)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert page.status_code == 503 and page.headers["Retry-After"]
        assert "Coba kirim lagi" in page.get_data(as_text=True)
        assert api.status_code == 503 and api.headers["Retry-After"]
        assert api.get_json()["error"] == "database_busy" and api.get_json()["message"]
        assert login.status_code == 503
        db.session.expire_all()
        assert db.session.get(User, user.id).name == "Nama Lama"
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0
