"""Promotion media assets: upload, verification, processing, moderation, catalog, downloads."""

from flask import Blueprint

bp = Blueprint("assets", __name__)
