"""The versioned JSON API. Session (with CSRF) or bearer token; one list envelope."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import assets, auth, bookings, reference, schools, users, venues  # noqa: E402,F401
