from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..errors import abort_with, error_response
from ..extensions import db
from ..forms import json_formdata
from ..validators import whole_number

MAX_PER_PAGE = 100
MAX_PAGE = 100_000


def json_body() -> dict:
    """The request's JSON object, or a clear 400/415."""
    if not request.is_json:
        abort_with(415, _("Send the data as JSON with the header Content-Type: application/json."))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort_with(400, _("The request body is not a valid JSON object."))
    return data


def json_true(data: dict, name: str) -> bool:
    """A consent the caller must give as JSON ``true``. Form fields read any non-empty text as
    yes, so ``"no"``, ``0`` or ``"off"`` would otherwise count as agreeing."""
    return data.get(name) is True


def form_from_json(form_class, data: dict, **kwargs):
    """Validate JSON with the same form class the HTML page uses (no CSRF field: the API
    checks CSRF for session calls in one hook, and bearer calls need none)."""
    return form_class(formdata=json_formdata(data), meta={"csrf": False}, **kwargs)


def validation_error(form_or_errors):
    errors = form_or_errors if isinstance(form_or_errors, dict) else form_or_errors.errors
    flat = {field: [str(message) for message in messages] for field, messages in errors.items()}
    return error_response(422, _("Some fields are not valid."), errors=flat)


def page_args() -> tuple[int, int]:
    def number(name, default):
        raw = request.args.get(name, "")
        if raw == "":
            return default
        number = whole_number(raw)
        if number is None or number < 1 or number > MAX_PAGE:
            abort_with(400, _("%(name)s must be a whole number of 1 or more.", name=name))
        return number

    return number("page", 1), min(number("per_page", 20), MAX_PER_PAGE)


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
