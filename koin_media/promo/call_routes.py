"""Calls for content: everyone's list (``/calls``) and a call's page (``/calls/<slug>``, with its
published contributions and, while it takes uploads, the way into the uploader); staff create,
edit, open and close calls and export the contributions as a promo kit. The rules are the
call's (assets/calls.py): a draft is a 404 to anyone but staff."""

from __future__ import annotations

import math

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import roles_required
from ..assets.calls import contribution_cards, contribution_counts, get_call, listed, save_call, set_status
from ..assets.links import thumbnails
from ..assets.models import (
    CALL_CLOSED,
    CALL_DRAFT,
    CALL_OPEN,
    CALL_STATE_LABELS,
    DOWNLOAD_PURPOSES,
    REQUIRED_FIELDS,
    CallRefused,
)
from ..extensions import db
from ..roles import STAFF
from ..validators import page_number
from . import bp
from .call_forms import CallForm
from .call_kits import export_kit
from .kits import KitRefused

CALLS_PER_PAGE = 20
CARDS_PER_PAGE = 24


@bp.app_context_processor
def call_labels():
    # The presets (templates/promo/call_presets.html) also show above the uploader, an assets page.
    return {"call_state_labels": CALL_STATE_LABELS, "call_required_labels": REQUIRED_FIELDS}


def _calls_page():
    return db.paginate(
        listed(current_user),
        page=page_number(request.args.get("page")),
        per_page=CALLS_PER_PAGE,
        max_per_page=CALLS_PER_PAGE,
        error_out=False,
    )


@bp.get("/calls")
def calls():
    return render_template("promo/calls.html", page=_calls_page())


@bp.get("/calls/<slug>")
def call_page(slug):
    call = get_call(slug, current_user)
    number = page_number(request.args.get("page"))
    cards, total = contribution_cards(call, CARDS_PER_PAGE, number)
    return render_template(
        "promo/call.html",
        call=call,
        cards=cards,
        thumbs=thumbnails(cards),
        total=total,
        number=number,
        pages=max(1, math.ceil(total / CARDS_PER_PAGE)),
        purposes=DOWNLOAD_PURPOSES,
    )


@bp.get("/calls/manage")
@roles_required(STAFF)
def calls_manage():
    page = _calls_page()
    return render_template("promo/calls_manage.html", page=page, counts=contribution_counts(page.items))


def _form_page(form: CallForm, call=None):
    return render_template("promo/call_form.html", form=form, call=call), 422 if form.errors else 200


@bp.route("/calls/new", methods=["GET", "POST"])
@roles_required(STAFF)
def call_new():
    form = CallForm().load_choices()
    if form.validate_on_submit():
        call = save_call(None, form.cleaned(), current_user)
        flash(_("The call is saved as a draft: only the office sees it until you open it."), "success")
        return redirect(url_for("promo.call_page", slug=call.slug), 303)
    return _form_page(form)


@bp.route("/calls/<slug>/edit", methods=["GET", "POST"])
@roles_required(STAFF)
def call_edit(slug):
    call = get_call(slug, current_user, manage=True)
    form = CallForm().load_choices().for_call(call)
    if request.method == "GET":
        form.fill_from(call)
    if form.validate_on_submit():
        save_call(call, form.cleaned(), current_user)
        flash(_("The call is saved."), "success")
        return redirect(url_for("promo.call_page", slug=call.slug), 303)
    return _form_page(form, call)


STATUS_MESSAGES = {
    CALL_OPEN: _l("The call is open: creators can upload into it until the end of its deadline day."),
    CALL_CLOSED: _l("The call is closed: it takes no more uploads."),
    CALL_DRAFT: _l("The call is a draft again: only the office sees it."),
}


@bp.post("/calls/<slug>/status")
@roles_required(STAFF)
def call_status(slug):
    call = get_call(slug, current_user, manage=True)
    status = request.form.get("status", "")
    try:
        set_status(call, status, current_user)
    except CallRefused as refused:
        flash(str(refused.message), "error")
    else:
        flash(str(STATUS_MESSAGES[status]), "success")
    return redirect(url_for("promo.call_page", slug=call.slug), 303)


@bp.post("/calls/<slug>/kit")
@roles_required(STAFF)
def call_kit(slug):
    call = get_call(slug, current_user, manage=True)
    try:
        kit = export_kit(
            call,
            current_user,
            request.form.get("purpose", ""),
            license_accepted=bool(request.form.get("accept_license")),
        )
    except KitRefused as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("promo.call_page", slug=call.slug, _anchor="call-export"), 303)
    return redirect(url_for("promo.kit_page", token=kit.token), 303)
