"""The form of a call for content, for the staff pages and the API alike (``form_from_json``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..accounts.forms import ReferenceField
from ..assets.forms import normalise_tags
from ..assets.models import (
    CALL_OPEN,
    CALL_STATUSES,
    DEADLINE_PAST,
    LICENSES,
    REQUIRED_FIELDS,
    TITLE_MAX,
    TITLE_MIN,
    Call,
    deadline_past,
)
from ..forms import CheckboxesField, Form, TextListField
from ..reference.models import Regency
from ..validators import check_day_in_range, readable_text, strip_text
from ..venues.models import Venue

CHOOSE_LICENSE = _l("Choose one of the licences in the list.")


class CallForm(Form):
    title = StringField(
        _l("Title"),
        description=_l("e.g. Bau Nyale 2027, or Produk tenun Sukarara"),
        validators=[
            DataRequired(message=_l("Give the call a title.")),
            Length(
                min=TITLE_MIN,
                max=TITLE_MAX,
                message=_l("A title has %(min)d to %(max)d characters.", min=TITLE_MIN, max=TITLE_MAX),
            ),
            readable_text,  # shown on public pages and in mails: no hidden or reordering characters
        ],
        filters=[strip_text],
    )
    brief = TextAreaField(
        _l("Brief"),
        description=_l("What the office is looking for: subjects, moments, formats, how the media will be used."),
        validators=[Length(max=5000)],
        filters=[strip_text],
    )
    deadline = DateField(
        _l("Deadline"),
        description=_l("Uploads are accepted until the end of this day (WITA)."),
        validators=[InputRequired(message=_l("Choose the last day uploads are accepted.")), check_day_in_range],
    )
    tags = TextListField(
        _l("Preset tags"),
        description=_l("Added to every upload into the call, e.g. baunyale2027, Lombok Tengah"),
        validators=[Length(max=500)],
        filters=[normalise_tags],
    )
    venue = ReferenceField(_l("Venue (optional)"), model=Venue, validators=[Optional()])
    regency = ReferenceField(_l("Regency (optional)"), model=Regency, validators=[Optional()])
    license = SelectField(
        _l("Licence"),
        choices=[SelectChoice("", _l("Choose…"))] + [SelectChoice(code, label) for code, label in LICENSES.items()],
        validate_choice=False,  # validate_license names the problem in words people understand
    )
    required_fields = CheckboxesField(
        _l("Also required of every upload"),
        description=_l("A title, a licence and the consent are always required."),
        choices=[SelectChoice(name, label) for name, label in REQUIRED_FIELDS.items()],
    )

    # Whether the call is or becomes open with these values: a deadline it is given then must
    # not be over. ``kept_deadline``: an open call's own, which may stay once passed (its page
    # says the deadline passed; the office closes it or gives it a new one).
    opening = False
    kept_deadline = None

    def for_call(self, call: Call | None, status: str | None = None):
        """Judge the deadline as ``call`` (None: a new one) becomes ``status`` (default: its own)."""
        self.opening = (status or (call.status if call is not None else None)) == CALL_OPEN
        self.kept_deadline = call.deadline if call is not None and call.status == CALL_OPEN else None
        return self

    def validate_license(self, field):
        if field.data not in LICENSES:
            raise ValidationError(CHOOSE_LICENSE)

    def validate_deadline(self, field):
        if self.opening and field.data not in (None, self.kept_deadline) and deadline_past(field.data):
            raise ValidationError(DEADLINE_PAST)

    def load_choices(self):
        for field in (self.venue, self.regency):
            field.load_choices()
        return self

    def fill_from(self, call: Call):
        """The form of an existing call, as its page shows it."""
        self.title.data, self.brief.data, self.deadline.data = call.title, call.brief, call.deadline
        self.tags.data, self.license.data, self.required_fields.data = call.tags, call.license, call.required
        self.venue.data = call.venue.slug if call.venue else ""
        self.regency.data = call.regency.slug if call.regency else ""
        return self

    def cleaned(self) -> dict:
        """The validated values, as the call stores them (rows for the references)."""
        chosen = set(self.required_fields.data or ())
        return {
            "title": self.title.data,
            "brief": self.brief.data or "",
            "deadline": self.deadline.data,
            "tags": self.tags.data or "",
            "venue": self.venue.obj,
            "regency": self.regency.obj,
            "license": self.license.data,
            "required_fields": [name for name in REQUIRED_FIELDS if name in chosen],
        }


class ApiCallForm(CallForm):
    """The API's call: the form's fields, and ``status`` (draft, open, closed) in the same body."""

    status = SelectField(
        choices=[SelectChoice(status, status) for status in CALL_STATUSES],
        validators=[Optional()],
    )


def call_values(call: Call) -> dict:
    """A call's values as the API sends them, so an edit sends only what changes."""
    return {
        "title": call.title,
        "brief": call.brief,
        "deadline": call.deadline.isoformat(),
        "tags": call.tag_list,
        "venue": call.venue.slug if call.venue else "",
        "regency": call.regency.slug if call.regency else "",
        "license": call.license,
        "required_fields": call.required,
        "status": call.status,
    }
