"""The venue form (the programs' and sessions' forms are ``booking.program_forms``)."""

from __future__ import annotations

import math
import re

from flask_babel import lazy_gettext as _l
from wtforms import (
    FloatField,
    SelectChoice,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..accounts.forms import EmailField, ReferenceField
from ..forms import CheckboxesField, Form
from ..reference.models import Regency
from ..validators import normalise_indonesian_phone, strip_text

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def finite(form, field):
    """NumberRange lets NaN through (every comparison with it is false)."""
    if field.data is not None and not math.isfinite(field.data):
        raise ValidationError(_l("Enter a number."))


class VenueForm(Form):
    slug = StringField(
        _l("Address name (slug)"),
        description=_l("Lower-case letters, digits and dashes, e.g. sirkuit-mandalika. It cannot be changed later."),
        validators=[DataRequired(message=_l("Enter a slug.")), Length(max=80)],
        filters=[strip_text],
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Enter the venue's name.")), Length(max=160)],
        filters=[strip_text],
    )
    description_id = TextAreaField(_l("Description in Indonesian"), validators=[Length(max=5000)], filters=[strip_text])
    description_en = TextAreaField(_l("Description in English"), validators=[Length(max=5000)], filters=[strip_text])
    address = StringField(_l("Address"), validators=[Length(max=255)], filters=[strip_text])
    regency = ReferenceField(
        _l("Regency"), model=Regency, validators=[DataRequired(message=_l("Choose the venue's regency."))]
    )
    contact_name = StringField(_l("Contact person (optional)"), validators=[Length(max=120)], filters=[strip_text])
    contact_phone = StringField(_l("Contact phone (optional)"), validators=[Length(max=20)], filters=[strip_text])
    contact_email = EmailField(_l("Contact e-mail (optional)"), validators=[Optional(), Length(max=254)])
    latitude = FloatField(
        _l("Latitude (optional)"),
        description=_l("Decimal degrees, e.g. -8.8942"),
        validators=[Optional(), NumberRange(min=-90, max=90, message=_l("A latitude is between -90 and 90.")), finite],
    )
    longitude = FloatField(
        _l("Longitude (optional)"),
        description=_l("Decimal degrees, e.g. 116.3046"),
        validators=[
            Optional(),
            NumberRange(min=-180, max=180, message=_l("A longitude is between -180 and 180.")),
            finite,
        ],
    )
    managers = CheckboxesField(_l("Venue managers"), choices=[], validate_choice=False)

    def load_choices(self, managers) -> VenueForm:
        self.regency.load_choices()
        if "managers" in self:
            self.managers.choices = [SelectChoice(str(u.id), f"{u.name} ({u.email})") for u in managers]
            self._manager_users = {str(u.id): u for u in managers}
        return self

    def validate_slug(self, field):
        if field.data and not SLUG_PATTERN.match(field.data):
            raise ValidationError(_l("Use lower-case letters, digits and single dashes only."))

    def validate_contact_phone(self, field):
        if field.data:
            field.data = normalise_indonesian_phone(field.data)

    def validate_managers(self, field):
        unknown = [value for value in field.data or [] if value not in self._manager_users]
        if unknown:
            raise ValidationError(_l("Choose one of the options in the list."))

    def chosen_managers(self):
        return [self._manager_users[value] for value in self.managers.data or []]

    def cleaned(self) -> dict:
        return {
            "name": self.name.data,
            "description_id": self.description_id.data or "",
            "description_en": self.description_en.data or "",
            "address": self.address.data or "",
            "regency": self.regency.obj,
            "contact_name": self.contact_name.data or None,
            "contact_phone": self.contact_phone.data or None,
            "contact_email": self.contact_email.data or None,
            "latitude": self.latitude.data,
            "longitude": self.longitude.data,
        }
