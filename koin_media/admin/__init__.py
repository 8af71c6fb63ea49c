"""Office tools: the user list for staff, account activation for admins."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
