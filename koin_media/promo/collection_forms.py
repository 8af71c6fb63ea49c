"""The forms of collections, for the pages and the API alike; their rules are
``promo.collections``' (a form only carries them to the field at fault)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, NumberRange, ValidationError

from ..forms import Form
from ..validators import MAX_DATABASE_ID
from .collections import CollectionRefused, check_name

NOT_TEXT = _l("Send the collection's name as text with at least one visible character.")


class CollectionNameForm(Form):
    name = StringField(_l("Name"), render_kw={"maxlength": 120, "autocomplete": "off"})

    def validate_name(self, field):
        if field.errors:
            return  # the base form's control-character refusal already said what is wrong
        if field.name in self.json_sent and not isinstance(self.json_sent[field.name], str):
            # JSON true or 123 would become the name "y" or "123"
            raise ValidationError(NOT_TEXT)
        try:
            field.data = check_name(field.data)
        except CollectionRefused as refused:
            raise ValidationError(str(refused.message)) from None


class NewCollectionForm(CollectionNameForm):
    """The add page's "new collection" part: its name is asked only when that button is used."""

    name = StringField(_l("New collection"), render_kw={"maxlength": 120, "autocomplete": "off"})


class AddItemForm(Form):
    """``POST /api/v1/collections/<id>/items``: the asset and the version a kit takes."""

    asset_id = IntegerField(_l("Asset"), validators=[InputRequired(), NumberRange(min=1, max=MAX_DATABASE_ID)])
    variant = StringField(_l("Version for the kit"), default="original")
