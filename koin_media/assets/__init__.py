"""Promotion media assets: upload, verification, processing, moderation, catalog, downloads."""

from flask import Blueprint

bp = Blueprint("assets", __name__)

from . import jobs, moderation, renditions, routes, upload_routes  # noqa: E402,F401
