"""Forms of the final headcount, on its page and in the API (visits/headcount.py has the rules:
the program's group size and teacher ratio, free seats, until the session starts)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField
from wtforms.validators import NumberRange, Optional

from ..booking.forms import whole_number
from ..forms import Form
from ..validators import MAX_DATABASE_ID


class HeadcountForm(Form):
    students = whole_number(_l("Number of students"), 1)
    teachers = whole_number(_l("Number of teachers"), 0)
    # The booking's version the page showed: saving over someone else's change is refused.
    version = HiddenField()


class ApiHeadcountForm(Form):
    students = whole_number(_l("Number of students"), 1)
    teachers = whole_number(_l("Number of teachers"), 0)
    # Optional: the booking's ``version`` the caller read, to refuse saving over a change made since.
    version = IntegerField(
        _l("Version"),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_DATABASE_ID, message=_l("Send the version the booking had when you read it.")),
        ],
    )
