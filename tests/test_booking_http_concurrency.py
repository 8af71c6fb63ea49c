"""Must show, through the real JSON API on a real threaded HTTP server: 50 schools ask for 10
seats each of a 100-seat slot at the same moment — exactly 10 get a booking, 40 get
slot_full, and the held count ends at 100."""

import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from koin_media.accounts.services import create_token
from koin_media.booking.models import Booking, Slot
from koin_media.extensions import db

from .booking_helpers import make_program, make_slot, request_fields, school_users, seats_accounted

CALLERS = 50


def test_fifty_concurrent_http_requests_for_a_hundred_seats(make_app, live_server):
    app = make_app(RATELIMIT_ENABLED=False)
    with app.app_context():
        slot = make_slot(make_program(min_students=5), capacity=100)
        tokens = [create_token(user, "race")[1] for user in school_users(CALLERS, start=100)]
        slot_id = slot.id
    server = live_server(app)
    start = threading.Barrier(CALLERS)

    def ask(token: str):
        body = request_fields(slot_id=slot_id, students=8, teachers=2)
        start.wait()
        answer = requests.post(
            f"{server.url}/api/v1/bookings", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        return answer.status_code, answer.json()

    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        results = list(pool.map(ask, tokens))

    statuses = sorted(status for status, _body in results)
    assert statuses.count(201) == 10 and statuses.count(409) == 40, statuses
    assert all(body["error"] == "slot_full" for status, body in results if status == 409)
    with app.app_context():
        assert db.session.get(Slot, slot_id).held == 100
        assert seats_accounted(slot_id) == (100, 100)
        assert db.session.scalar(db.select(db.func.count()).select_from(Booking)) == 10
