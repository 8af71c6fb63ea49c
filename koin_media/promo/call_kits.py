"""A call's approved contributions as one promo kit, for the office (promo/kits.py builds it)."""

from __future__ import annotations

from .. import audit
from ..assets.calls import contributions
from ..assets.models import Call
from ..extensions import db
from .kits import request_kit
from .models import Kit


def export_kit(call: Call, staff, purpose: str, *, license_accepted: bool) -> Kit:
    """A kit of every published contribution of ``call``, the newest first, each original;
    KitRefused (kits' own limits and messages) when there is nothing to put in it or too much,
    or the licence is not accepted: staff use the files under the same terms as anyone."""
    assets = db.session.scalars(contributions(call)).all()
    entries = [(asset, "original") for asset in assets]
    kit = request_kit(staff, call.title, entries, purpose, license_accepted=license_accepted)
    audit.record(staff, "call.export", call, kit=kit.token, assets=len(assets))
    db.session.commit()
    return kit
