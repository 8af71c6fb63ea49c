"""Overbooking a bus-load of children must never happen, whatever the concurrency.

Real threads, each with its own app context, session and database connection, line up on a
barrier and book at once; on SQLite against the test database file, on PostgreSQL against
the server. The last test goes through a real WSGI server over HTTP.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import jsonify, request
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.serving import make_server

from koin_media.accounts.models import User
from koin_media.booking.models import Booking, Slot
from koin_media.booking.problems import BookingRefused
from koin_media.booking.services import book_slot, cancel
from koin_media.database import engine_options, write_intent
from koin_media.extensions import db

from .booking_helpers import group_request, make_program, make_slot, school_users, seats_accounted

CALLERS = 50
GROUP = {"students": 8, "teachers": 2}  # 10 seats each


def _concurrent_app(make_app, migrated):
    options = {**engine_options(migrated), "pool_size": CALLERS + 10, "max_overflow": 0}
    return make_app(SQLALCHEMY_ENGINE_OPTIONS=options)


class HeldMonitor:
    """Samples the slot's held count on its own connection while the callers run."""

    def __init__(self, url: str, slot_id: int):
        self.engine = create_engine(url)
        self.slot_id = slot_id
        self.highest = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            with self.engine.connect() as conn:
                held = conn.execute(select(Slot.held).where(Slot.id == self.slot_id)).scalar_one()
            self.highest = max(self.highest, held)
            self.samples += 1
            time.sleep(0.002)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.engine.dispose()


def _run_together(app, calls):
    """Run each call in its own thread and app context, all released at once by a barrier.
    Returns each call's result: "ok", a refusal code, or the unexpected exception."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        with app.app_context():
            try:
                prepared = call.prepare()
                db.session.commit()  # end the read transaction before lining up
                barrier.wait()
                with write_intent():
                    call.act(prepared)
                return "ok"
            except BookingRefused as refusal:
                return refusal.code
            except Exception as exc:  # reported by the test
                return exc
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


class Book:
    def __init__(self, user_id: int, slot_id: int):
        self.user_id, self.slot_id = user_id, slot_id

    def prepare(self):
        return db.session.get(User, self.user_id)

    def act(self, user):
        book_slot(user, self.slot_id, group_request(**GROUP))


class Cancel:
    def __init__(self, user_id: int, booking_id: int):
        self.user_id, self.booking_id = user_id, booking_id

    def prepare(self):
        return db.session.get(User, self.user_id), self.booking_id

    def act(self, prepared):
        user, booking_id = prepared
        cancel(db.session.get(Booking, booking_id), user)


def _setup_slot(capacity=100):
    program = make_program(min_students=5)
    return make_slot(program, capacity=capacity)


def test_fifty_concurrent_requests_for_a_hundred_seats(make_app, migrated):
    app = _concurrent_app(make_app, migrated)
    with app.app_context():
        slot = _setup_slot()
        slot_id = slot.id
        user_ids = [user.id for user in school_users(CALLERS)]
        db.session.remove()

    with HeldMonitor(migrated, slot_id) as monitor:
        results = _run_together(app, [Book(user_id, slot_id) for user_id in user_ids])

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert results.count("ok") == 10
    assert results.count("slot_full") == CALLERS - 10
    assert monitor.samples > 0 and monitor.highest <= 100
    with app.app_context():
        assert seats_accounted(slot_id) == (100, 100)
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 10


def test_concurrent_cancel_and_book_keeps_the_count_exact(make_app, migrated):
    app = _concurrent_app(make_app, migrated)
    with app.app_context():
        slot = _setup_slot()
        slot_id = slot.id
        holders = school_users(10)
        bookings = [book_slot(user, slot_id, group_request(**GROUP)) for user in holders]
        cancels = [Cancel(user.id, booking.id) for user, booking in zip(holders, bookings, strict=True)]
        newcomers = [Book(user.id, slot_id) for user in school_users(25, start=100)]
        assert seats_accounted(slot_id) == (100, 100)
        db.session.remove()

    calls = [call for pair in zip(cancels, newcomers[:10], strict=True) for call in pair] + newcomers[10:]
    with HeldMonitor(migrated, slot_id) as monitor:
        results = _run_together(app, calls)

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    cancel_results = [r for call, r in zip(calls, results, strict=True) if isinstance(call, Cancel)]
    book_results = [r for call, r in zip(calls, results, strict=True) if isinstance(call, Book)]
    assert cancel_results == ["ok"] * 10
    assert set(book_results) <= {"ok", "slot_full"}
    # How many newcomers got in depends on how the threads interleaved (none, if every
    # request came before every cancel); the count must be exact whatever the order.
    booked = book_results.count("ok")
    assert 0 <= booked <= 10
    assert monitor.highest <= 100
    with app.app_context():
        held, accounted = seats_accounted(slot_id)
        assert held == accounted == 10 * booked
        if booked < 10:  # the seats the cancels freed are really free again
            late = school_users(1, start=200)[0]
            book_slot(late, slot_id, group_request(**GROUP))
            assert seats_accounted(slot_id) == (10 * (booked + 1), 10 * (booked + 1))


def test_the_database_refuses_overbooking_even_without_the_service(app):
    """The CHECK constraint is the last guard: a direct write past capacity fails."""
    slot = _setup_slot(capacity=20)
    for held in (21, -1):
        with pytest.raises(IntegrityError):
            db.session.execute(update(Slot).where(Slot.id == slot.id).values(held=held))
            db.session.commit()
        db.session.rollback()
    assert seats_accounted(slot.id) == (0, 0)


# -- the same race through a real HTTP server -------------------------------------------------


def _serve(app):
    """A throwaway threaded WSGI server on a free port, with a test-only booking endpoint."""

    def book():  # test-only: the real JSON route is built on top of book_slot separately
        body = request.get_json()
        user = db.session.get(User, body["user_id"])
        try:
            booking = book_slot(user, body["slot_id"], group_request(**GROUP))
        except BookingRefused as refusal:
            return jsonify(error=refusal.code), 409 if refusal.is_conflict else 422
        return jsonify(id=booking.id, code=booking.code, status=booking.status), 201

    app.add_url_rule("/api/test-only/book", "test_only_book", book, methods=["POST"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def test_fifty_concurrent_http_requests(make_app, migrated):
    app = _concurrent_app(make_app, migrated)
    with app.app_context():
        slot_id = _setup_slot().id
        user_ids = [user.id for user in school_users(CALLERS)]
        db.session.remove()
    server, thread = _serve(app)
    url = f"http://127.0.0.1:{server.server_port}/api/test-only/book"
    barrier = threading.Barrier(CALLERS)

    def post(user_id):
        data = json.dumps({"user_id": user_id, "slot_id": slot_id}).encode()
        req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
        barrier.wait()
        try:
            with urllib.request.urlopen(req, timeout=60) as response:  # noqa: S310 (our own server)
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    try:
        with ThreadPoolExecutor(max_workers=CALLERS) as pool:
            answers = list(pool.map(post, user_ids))
    finally:
        server.shutdown()
        thread.join()
        server.server_close()

    statuses = [status for status, _ in answers]
    assert statuses.count(201) == 10
    assert statuses.count(409) == CALLERS - 10
    assert {body["error"] for status, body in answers if status == 409} == {"slot_full"}
    assert all(body["status"] == "pending" for status, body in answers if status == 201)
    with app.app_context():
        assert seats_accounted(slot_id) == (100, 100)
