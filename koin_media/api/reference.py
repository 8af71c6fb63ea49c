from flask import jsonify
from sqlalchemy import select

from ..reference.data import SECTORS
from ..reference.models import Community, Regency
from . import bp
from .helpers import paginated


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
    items = [{"slug": key, "name": str(label)} for key, label in SECTORS.items()]
    return jsonify(items=items, page=1, per_page=len(items), total=len(items))
