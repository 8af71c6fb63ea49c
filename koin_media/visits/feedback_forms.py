"""The feedback form of the page (a rating chosen from five) and of the API (a number). The
range and the comment's length are rules of ``feedback.give``, which refuses next to the field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired

from ..forms import Form
from ..validators import strip_text
from .after_models import RATING_MAX, RATING_MIN

CHOOSE_RATING = _l("Choose a rating from 1 to 5.")
RATING_WORDS = {
    1: _l("1 – poor"),
    2: _l("2 – fair"),
    3: _l("3 – good"),
    4: _l("4 – very good"),
    5: _l("5 – excellent"),
}


def _rating(value):
    """A choice as a number; none chosen is None, so that the field says "choose a rating"."""
    return None if value in ("", None) else int(value)


class FeedbackForm(Form):
    rating = RadioField(
        _l("How was the visit?"),
        choices=[SelectChoice(value, RATING_WORDS[value]) for value in range(RATING_MIN, RATING_MAX + 1)],
        coerce=_rating,
        validate_choice=False,  # the range is feedback.give's rule, shown next to this field
        validators=[InputRequired(message=CHOOSE_RATING)],
    )
    comment = TextAreaField(
        _l("Comment (optional)"),
        filters=[strip_text],
        description=_l("What went well, what could be better? The venue and the KOIN office read it."),
    )


class ApiFeedbackForm(FeedbackForm):
    rating = IntegerField(_l("Rating"), validators=[InputRequired(message=CHOOSE_RATING)])
