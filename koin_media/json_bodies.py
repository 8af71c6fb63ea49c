"""Reading JSON request bodies without letting one crash the request.

The standard library parses nested arrays and objects recursively: a body of 100,000 ``[``
raises RecursionError, which is not the ValueError Flask turns into "not JSON", so it became
a 500. Here it is a ValueError like any other malformed body: ``get_json(silent=True)`` gives
None (the API then answers 400 with a message) and ``get_json()`` a 400.
"""

from __future__ import annotations

from flask.json.provider import DefaultJSONProvider


class BoundedJSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
