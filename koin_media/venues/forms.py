"""Forms of venue management: venues, programs, slot patterns, closures."""

from __future__ import annotations

import math
import re
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..accounts.forms import EmailField, ReferenceField
from ..booking.models import LEVELS
from ..forms import Form
from ..reference.models import Regency
from ..validators import check_day_in_range, normalise_indonesian_phone, strip_text

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_PATTERN_DAYS = 366
MAX_CAPACITY = 10_000
WEEKDAYS = (
    ("0", _l("Monday")),
    ("1", _l("Tuesday")),
    ("2", _l("Wednesday")),
    ("3", _l("Thursday")),
    ("4", _l("Friday")),
    ("5", _l("Saturday")),
    ("6", _l("Sunday")),
)
WHOLE_NUMBER = _l("Enter a whole number.")


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (weekdays, school levels)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _number(label, minimum, maximum, message, default=None, required=True):
    validators = [InputRequired(message=message)] if required else [Optional()]
    validators.append(NumberRange(min=minimum, max=maximum, message=message))
    return IntegerField(label, validators=validators, default=default)


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


def split_lines(value: str | None) -> list[str]:
    return [" ".join(line.split())[:200] for line in (value or "").splitlines() if line.strip()][:20]


class ProgramForm(Form):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("Enter the program's title.")), Length(max=160)],
        filters=[strip_text],
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)], filters=[strip_text])
    duration_minutes = _number(
        _l("Duration (minutes)"), 15, 24 * 60, _l("A duration is between 15 and 1440 minutes."), default=120
    )
    min_students = _number(_l("Smallest group (students)"), 1, MAX_CAPACITY, WHOLE_NUMBER, default=10)
    max_students = _number(_l("Largest group (students)"), 1, MAX_CAPACITY, WHOLE_NUMBER, default=60)
    students_per_teacher = _number(
        _l("Students per teacher"),
        1,
        1000,
        WHOLE_NUMBER,
        default=15,
    )
    levels = CheckboxesField(
        _l("School levels"),
        choices=[SelectChoice(level, level) for level in LEVELS],
        validators=[DataRequired(message=_l("Choose at least one school level."))],
    )
    requirements = TextAreaField(
        _l("Requirements"),
        description=_l("One per line, e.g. parental consent form, closed shoes, helmet."),
        validators=[Length(max=4000)],
    )
    price_per_student = _number(
        _l("Price per student (rupiah)"), 0, 100_000_000, _l("Enter 0 or more rupiah (0 = free)."), default=0
    )
    active = BooleanField(_l("Open for bookings"), default=True)

    def validate_max_students(self, field):
        if field.data is not None and self.min_students.data is not None and field.data < self.min_students.data:
            raise ValidationError(_l("The largest group cannot be smaller than the smallest."))

    def cleaned(self) -> dict:
        return {
            "title": self.title.data,
            "description": self.description.data or "",
            "duration_minutes": self.duration_minutes.data,
            "min_students": self.min_students.data,
            "max_students": self.max_students.data,
            "students_per_teacher": self.students_per_teacher.data,
            "requirements": split_lines(self.requirements.data),
            "price_per_student": self.price_per_student.data,
            "active": bool(self.active.data),
        }


class SlotPatternForm(Form):
    """A weekly pattern: these weekdays, this time (WITA), between two dates."""

    program = SelectField(_l("Program"), choices=[], validate_choice=False)
    weekdays = CheckboxesField(
        _l("Weekdays"),
        choices=[SelectChoice(value, label) for value, label in WEEKDAYS],
        validators=[DataRequired(message=_l("Choose at least one weekday."))],
    )
    start_time = TimeField(_l("Starts (WITA)"), validators=[InputRequired(message=_l("Enter a time, e.g. 08:00."))])
    end_time = TimeField(_l("Ends (WITA)"), validators=[InputRequired(message=_l("Enter a time, e.g. 10:00."))])
    date_from = DateField(_l("From"), validators=[InputRequired(message=_l("Enter a date.")), check_day_in_range])
    date_to = DateField(_l("Until"), validators=[InputRequired(message=_l("Enter a date.")), check_day_in_range])
    capacity = _number(
        _l("Places per session (students and teachers)"), 1, MAX_CAPACITY, _l("Enter a number of places of 1 or more.")
    )

    def load_choices(self, programs) -> SlotPatternForm:
        self._programs = {str(p.id): p for p in programs}
        self.program.choices = [SelectChoice(str(p.id), p.title) for p in programs]
        return self

    def validate_program(self, field):
        if field.data not in self._programs:
            raise ValidationError(_l("Choose one of the venue's programs."))

    def validate_end_time(self, field):
        if field.data and self.start_time.data and field.data <= self.start_time.data:
            raise ValidationError(_l("A session must end after it starts, on the same day."))

    def validate_date_to(self, field):
        if field.data and self.date_from.data:
            if field.data < self.date_from.data:
                raise ValidationError(_l("The last day cannot be before the first."))
            if field.data - self.date_from.data > timedelta(days=MAX_PATTERN_DAYS):
                raise ValidationError(_l("Generate at most one year of sessions at a time."))

    @property
    def chosen_program(self):
        return self._programs[self.program.data]


class ClosureForm(Form):
    date_from = DateField(
        _l("First closed day"), validators=[InputRequired(message=_l("Enter a date.")), check_day_in_range]
    )
    date_to = DateField(
        _l("Last closed day"), validators=[InputRequired(message=_l("Enter a date.")), check_day_in_range]
    )
    reason = StringField(
        _l("Reason"),
        description=_l("Schools with bookings will see it, e.g. MotoGP race weekend."),
        validators=[DataRequired(message=_l("Give a reason; the schools will see it.")), Length(max=255)],
        filters=[strip_text],
    )

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The last day cannot be before the first."))


class SlotStatusForm(Form):
    """Open or close one session (the button's value says which)."""

    is_open = SelectField(choices=[SelectChoice("1", "1"), SelectChoice("0", "0")])
