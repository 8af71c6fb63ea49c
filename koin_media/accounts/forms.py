"""Account forms. The HTML pages and the JSON API validate through these same classes."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from ..forms import CheckboxesField, Form
from ..reference import schools
from ..reference.data import Sector
from ..reference.models import Community, Regency
from ..reference.schools import NPSN_PATTERN
from ..reference.services import all_ordered, find_by_name_or_slug
from ..validators import normalise_indonesian_phone, strip_text
from .models import LEVELS
from .services import email_taken

PASSWORD_MIN = 8
PASSWORD_MAX = 128


def normalise_email(value: str) -> str:
    """Validate an address's syntax and return its canonical, lower-case form."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError(_l("Enter a valid e-mail address, such as nama@contoh.id.")) from None
    return result.normalized.lower()


class EmailField(StringField):
    def pre_validate(self, form):
        if self.data:
            self.data = normalise_email(self.data)


class ReferenceField(SelectField):
    """A select of reference rows (regency, community, sector) by slug that also accepts a row's
    name (for the JSON API), resolved by ``find_by_name_or_slug``.

    After validation ``field.obj`` holds the row.
    """

    def __init__(self, label=None, validators=None, model=None, **kwargs):
        super().__init__(label, validators, choices=[], validate_choice=False, **kwargs)
        self.model = model
        self.obj = None

    def load_choices(self):
        self.choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(row.slug, row.name) for row in all_ordered(self.model)
        ]

    def pre_validate(self, form):
        if not self.data:
            return
        self.obj = find_by_name_or_slug(self.model, self.data)
        if self.obj is None:
            raise ValidationError(_l("Choose one of the options in the list."))
        self.data = self.obj.slug


def new_password_field(label):
    return PasswordField(
        label,
        validators=[
            InputRequired(message=_l("Enter a password.")),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=_l("A password needs %(min)d to %(max)d characters.", min=PASSWORD_MIN, max=PASSWORD_MAX),
            ),
        ],
    )


class AccountForm(Form):
    """What every self-service account has; the role forms below add their profile."""

    name = StringField(
        _l("Your name"),
        validators=[DataRequired(message=_l("Enter your name.")), Length(max=120)],
        filters=[strip_text],
    )
    email = EmailField(_l("E-mail"), validators=[DataRequired(message=_l("Enter your e-mail address."))])
    password = new_password_field(_l("Password"))

    def load_choices(self):
        for field in self:
            if isinstance(field, ReferenceField):
                field.load_choices()

    def validate_email(self, field):
        if field.data and email_taken(field.data):
            raise ValidationError(_l("An account with this e-mail already exists. Log in, or use another address."))

    def validate_password(self, field):
        if self.email.data and field.data and field.data.strip().lower() == str(self.email.data).lower():
            raise ValidationError(_l("Your password must not be your e-mail address."))


def _text(label, message, max_length):
    return StringField(
        label,
        validators=[DataRequired(message=message), Length(max=max_length)],
        filters=[strip_text],
    )


class CreatorRegistrationForm(AccountForm):
    community = ReferenceField(
        _l("Community"), model=Community, validators=[DataRequired(message=_l("Choose your community."))]
    )


class IkmRegistrationForm(AccountForm):
    business_name = _text(_l("Business name"), _l("Enter your business name."), 160)
    sector = ReferenceField(
        _l("Sector"), model=Sector, validators=[DataRequired(message=_l("Choose your business sector."))]
    )
    regency = ReferenceField(
        _l("Regency"), model=Regency, validators=[DataRequired(message=_l("Choose your regency."))]
    )


def school_levels_field(label):
    """The levels a school teaches; the booking form warns about a level outside them."""
    return CheckboxesField(
        label,
        choices=[SelectChoice(level, level) for level in LEVELS],
        validate_choice=False,  # checked below, with a message in the user's language
        validators=[known_levels],
        description=_l("Used to warn you when a booking's level does not look like your school's."),
    )


def known_levels(form, field):
    if set(field.data or []) - set(LEVELS):
        raise ValidationError(_l("Choose levels from the list: %(levels)s.", levels=", ".join(LEVELS)))


class SchoolRegistrationForm(AccountForm):
    school_name = _text(_l("School name"), _l("Enter the school's name."), 160)
    npsn = StringField(
        _l("NPSN"),
        description=_l("The school's 8-digit national school number."),
        validators=[DataRequired(message=_l("Enter the school's NPSN."))],
        filters=[strip_text],
        render_kw={"inputmode": "numeric"},  # phones show the digit keypad
    )
    regency = ReferenceField(
        _l("Regency"), model=Regency, validators=[DataRequired(message=_l("Choose your regency."))]
    )
    # Recorded for a school registered now; naming one already registered leaves its levels.
    levels = school_levels_field(_l("Levels your school teaches"))

    # The national reference's record of the NPSN given, once validated (None: not in it).
    reference = None
    # Whether the name or regency given differs from the reference's (set by validate).
    differs_from_reference = False
    # The page shows the reference's values filled in, so sending it again confirms; an API
    # caller has no form that was filled, so it is told which values to send (api/auth.py).
    filled_for_resending = True

    def validate_npsn(self, field):
        if not NPSN_PATTERN.match(field.data or ""):
            raise ValidationError(_l("An NPSN is exactly 8 digits, for example 50201234."))

    def validate(self, extra_validators=None):
        """The national school reference decides about a school it knows: what is left empty is
        filled from it, and a name or regency that differs is replaced by the reference's and
        shown to confirm by sending again, since a mistyped NPSN names another school. The
        page's NPSN lookup fills the same as the coordinator types; this is the rule."""
        self.reference = reference = schools.find(self.npsn.data)
        if reference is not None:
            self.school_name.data = self.school_name.data or reference.name
            self.regency.data = self.regency.data or reference.regency.slug
            self.levels.data = self.levels.data or [reference.level]
        valid = super().validate(extra_validators)
        if reference is None:
            return valid
        if not self.school_name.errors:
            if not schools.same_name(self.school_name.data, reference.name):
                self.school_name.errors.append(self._name_differs(reference))
                self.differs_from_reference = True
                valid = False
            self.school_name.data = reference.name  # its spelling, "SMPN 2" or not
        if not self.regency.errors and self.regency.obj is not None and self.regency.obj.id != reference.regency_id:
            self.regency.errors.append(self._regency_differs(reference))
            self.differs_from_reference = True
            self.regency.data = reference.regency.slug
            valid = False
        return valid

    def _name_differs(self, reference):
        if self.filled_for_resending:
            return _l(
                "The national school reference names NPSN %(npsn)s “%(name)s”. We have filled in that "
                "name: if this is your school, send the form again; if not, check the NPSN.",
                npsn=reference.npsn,
                name=reference.name,
            )
        return _l(
            "The national school reference names NPSN %(npsn)s “%(name)s”. If this is your school, send that "
            "name as school_name; if not, check the NPSN.",
            npsn=reference.npsn,
            name=reference.name,
        )

    def _regency_differs(self, reference):
        if self.filled_for_resending:
            return _l(
                "The national school reference places NPSN %(npsn)s in %(regency)s. We have chosen it: if "
                "this is your school, send the form again; if not, check the NPSN.",
                npsn=reference.npsn,
                regency=reference.regency.name,
            )
        return _l(
            "The national school reference places NPSN %(npsn)s in %(regency)s. If this is your school, send "
            "regency “%(slug)s”; if not, check the NPSN.",
            npsn=reference.npsn,
            regency=reference.regency.name,
            slug=reference.regency.slug,
        )


class ConfirmedPasswordMixin:
    """The HTML registration pages ask for the password twice; the JSON API does not."""

    confirm = PasswordField(
        _l("Repeat password"),
        validators=[
            InputRequired(message=_l("Repeat your password.")),
            EqualTo("password", message=_l("The two passwords differ.")),
        ],
    )


REGISTRATION_FORMS = {
    "creator": CreatorRegistrationForm,
    "ikm": IkmRegistrationForm,
    "school": SchoolRegistrationForm,
}


class LoginForm(Form):
    email = StringField(_l("E-mail"), validators=[DataRequired(message=_l("Enter your e-mail address."))])
    password = PasswordField(_l("Password"), validators=[InputRequired(message=_l("Enter your password."))])
    remember = BooleanField(_l("Keep me logged in on this device"))


class ChangePasswordForm(Form):
    current = PasswordField(
        _l("Current password"), validators=[InputRequired(message=_l("Enter your current password."))]
    )
    password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[
            InputRequired(message=_l("Repeat your password.")),
            EqualTo("password", message=_l("The two passwords differ.")),
        ],
    )


class ProfileForm(Form):
    """The editable part of a profile; fields that do not apply to a role are removed."""

    name = AccountForm.name
    phone = StringField(_l("Phone (optional)"), validators=[Length(max=20)], filters=[strip_text])
    community = ReferenceField(
        _l("Community"), model=Community, validators=[DataRequired(message=_l("Choose your community."))]
    )
    business_name = IkmRegistrationForm.business_name
    sector = IkmRegistrationForm.sector
    regency = ReferenceField(
        _l("Regency"), model=Regency, validators=[DataRequired(message=_l("Choose your regency."))]
    )
    locale = SelectField(
        _l("Language"), choices=[SelectChoice("id", "Bahasa Indonesia"), SelectChoice("en", "English")]
    )
    school_levels = school_levels_field(_l("Levels your school teaches"))

    def validate_phone(self, field):
        if field.data:
            field.data = normalise_indonesian_phone(field.data)

    FIELDS_BY_ROLE = {
        "creator": {"community"},
        "ikm": {"business_name", "sector", "regency"},
    }
    PROFILE_FIELDS = {"community", "business_name", "sector", "regency", "school_levels"}

    def for_role(self, role: str, edits_school: bool = False) -> ProfileForm:
        """``edits_school``: the user may change their school's record (its levels), which
        only its approved coordinators may (``User.is_approved_coordinator``)."""
        keep = self.FIELDS_BY_ROLE.get(role, set()) | ({"school_levels"} if edits_school else set())
        for name in self.PROFILE_FIELDS - keep:
            delattr(self, name)
        for field in self:
            if isinstance(field, ReferenceField):
                field.load_choices()
        return self


class ForgotPasswordForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired(message=_l("Enter your e-mail address."))])


class NewPasswordForm(Form):
    """The JSON API's password reset: the password once."""

    password = new_password_field(_l("New password"))


class ResetPasswordForm(NewPasswordForm):
    confirm = ChangePasswordForm.confirm
