from flask import request

from ..access import roles_required
from ..accounts.services import user_query
from ..roles import ROLES, STAFF
from . import bp
from .helpers import paginated
from .shapes import user_json


@bp.get("/users")
@roles_required(STAFF)
def users():
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    return paginated(user_query(request.args.get("q"), role), user_json)
