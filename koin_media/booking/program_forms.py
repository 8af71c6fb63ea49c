"""Forms of a venue's programs and sessions: programs, weekly session patterns, closures and
the open/close button of one session."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import CheckboxesField, Form
from ..validators import check_day_in_range, strip_text
from .models import LEVELS

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


def _number(label, minimum, maximum, message, default=None, required=True):
    validators = [InputRequired(message=message)] if required else [Optional()]
    validators.append(NumberRange(min=minimum, max=maximum, message=message))
    return IntegerField(label, validators=validators, default=default)


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
