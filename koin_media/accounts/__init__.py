from flask import Blueprint

bp = Blueprint("accounts", __name__)

from . import coordinator_routes, routes, session_routes  # noqa: E402,F401
