"""What businesses and the office make of the catalogue: collections of assets, promo kits
(a ZIP of a collection's files with their credits, built by the worker) and calls for content."""

from flask import Blueprint

bp = Blueprint("promo", __name__)
