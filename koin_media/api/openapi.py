"""``GET /api/v1/openapi.json``: the contract of api/contract.py, for clients and the fuzzer."""

from flask import jsonify

from . import bp
from .contract import document


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())
