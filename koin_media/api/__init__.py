"""The versioned JSON API. Session (with CSRF) or bearer token; one list envelope."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
