"""The base of every form: Flask-WTF's, with JSON bodies made safe.

Flask-WTF fills a form from a JSON body when the request is JSON. A body that is not an
object, or values that are numbers, lists or objects, then reach validators written for the
strings a browser sends, and fail with a 500. Here JSON becomes the same flat strings a form
post carries, whether it came to an HTML page or through the API.
"""

from __future__ import annotations

import math

from flask import request
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from flask_wtf.form import _Auto
from werkzeug.datastructures import MultiDict
from wtforms import SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget

from .validators import refuse_control_characters

NOT_NULL = _l("This field cannot be null: leave it out, or send a value.")
ONE_VALUE = _l("Send one value here (text, a number or true/false), not a list or an object.")
FINITE = _l("Send a finite number.")
LIST_OF_VALUES = _l("Send a list of texts or numbers here.")
TEXTS = _l("Send text separated by commas, or a list of texts.")


class JSONFormData(MultiDict):
    """Form data read from a JSON object; ``sent`` keeps the object as it came, so that
    Form.validate can refuse, by field, a value no form field can take."""

    sent: dict = {}


def json_formdata(data) -> JSONFormData:
    """A JSON value as form data: an object's scalar values as strings, lists as repeated
    values; anything else (a number, a list at the top, null) as an empty form. Values that
    are no form value (null, objects, nested lists, infinity) are left out here and refused
    by Form.validate for the field they were sent to."""
    formdata = JSONFormData()
    formdata.sent = data if isinstance(data, dict) else {}
    for key, value in formdata.sent.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, bool):
                formdata.add(key, "y" if item else "")
            elif isinstance(item, str | int) or (isinstance(item, float) and math.isfinite(item)):
                formdata.add(key, str(item))
    return formdata


class TextListField(StringField):
    """Text that is a list (tags): one comma-separated value from a page, or in JSON a list of
    strings, kept as one comma-separated text."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = ", ".join(valuelist)


def json_refusal(field, value):
    """Why a field cannot take this JSON value, or None. Without this, an object or null was
    dropped (a partial edit then emptied the field) and a list filled a one-value field."""
    if isinstance(field, TextListField):
        texts = value if isinstance(value, list) else [value]
        return None if all(isinstance(text, str) for text in texts) else TEXTS
    many = isinstance(field, SelectMultipleField | MultipleFileField)
    if isinstance(value, list) and not many:
        return ONE_VALUE
    for item in value if isinstance(value, list) else [value]:
        if item is None and not isinstance(value, list):
            return NOT_NULL
        if item is None or isinstance(item, dict | list):
            return LIST_OF_VALUES if many else ONE_VALUE
        if isinstance(item, float) and not math.isfinite(item):
            return FINITE
    return None


class _AppCatalogue:
    """WTForms' own messages ("Field cannot be longer than 200 characters.", "Not a valid
    integer value.") from the app's catalogue: WTForms ships no Indonesian one."""

    def gettext(self, string):
        return get_translations().gettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ngettext(singular, plural, n)


APP_CATALOGUE = _AppCatalogue()


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if formdata is _Auto and request.is_json and not request.form and not request.files:
                formdata = json_formdata(request.get_json(silent=True)) if form.is_submitted() else None
            else:
                formdata = super().wrap_formdata(form, formdata)
            form.json_sent = formdata.sent if isinstance(formdata, JSONFormData) else {}
            return formdata

        def get_translations(self, form):
            return APP_CATALOGUE

    json_sent: dict = {}

    def validate(self, extra_validators=None):
        """Every form's rules, plus: text holds no control characters, a JSON value has a shape
        its field can take, and a field shows one error when its value could not be read."""
        extra = {name: list(rules) for name, rules in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            if isinstance(field, StringField):
                extra.setdefault(name, []).append(refuse_control_characters)
        valid = super().validate(extra_validators=extra)
        for field in self._fields.values():
            refusal = json_refusal(field, self.json_sent[field.name]) if field.name in self.json_sent else None
            if refusal is not None:
                field.errors, valid = [refusal], False
            elif field.process_errors:
                # "abc" for a number: the reading error alone, not also the range it then misses
                field.errors = list(field.process_errors)
        return valid


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (venue managers, weekdays, school levels)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
