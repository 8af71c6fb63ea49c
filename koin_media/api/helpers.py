from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..errors import abort_with, error_response
from ..extensions import db
from ..validators import whole_number

MAX_PER_PAGE = 100
MAX_PAGE = 100_000


def json_true(data: dict, name: str) -> bool:
    """A consent the caller must give as JSON ``true``. Form fields read any non-empty text as
    yes, so ``"no"``, ``0`` or ``"off"`` would otherwise count as agreeing."""
    return data.get(name) is True


def validation_error(form_or_errors, **extra):
    errors = form_or_errors if isinstance(form_or_errors, dict) else form_or_errors.errors
    flat = {field: [str(message) for message in messages] for field, messages in errors.items()}
    return error_response(422, _("Some fields are not valid."), errors=flat, **extra)


def page_args() -> tuple[int, int]:
    """``?page=`` and ``?per_page=`` of every list: absent is the default; anything but a whole
    number in range (0, -1, ``abc``, ``per_page=500``) is a 400 naming the parameter."""

    def number(name, default, largest):
        raw = request.args.get(name, "")
        if raw == "":
            return default
        number = whole_number(raw)
        if number is None or not 1 <= number <= largest:
            abort_with(400, _("%(name)s must be a whole number from 1 to %(max)d.", name=name, max=largest))
        return number

    return number("page", 1, MAX_PAGE), number("per_page", 20, MAX_PER_PAGE)


def list_envelope(items: list) -> dict:
    """A list kept in memory (not a select) in the same envelope, paged by the same rule."""
    page, per_page = page_args()
    chosen = items[(page - 1) * per_page : page * per_page]
    return {"items": chosen, "page": page, "per_page": per_page, "total": len(items)}


def paginated(statement, serialize):
    """Run a select one page at a time and answer with the list envelope every list shares."""
    return jsonify(page_envelope(statement, serialize))


def page_envelope(statement, serialize) -> dict:
    """One page of a select in the list envelope: ``{"items": [...], "page", "per_page", "total"}``
    (``?page=&per_page=``), for an answer that carries it whole or as one of its parts."""
    page, per_page = page_args()
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = db.session.scalars(statement.limit(per_page).offset((page - 1) * per_page)).unique()
    return {"items": [serialize(row) for row in rows], "page": page, "per_page": per_page, "total": total}


# Refusal fields named differently in this API's request bodies.
API_FIELD_NAMES = {"attended_students": "students"}


def refusal_response(refusal):
    """A refusal of the booking (and visit) services in the API's one shape: 409 for conflicts,
    422 with ``errors`` for a field, 403 for who is asking, 422 for the rest. Here, not in a
    view module, so every API module answers refusals alike without importing another's views."""
    if refusal.is_conflict:
        return error_response(409, refusal.message, error=refusal.code)
    if refusal.field:
        field = API_FIELD_NAMES.get(refusal.field, refusal.field)
        return error_response(422, refusal.message, error=refusal.code, errors={field: [refusal.message]})
    if refusal.is_forbidden:
        return error_response(403, refusal.message, error=refusal.code)
    return error_response(422, refusal.message, error=refusal.code)
