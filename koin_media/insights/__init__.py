"""The office's picture: a dashboard for staff and admins of visits, schools reached,
downloads and the review queue, each chart with its CSV. Read-only, at the top layer: it reads
the models of every feature and nothing imports it."""

from flask import Blueprint

bp = Blueprint("insights", __name__)
