"""Forms of the booking pages and the bookings API. The booking rules themselves (group size,
teacher ratio, level, phone, consent, the slot, the school) are checked by the services, which
answer with a ``BookingRefused`` that the views put next to the field it is about."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..forms import Form
from ..validators import MAX_DATABASE_ID, strip_text
from .models import LEVELS
from .rules import GroupRequest

WHOLE_NUMBER = _l("Enter a whole number.")


def whole_number(label, minimum: int):
    return IntegerField(
        label,
        validators=[
            InputRequired(message=WHOLE_NUMBER),
            NumberRange(min=minimum, max=10000, message=_l("Enter a number from %(min)s to %(max)s.")),
        ],
    )


class BookingRequestForm(Form):
    """A school's request for a slot (also the request it waits with on the waitlist)."""

    students = whole_number(_l("Number of students"), 1)
    teachers = whole_number(_l("Number of teachers"), 0)
    level = SelectField(_l("School level"), choices=[], validate_choice=False, filters=[strip_text])
    contact_name = StringField(
        _l("Contact person"), validators=[Length(max=120)], filters=[strip_text], description=_l("Who leads the group.")
    )
    contact_phone = StringField(
        _l("Contact phone"),
        validators=[Length(max=30)],
        filters=[strip_text],
        description=_l("An Indonesian number, for example 0812 3456 7890."),
    )
    special_needs = TextAreaField(
        _l("Special needs"),
        validators=[Length(max=2000)],
        filters=[strip_text],
        description=_l("Wheelchairs, allergies, anything the venue should prepare for."),
    )
    consent = BooleanField(_l("The parents or guardians of every student have agreed to the visit."))
    # Asked only when the school is recorded without the chosen level (rules.check_level_taught).
    level_confirmed = BooleanField(
        _l("I am sure: this group is at the level chosen above."), false_values=("", "false", "0", "no", "off")
    )

    def set_levels(self, program, school=None) -> None:
        """The program's levels; a new form starts on the first one the school teaches."""
        offered = [level for level in LEVELS if level in program.level_set]
        self.level.choices = [SelectChoice(level, level) for level in offered]
        taught = [level for level in offered if school is not None and school.teaches(level)]
        if not self.is_submitted() and taught:
            self.level.data = taught[0]


class ApiBookingRequestForm(BookingRequestForm):
    slot_id = IntegerField(
        _l("Session"),
        validators=[
            InputRequired(message=WHOLE_NUMBER),
            NumberRange(min=1, max=MAX_DATABASE_ID, message=_l("This session does not exist.")),
        ],
    )
    level = StringField(_l("School level"), filters=[strip_text])


class ActionForm(Form):
    """A button that changes a booking: only the CSRF token."""


class ReasonForm(Form):
    reason = TextAreaField(
        _l("Reason"),
        validators=[Length(max=2000)],
        filters=[strip_text],
        description=_l("The school sees this reason."),
    )


class MoveForm(Form):
    slot_id = SelectField(
        _l("Move to session"),
        choices=[],
        coerce=int,
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose one of the sessions in the list."))],
    )


class AttendanceForm(Form):
    students = whole_number(_l("Students who came"), 0)
    teachers = whole_number(_l("Teachers who came"), 0)


class CheckInLookupForm(Form):
    code = StringField(
        _l("Booking code"),
        validators=[InputRequired(message=_l("Enter the booking code.")), Length(max=500)],
        filters=[strip_text],
        description=_l("Type the code, for example K7MQ-2XHD, or paste the text of the QR code."),
    )


class ApiReasonForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)], filters=[strip_text])


class ApiAttendanceForm(AttendanceForm):
    pass


def group_request(form) -> GroupRequest:
    """A validated booking request form (page or API) as the request ``book_slot`` and
    ``join_waitlist`` take."""
    return GroupRequest(
        students=form.students.data,
        teachers=form.teachers.data,
        level=form.level.data or "",
        contact_name=form.contact_name.data or "",
        contact_phone=form.contact_phone.data or "",
        special_needs=form.special_needs.data or "",
        consent=bool(form.consent.data),
        level_confirmed=bool(form.level_confirmed.data),
    )
