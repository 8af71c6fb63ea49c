from flask import jsonify
from sqlalchemy import select

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
