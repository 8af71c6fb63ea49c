"""The only code that changes a slot's held seats.

Seats are taken and given back with conditional UPDATEs that the database evaluates on the
current row, never with a count read into Python first: on PostgreSQL the UPDATE locks the row
and re-checks its condition after a concurrent writer commits; on SQLite the writing
transaction already holds the database write lock (BEGIN IMMEDIATE, see database.py). The
CHECK constraints ``held >= 0`` and ``held <= capacity`` on ``slots`` are the last guard.
Callers change the booking's or waitlist entry's state in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import inspect, update

from ..extensions import db
from .models import Slot


class SeatAccountingError(RuntimeError):
    """Giving back more seats than a slot holds: a bug, never a user's mistake."""


def _refresh_held(slot_id: int) -> None:
    slot = db.session.identity_map.get(inspect(Slot).identity_key_from_primary_key((slot_id,)))
    if slot is not None:
        db.session.expire(slot, ["held"])


def hold(slot_id: int, seats: int) -> bool:
    """Take ``seats`` in an open slot if they fit; False (nothing changed) when they do not."""
    if seats <= 0:
        raise ValueError("seats must be positive")
    result = db.session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.is_open.is_(True), Slot.held + seats <= Slot.capacity)
        .values(held=Slot.held + seats)
        .execution_options(synchronize_session=False)
    )
    _refresh_held(slot_id)
    return result.rowcount == 1


def give_back(slot_id: int, seats: int) -> None:
    """Return seats to a slot (open or closed)."""
    if seats <= 0:
        raise ValueError("seats must be positive")
    result = db.session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.held >= seats)
        .values(held=Slot.held - seats)
        .execution_options(synchronize_session=False)
    )
    _refresh_held(slot_id)
    if result.rowcount != 1:
        raise SeatAccountingError(f"slot {slot_id} holds fewer than {seats} seats")
