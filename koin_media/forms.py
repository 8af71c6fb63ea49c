"""The base of every form: Flask-WTF's, with JSON bodies made safe.

Flask-WTF fills a form from a JSON body when the request is JSON. A body that is not an
object, or values that are numbers, lists or objects, then reach validators written for the
strings a browser sends, and fail with a 500. Here JSON becomes the same flat strings a form
post carries, whether it came to an HTML page or through the API.
"""

from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from werkzeug.datastructures import MultiDict


def json_formdata(data) -> MultiDict:
    """A JSON value as form data: an object's scalar values as strings, lists as repeated
    values; anything else (a number, a list at the top, null) as an empty form."""
    formdata = MultiDict()
    if not isinstance(data, dict):
        return formdata
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, bool):
                formdata.add(key, "y" if item else "")
            elif isinstance(item, str | int | float):
                formdata.add(key, str(item))
            # null, nested objects and nested lists carry nothing a form field can take
    return formdata


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if formdata is _Auto and request.is_json and not request.form and not request.files:
                return json_formdata(request.get_json(silent=True)) if form.is_submitted() else None
            return super().wrap_formdata(form, formdata)
