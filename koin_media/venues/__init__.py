"""Eduwisata venues (the Mandalika circuit, the Meninting Bike Park, …): their public pages,
programs, availability and the office's management of them."""

from flask import Blueprint

bp = Blueprint("venues", __name__)
