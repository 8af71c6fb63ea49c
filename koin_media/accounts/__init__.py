"""People and their access: accounts, sessions, API tokens, e-mail links and school coordinators."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
