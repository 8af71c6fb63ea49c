"""Who acts for a school: verifying schools and approving their coordinators.

NPSNs are public, so naming one at registration proves nothing. Every coordinator starts
*pending* (``User.join_school``) and sees only their own account until someone who already
acts for the school, or the office, approves them:

- a new school's first coordinator is approved when office staff verify the school;
- a further coordinator of a school is approved (or rejected) by office staff or by an
  approved coordinator of that same school.

A rejected coordinator keeps their account, still linked to the school with the state
``rejected``: they see that the school declined and whom to contact, cannot ask again to
flood the school's coordinators with requests, and the office can still reverse the decision
(a coordinator who was rejected by mistake). Office staff may also reject an approved
coordinator, which ends that account's access to the school (a teacher who left).

Each function is one transaction that writes the audit log, sends ``coordinator_changed``
(the notifications write the outbox in the same transaction) and commits. The rule itself,
"this account acts for that school", is ``User.acts_for_school`` / ``User.is_approved_coordinator``.
"""

from __future__ import annotations

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, exists, func, select, update

from .. import audit
from ..database import utcnow
from ..extensions import db
from ..roles import SCHOOL, STAFF
from .models import (
    COORDINATOR_APPROVED,
    COORDINATOR_PENDING,
    COORDINATOR_REJECTED,
    School,
    User,
    approved_coordinators,
)
from .signals import coordinator_changed

MESSAGES = {
    "not_allowed": _l("Only office staff or an approved coordinator of this school can decide this."),
    "already_decided": _l("Someone else has decided about this coordinator in the meantime."),
    "not_pending": _l("This coordinator is not waiting for a decision."),
    "own_membership": _l("You cannot decide about your own membership."),
}


class CoordinatorRefused(Exception):
    """A decision about a coordinator that is not allowed or no longer possible."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code])

    @property
    def status(self) -> int:
        return 403 if self.code in ("not_allowed", "own_membership") else 409


# -- who may decide ----------------------------------------------------------------------------


def may_decide(actor, coordinator: User) -> bool:
    """Office staff (and admins) decide about any coordinator; an approved coordinator about
    the others of their own school, never about themselves."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if actor.has_role(STAFF):
        return True
    return actor.id != coordinator.id and actor.acts_for_school(coordinator.school_id)


def coordinator_of_school_or_none(school: School, user_id: int) -> User | None:
    """The account ``user_id`` if it is a coordinator (of any state) of ``school``."""
    user = db.session.get(User, user_id)
    if user is None or user.school_id != school.id or user.role != SCHOOL:
        return None
    return user


def school_by_npsn(npsn: str) -> School | None:
    return db.session.scalar(select(School).where(School.npsn == npsn))


def decidable_coordinator_or_abort(npsn: str, user_id: int) -> User:
    """The coordinator ``user_id`` of the school ``npsn``, for someone who may decide about the
    school's coordinators; 403 for anyone else before anything about the account is revealed."""
    school = school_by_npsn(npsn)
    if school is None:
        abort(404)
    if not (current_user.has_role(STAFF) or current_user.acts_for_school(school.id)):
        abort(403)
    coordinator = coordinator_of_school_or_none(school, user_id)
    if coordinator is None:
        abort(404)
    return coordinator


# -- the queue ---------------------------------------------------------------------------------


def _pending_clause():
    return and_(User.role == SCHOOL, User.coordinator_status == COORDINATOR_PENDING, User.active.is_(True))


def schools_awaiting_verification():
    """Unverified schools someone is still asking to coordinate for, oldest first. A school
    whose only coordinators were rejected (a made-up school) leaves the queue."""
    someone_waiting = exists().where(User.school_id == School.id, _pending_clause())
    return select(School).where(School.verified_at.is_(None), someone_waiting).order_by(School.created_at, School.id)


def coordinators_awaiting_approval(school_id: int | None = None):
    """Pending coordinators of verified schools, oldest first (those of unverified schools are
    decided together with their school); with ``school_id``, of that school only."""
    statement = (
        select(User)
        .join(School, User.school_id == School.id)
        .where(_pending_clause(), School.verified_at.is_not(None))
        .order_by(User.created_at, User.id)
    )
    if school_id is not None:
        statement = statement.where(User.school_id == school_id)
    return statement


def pending_coordinators_of(school_id: int):
    """Everyone waiting to coordinate for this school, oldest first (an approved coordinator's
    account page)."""
    return select(User).where(User.school_id == school_id, _pending_clause()).order_by(User.created_at, User.id)


def count_of(statement):
    """A select counting the rows of ``statement``."""
    return select(func.count()).select_from(statement.order_by(None).subquery())


def queue_size() -> int:
    """Schools and coordinators waiting for the office, in one query (the navigation badge)."""
    schools = count_of(schools_awaiting_verification()).scalar_subquery()
    people = count_of(coordinators_awaiting_approval()).scalar_subquery()
    return int(db.session.scalar(select(schools + people)) or 0)


def coordinators_by_school(school_ids: list[int]) -> dict[int, list[User]]:
    """Every coordinator of these schools, oldest first, for listing them beside the school."""
    found: dict[int, list[User]] = {}
    if school_ids:
        rows = db.session.scalars(select(User).where(User.school_id.in_(school_ids)).order_by(User.created_at, User.id))
        for user in rows:
            found.setdefault(user.school_id, []).append(user)
    return found


def founding_coordinator(school: School) -> User | None:
    """The school's earliest coordinator, the one who registered it."""
    return db.session.scalar(
        select(User).where(User.school_id == school.id, User.role == SCHOOL).order_by(User.created_at, User.id).limit(1)
    )


# -- decisions ---------------------------------------------------------------------------------


def _set_status(coordinator: User, expected: str, new: str, now) -> None:
    """Change the state only if nobody changed it meanwhile (two approvers at once)."""
    result = db.session.execute(
        update(User)
        .where(User.id == coordinator.id, User.coordinator_status == expected)
        .values(coordinator_status=new, coordinator_decided_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise CoordinatorRefused("already_decided")
    db.session.refresh(coordinator)


def _check(actor, coordinator: User, allowed_from: tuple[str, ...]) -> None:
    if actor is not None and actor.id == coordinator.id:
        raise CoordinatorRefused("own_membership")
    if not may_decide(actor, coordinator):
        raise CoordinatorRefused("not_allowed")
    # Coordinators decide about pending requests only; the office may also reverse a decision.
    states = allowed_from if actor.has_role(STAFF) else (COORDINATOR_PENDING,)
    if coordinator.coordinator_status not in states:
        raise CoordinatorRefused("not_pending")


def approve_coordinator(coordinator: User, actor) -> User:
    """Let ``coordinator`` act for their school (see the module docstring for who may)."""
    return _decide(coordinator, actor, COORDINATOR_APPROVED, (COORDINATOR_PENDING, COORDINATOR_REJECTED))


def reject_coordinator(coordinator: User, actor) -> User:
    """Refuse ``coordinator`` (or, by the office, take an approval back)."""
    return _decide(coordinator, actor, COORDINATOR_REJECTED, (COORDINATOR_PENDING, COORDINATOR_APPROVED))


def _decide(coordinator: User, actor, status: str, allowed_from: tuple[str, ...]) -> User:
    try:
        _check(actor, coordinator, allowed_from)
    except CoordinatorRefused:
        db.session.rollback()
        raise
    previous = coordinator.coordinator_status
    _set_status(coordinator, previous, status, utcnow())
    action = "approved" if status == COORDINATOR_APPROVED else "rejected"
    audit.record(actor, f"coordinator.{action[:-1]}", coordinator, school_id=coordinator.school_id, was=previous)
    coordinator_changed.send(coordinator, action=action, actor=actor)
    db.session.commit()
    return coordinator


def verify_school(school: School, actor) -> bool:
    """Mark a school's NPSN as checked by the office, approving the coordinator who registered
    it (the person the office checked with it); returns False if it already was verified."""
    if school.verified_at is not None:
        return False
    now = utcnow()
    school.verified_at = now
    audit.record(actor, "school.verify", school, npsn=school.npsn)
    founder = founding_coordinator(school)
    if founder is not None and founder.coordinator_status == COORDINATOR_PENDING and founder.active:
        founder.coordinator_status = COORDINATOR_APPROVED
        founder.coordinator_decided_at = now
        db.session.flush()
        audit.record(actor, "coordinator.approve", founder, school_id=school.id, was=COORDINATOR_PENDING)
        coordinator_changed.send(founder, action="approved", actor=actor)
    db.session.commit()
    return True


def announce_waiting(coordinator: User, new_school: bool) -> None:
    """Tell the office (and the school's approved coordinators) that someone waits; inside the
    registration's transaction, which commits."""
    coordinator_changed.send(coordinator, action="waiting", actor=coordinator, new_school=new_school)


def approvers_by_school(school_ids) -> dict[int, list[User]]:
    """The approved coordinators of each of these schools, in one query (the office's queue)."""
    return {
        school_id: [user for user in users if user.is_approved_coordinator]
        for school_id, users in coordinators_by_school(list(school_ids)).items()
    }


def approvers_of(school_id: int) -> list[User]:
    """The school's approved coordinators, who may decide about a new one."""
    return list(db.session.scalars(approved_coordinators(school_id)))
