"""Booking pages (filled in by the booking work of issue 4)."""

from flask import Blueprint

bp = Blueprint("booking", __name__)
