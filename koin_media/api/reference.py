from flask import current_app, jsonify
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from sqlalchemy import select

from ..errors import error_response
from ..extensions import limiter
from ..reference import schools
from ..reference.data import Sector
from ..reference.models import Community, Regency
from . import bp
from .helpers import list_envelope, paginated


def _slug_and_name(row) -> dict:
    return {"slug": row.slug, "name": row.name}


@bp.get("/communities")
def communities():
    return paginated(select(Community).order_by(Community.name), _slug_and_name)


@bp.get("/regencies")
def regencies():
    return paginated(select(Regency).order_by(Regency.name), _slug_and_name)


@bp.get("/sectors")
def sectors():
    return jsonify(list_envelope([_slug_and_name(sector) for sector in Sector.all()]))


# Each lookup counts, found or not, per client address: typing one NPSN takes a few, and walking
# the 8-digit space to learn which schools are loaded would take years. What a lookup answers is
# the public reference record only, never whether the school uses KOIN.
@bp.get("/schools/reference/<npsn>")
@limiter.limit(
    lambda: current_app.config["RATELIMIT_SCHOOL_LOOKUP"], key_func=get_remote_address, scope="school-lookup"
)
def school_reference(npsn):
    if not schools.NPSN_PATTERN.match(npsn):
        return error_response(422, _("An NPSN is exactly 8 digits, for example 50201234."), error="invalid_npsn")
    row = schools.find(npsn)
    if row is None:
        message = _(
            "NPSN %(npsn)s is not in the national school reference loaded here. If the number is right, "
            "fill in the school's details yourself.",
            npsn=npsn,
        )
        return error_response(404, message, error="not_in_reference")
    return jsonify(schools.school_json(row))
