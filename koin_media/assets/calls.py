"""Calls for content: the office asks the communities for media on one theme ("Bau Nyale 2027",
"Produk tenun Sukarara") by a deadline, with presets an upload into the call starts from (tags,
venue, regency, licence) and details it must have before review.

The one home of a call's rules, asked by the pages, the API, the upload code and the templates:
who sees it (``Call.visible_to``), whether it takes uploads now (``Call.upload_refusal``, a WITA
deadline day that ends at midnight), what an upload into it still lacks (``Call.missing_fields``,
joined into ``Asset.details_complete``); and of its writes (create, edit, open, close, each
audited). It sits in the assets layer so that the upload code can read a call; its pages and the
export as a kit are promo's.
"""

from __future__ import annotations

import re
import unicodedata

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import audit
from ..extensions import db
from ..roles import STAFF
from ..validators import lookup_text
from . import catalog
from .forms import normalise_tags
from .models import (  # the model and its rules live with the asset's (Asset.call)
    CALL_CLOSED,
    CALL_DRAFT,
    CALL_OPEN,
    CALL_STATUSES,
    DETAIL_LABELS,
    RESERVED_SLUGS,
    SLUG_LENGTH,
    Asset,
    Call,
    CallRefused,
    local_day,
)


def missing_detail_text(asset: Asset) -> str:
    """What review still waits for, named for people: "Judul, Deskripsi"."""
    return ", ".join(str(DETAIL_LABELS.get(name, name)) for name in asset.missing_details)


# -- finding calls ----------------------------------------------------------------------------


def call_by_slug(slug: str) -> Call | None:
    if lookup_text(slug, SLUG_LENGTH) is None:
        return None
    return db.session.scalar(select(Call).where(Call.slug == slug))


def get_call(slug: str, user, *, manage: bool = False) -> Call:
    """The call for ``user``: a 404 when it does not exist, when ``user`` may not see it, or, with
    ``manage``, may not manage it (nobody learns that a draft exists)."""
    call = call_by_slug(slug)
    if call is None or not (call.managed_by(user) if manage else call.visible_to(user)):
        abort(404)
    return call


def listed(user):
    """The select of the calls ``user`` sees: those taking uploads first (the soonest deadline
    first), then drafts (staff), then the closed ones and those past their deadline (the most
    recent deadline first)."""
    today = local_day()
    taking = (Call.status == CALL_OPEN) & (Call.deadline >= today)
    rank = case((taking, 0), (Call.status == CALL_DRAFT, 1), else_=2)
    statement = (
        select(Call)
        # Every row shows its venue and regency (the page, the API): loaded with the page, not per row.
        .options(selectinload(Call.venue), selectinload(Call.regency))
        .order_by(rank, case((taking, Call.deadline)).asc(), Call.deadline.desc(), Call.id.desc())
    )
    if not (user is not None and getattr(user, "is_authenticated", False) and user.has_role(STAFF)):
        statement = statement.where(Call.status != CALL_DRAFT)
    return statement


def for_upload(slug, started: Call | None = None, user=None) -> Call:
    """The call an upload names (``?call=`` or ``metadata.call``, its slug): a 404 for no such
    call, or a draft ``user`` may not see (so its slug does not tell that it exists); CallRefused
    when it takes no uploads now (a draft, closed, or past its deadline). ``started``: the call
    the upload was started into, which it may still finish into."""
    if not isinstance(slug, str):
        raise CallRefused("call_invalid", _("Name the call by its slug, as text."), 422, "call")
    if started is not None and started.slug == slug:
        return started
    call = call_by_slug(slug)
    if call is None or not call.visible_to(user):
        abort(404)
    refusal = call.upload_refusal()
    if refusal is not None:
        raise refusal
    return call


def with_presets(call: Call, details: dict, asset: Asset | None = None) -> dict:
    """Upload ``details`` (validated) linked to the call, with its presets where the upload leaves
    a field empty (its licence, venue, regency) and its tags in front of the upload's own.
    ``asset``: the asset being completed, whose values stand for the fields not sent again."""
    merged = dict(details)
    for name in ("license", "venue", "regency"):
        if not (merged[name] if name in merged else getattr(asset, name, None)):
            merged[name] = getattr(call, name)
    own = merged["tags"] if "tags" in merged else getattr(asset, "tags", "")
    merged["tags"] = normalise_tags(", ".join(t for t in (call.tags, own or "") if t))
    merged["call"] = call
    return merged


def preset_details(call: Call) -> dict:
    """What the upload forms start from: the presets as form values (slugs for references)."""
    return {
        "license": call.license,
        "venue": call.venue.slug if call.venue else "",
        "regency": call.regency.slug if call.regency else "",
        "tags": call.tags,
    }


# -- its contributions ------------------------------------------------------------------------


def contributions(call: Call):
    """The select of its published assets (``Asset.public_clause``), newest first."""
    return (
        select(Asset)
        .where(Asset.call_id == call.id, Asset.public_clause())
        .order_by(Asset.approved_at.desc(), Asset.id.desc())
    )


def contribution_cards(call: Call, per_page: int, page: int = 1) -> tuple[list[catalog.Card], int]:
    """One page of its published assets as catalogue cards (one query for the cards, one for
    the count), and how many there are."""
    where = (Asset.call_id == call.id, Asset.public_clause())
    total = db.session.scalar(select(func.count()).select_from(Asset).where(*where))
    statement = (
        select(*catalog.CARD_COLUMNS, *catalog.REFERENCE_COLUMNS)
        .where(*where)
        .order_by(Asset.approved_at.desc(), Asset.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return catalog.cards(statement), total


def contribution_counts(calls: list[Call]) -> dict[int, int]:
    """Published assets per call, for a list of calls (one grouped query)."""
    if not calls:
        return {}
    rows = db.session.execute(
        select(Asset.call_id, func.count())
        .where(Asset.call_id.in_([c.id for c in calls]), Asset.public_clause())
        .group_by(Asset.call_id)
    )
    return dict(rows.all())


# -- writes -----------------------------------------------------------------------------------

CALL_FIELDS = ("title", "brief", "deadline", "tags", "venue", "regency", "license", "required_fields")


def slug_base(title: str) -> str:
    """``title`` as a URL-safe slug: letters without accents, digits and dashes."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[: SLUG_LENGTH - 4].strip("-")
    return slug or "panggilan"


def _free_slug(title: str) -> str:
    base = slug_base(title)
    taken = set(db.session.scalars(select(Call.slug).where(Call.slug.like(f"{base}%"))))
    slug, number = base, 1
    while slug in taken or slug in RESERVED_SLUGS:
        number += 1
        slug = f"{base}-{number}"
    return slug


def save_call(call: Call | None, values: dict, staff) -> Call:
    """Create a call (``call`` None: a draft, unless ``values`` says "status") or edit one with
    the validated ``values`` (CallForm.cleaned); audited and committed."""
    status = values.get("status")
    if call is None:
        call = Call(created_by_id=staff.id, status=CALL_DRAFT)
        action, changed = "call.create", None
    else:
        action = "call.update"
        names = (*CALL_FIELDS, "status")
        changed = sorted(name for name in names if values.get(name) is not None and values[name] != getattr(call, name))
    for name in CALL_FIELDS:
        if name in values:
            setattr(call, name, values[name])
    if status and status != call.status:
        _set_status(call, status)
    if call.id is None:
        for attempt in range(3):
            call.slug = _free_slug(call.title)
            db.session.add(call)
            try:
                db.session.flush()
                break
            except IntegrityError:
                # Another call took the slug between the look and the write: try the next one.
                db.session.rollback()
                if attempt == 2:
                    raise
                db.session.add(call)
    audit.record(staff, action, call, title=call.title, **({"changed": changed} if changed is not None else {}))
    db.session.commit()
    return call


def set_status(call: Call, status: str, staff) -> None:
    """Open, close or return a call to draft; CallRefused when opening with a past deadline."""
    if status == call.status:
        return
    _set_status(call, status)
    audit.record(staff, STATUS_ACTIONS[status], call, title=call.title)
    db.session.commit()


# The audit code of each change of status (their words: audit.ACTION_LABELS).
STATUS_ACTIONS = {CALL_OPEN: "call.open", CALL_CLOSED: "call.closed", CALL_DRAFT: "call.draft"}


def _set_status(call: Call, status: str) -> None:
    if status not in CALL_STATUSES:
        raise CallRefused("wrong_status", _("Choose open, closed or draft."), 422, "status")
    if status == CALL_OPEN:
        refusal = call.opening_refusal()
        if refusal is not None:
            raise refusal
    call.status = status
