"""Reading JSON request bodies without letting one crash the request.

The standard library parses nested arrays and objects recursively: a body of 100,000 ``[``
raises RecursionError, which is not the ValueError Flask turns into "not JSON", so it became
a 500. Here it is a ValueError like any other malformed body: ``get_json(silent=True)`` gives
None (the API then answers 400 with a message) and ``get_json()`` a 400.
"""

from __future__ import annotations

from flask import request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _

from .errors import abort_with
from .forms import json_formdata


class BoundedJSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def json_body() -> dict:
    """The request's JSON object, or a clear 400/415. An empty body (no Content-Type, or
    Content-Length 0) is ``{}``: every JSON call takes it alike, so an action whose fields are
    all optional (``/confirm``, ``/cancel``, ``/verify``) needs no body and no header."""
    if not request.get_data(cache=True):
        return {}
    if not request.is_json:
        abort_with(415, _("Send the data as JSON with the header Content-Type: application/json."))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort_with(400, _("The request body is not a valid JSON object."))
    return data


def form_from_json(form_class, data: dict, **kwargs):
    """Validate JSON with the same form class the HTML page uses (no CSRF field: the API
    checks CSRF for session calls in one hook, and bearer calls need none)."""
    return form_class(formdata=json_formdata(data), meta={"csrf": False}, **kwargs)
