"""Eduwisata venues (the Mandalika circuit, the Meninting Bike Park, …): the venue, who manages
it, and the pages that create and edit it. Its public pages, programs and sessions are
booking's and attach to this blueprint (``booking.venue_pages``, ``booking.schedule_views``)."""

from flask import Blueprint

bp = Blueprint("venues", __name__)
