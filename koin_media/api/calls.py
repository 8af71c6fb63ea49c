"""``/api/v1`` calls for content: the list and one call with its published contributions
(anyone; a draft only for staff), and staff's create and edit (with ``status``). The same rules
and writes as the pages (assets/calls.py, promo/call_forms.py)."""

from __future__ import annotations

from flask import jsonify, url_for
from flask_login import current_user

from ..access import roles_required
from ..assets.calls import contribution_cards, get_call, listed, save_call
from ..assets.models import Call, CallRefused
from ..errors import error_response
from ..extensions import db
from ..json_bodies import form_from_json, json_body
from ..localtime import iso_utc
from ..promo.call_forms import ApiCallForm, call_values
from ..roles import STAFF
from . import bp
from .helpers import page_args, paginated, validation_error
from .shapes import asset_summary_json


def call_json(call: Call) -> dict:
    takes = call.takes_uploads()
    return {
        "slug": call.slug,
        "title": call.title,
        "brief": call.brief,
        "status": call.status,
        "state": call.state,
        "deadline": call.deadline.isoformat(),
        "closes_at": iso_utc(call.closes_at),
        "takes_uploads": takes,
        "tags": call.tag_list,
        "venue": call.venue.slug if call.venue else None,
        "regency": call.regency.slug if call.regency else None,
        "license": call.license,
        "required_fields": call.required,
        "created_at": iso_utc(call.created_at),
        "links": {
            "page": url_for("promo.call_page", slug=call.slug, _external=True),
            "upload": url_for("assets.upload_page", call=call.slug, _external=True) if takes else None,
        },
    }


@bp.get("/calls")
def calls():
    return paginated(listed(current_user), call_json)


@bp.get("/calls/<slug>")
def call(slug):
    found = get_call(slug, current_user)
    page, per_page = page_args()
    cards, total = contribution_cards(found, per_page, page)
    # Each contribution as the catalogue's list shows an asset.
    items = [asset_summary_json(card) for card in cards]
    contributions = {"items": items, "page": page, "per_page": per_page, "total": total}
    return jsonify({**call_json(found), "contributions": contributions})


def _saved(call: Call | None, data: dict):
    """Validate ``data`` (over the call's values, so an edit sends only what changes) and save."""
    form = form_from_json(ApiCallForm, {**(call_values(call) if call is not None else {}), **data}).load_choices()
    form.for_call(call, form.status.data)
    if not form.validate():
        return None, validation_error(form)
    values = {**form.cleaned(), **({"status": form.status.data} if form.status.data else {})}
    try:
        return save_call(call, values, current_user), None
    except CallRefused as refused:
        db.session.rollback()
        errors = {"errors": {refused.field: [str(refused.message)]}} if refused.field else {}
        return None, error_response(refused.status, refused.message, error=refused.code, **errors)


@bp.post("/calls")
@roles_required(STAFF)
def create_call():
    saved, refusal = _saved(None, json_body())
    if refusal is not None:
        return refusal
    response = jsonify(call_json(saved))
    response.status_code = 201
    response.headers["Location"] = url_for("api.call", slug=saved.slug, _external=True)
    return response


@bp.post("/calls/<slug>")
@roles_required(STAFF)
def update_call(slug):
    data = json_body()
    saved, refusal = _saved(get_call(slug, current_user, manage=True), data)
    return refusal if refusal is not None else jsonify(call_json(saved))
