"""The focus point of a photo's social crops, set from its edit page (templates/assets/_focus.html)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import login_required
from ..errors import abort_with
from ..media.crops import CROP_SIZES
from . import bp, crops, services
from .downloads import CROP_LABELS
from .forms import FocusForm


@bp.post("/assets/<int:asset_id>/focus")
@login_required
def set_focus(asset_id):
    asset = services.get_asset(asset_id, current_user, manage=True)
    form = FocusForm()
    if not form.validate_on_submit():
        # The number inputs allow only 0-100 in a browser: this is a hand-made request.
        field = form.focus_x if form.focus_x.errors else form.focus_y
        abort_with(422, f"{field.label.text}: {field.errors[0]}")
    try:
        changed = crops.set_focus(asset, *form.point())
    except crops.NoFocusPoint:
        abort_with(409, _("Only processed photos have a focus point."))
    if changed:
        flash(_("Focus point saved. The social media formats are being made around it."), "success")
    else:
        flash(_("The focus point is unchanged."), "info")
    return redirect(url_for("assets.edit", asset_id=asset.id, _anchor="focus"), 303)


def _short(ratio: str) -> str:
    """A ratio as "9:16" or "1.91:1" (from "9x16", "191x1"): what fits inside an outline on a phone; the legend
    below the picture names the format in full, in the outline's colour."""
    across, down = ratio.split("x")
    return f"{across[0]}.{across[1:]}:{down}" if len(across) == 3 else f"{across}:{down}"


@bp.context_processor
def crop_frames():
    """The formats the focus editor outlines on the picture: ratio and name of each crop."""
    return {
        "crop_frames": [
            {"name": ratio, "width": width, "height": height, "label": str(CROP_LABELS[ratio]), "short": _short(ratio)}
            for ratio, (width, height) in CROP_SIZES.items()
        ]
    }
