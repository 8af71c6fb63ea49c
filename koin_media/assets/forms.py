from __future__ import annotations

import math
import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, Optional

from ..accounts.forms import ReferenceField
from ..forms import Form, TextListField
from ..reference.models import Community, Regency
from ..validators import strip_text
from ..venues.models import Venue
from .downloads import CROP_VARIANTS, UNKNOWN_PURPOSE, VARIANT_LABELS
from .models import DOWNLOAD_PURPOSES, LICENSES
from .rights import date_refused

MAX_TAGS = 15


def normalise_tags(value: str | None) -> str:
    """Comma-separated, trimmed, de-duplicated (case-insensitively), at most MAX_TAGS."""
    seen, tags = set(), []
    for raw in re.split(r"[,\n;]", value or ""):
        tag = " ".join(raw.split())[:40]
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    return ", ".join(tags[:MAX_TAGS])


class AssetDetailsForm(Form):
    """What a creator says about an asset. Everything is optional here; review needs the
    title, the licence and the consent confirmation (see Asset.details_complete)."""

    title = StringField(_l("Title"), validators=[Length(max=200)], filters=[strip_text])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)], filters=[strip_text])
    tags = TextListField(
        _l("Tags"), description=_l("Separate with commas, e.g. kopi, Sembalun, panen"), filters=[normalise_tags]
    )
    community = ReferenceField(_l("Community"), model=Community, validators=[Optional()])
    regency = ReferenceField(_l("Regency"), model=Regency, validators=[Optional()])
    venue = ReferenceField(_l("Venue shown (optional)"), model=Venue, validators=[Optional()])
    license = SelectField(
        _l("Licence"),
        choices=[SelectChoice("", _l("Choose…"))] + [SelectChoice(code, label) for code, label in LICENSES.items()],
        validate_choice=False,
    )
    credit = StringField(
        _l("Credit line"),
        description=_l("How users must credit you, e.g. Foto: Baiq Nurul / Lombok Phonegraphy"),
        validators=[Length(max=200)],
        filters=[strip_text],
    )
    consent = BooleanField(_l("People who can be recognised in this media agreed to its use for promotion."))
    usable_until = DateField(
        _l("Usable until (optional)"),
        description=_l(
            "The last day businesses may use it, e.g. when a model release ends. Leave empty for no end. "
            "On a published asset an earlier date applies at once; a later one, or none, is checked by the office."
        ),
        validators=[Optional()],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The date the edited asset has: it may stay even once passed (rights.date_refused).
        self.kept_usable_until = getattr(kwargs.get("obj"), "usable_until", None)

    def validate_usable_until(self, field):
        refused = date_refused(field.data, self.kept_usable_until)
        if refused:
            raise ValidationError(refused)

    def validate_license(self, field):
        if field.data and field.data not in LICENSES:
            raise ValidationError(_l("Choose one of the options in the list."))

    def load_choices(self):
        for field in (self.community, self.regency, self.venue):
            field.load_choices()
        return self

    def cleaned(self) -> dict:
        """The validated values, as the asset stores them (rows for reference fields)."""
        return {
            "title": self.title.data or "",
            "description": self.description.data or "",
            "tags": self.tags.data or "",
            "license": self.license.data or None,
            "credit": self.credit.data or "",
            "consent": bool(self.consent.data),
            "community": self.community.obj,
            "regency": self.regency.obj,
            "venue": self.venue.obj,
            "usable_until": self.usable_until.data,
        }

    def submitted_cleaned(self, formdata_keys) -> dict:
        """Only the fields that were actually sent (for partial JSON/multipart metadata)."""
        values = self.cleaned()
        return {name: value for name, value in values.items() if name in formdata_keys}


class ReviewForm(Form):
    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice("approve", _l("Approve")), SelectChoice("reject", _l("Reject"))],
        validators=[DataRequired(message=_l("Choose approve or reject."))],
    )
    reason = TextAreaField(_l("Reason for rejection (shown to the creator)"), validators=[Length(max=2000)])
    # Which pending edit of a published asset the reviewer saw (Asset.pending_edit_version).
    edit_version = HiddenField(validators=[Optional(), Length(max=64)])

    def validate_reason(self, field):
        if self.decision.data == "reject" and not (field.data or "").strip():
            raise ValidationError(_l("Give the creator a reason for the rejection."))


PURPOSE_CHOICES = [SelectChoice(code, label) for code, label in DOWNLOAD_PURPOSES.items()]


class DownloadForm(Form):
    variant = RadioField(
        _l("Size"),
        # Every variant, so that any of them validates; the page offers only the asset's own
        # (with_web_dimensions, with_crops), and downloads.variant_file refuses one not made.
        choices=[SelectChoice(variant, label) for variant, label in VARIANT_LABELS.items()],
        default="original",
        validators=[DataRequired()],
    )
    accept_license = BooleanField(
        _l("I will use this media under its licence and show the credit line."),
        validators=[DataRequired(message=_l("Accept the licence to download."))],
    )
    # Asked on every download from the page so that creators learn how their work is used; the
    # API's form (ApiDownloadForm) lets it out for clients written before it was asked.
    purpose = RadioField(
        _l("What will you use it for?"),
        choices=PURPOSE_CHOICES,
        validate_choice=False,  # validate_purpose names the problem in words people understand
        validators=[DataRequired(message=_l("Choose what you will use the file for."))],
    )

    def validate_purpose(self, field):
        if field.data not in DOWNLOAD_PURPOSES:
            raise ValidationError(UNKNOWN_PURPOSE)

    def with_web_dimensions(self, dimensions: tuple[int, int] | None):
        """Name the web size's dimensions in its option ("Web size, 1280 × 720") when known."""
        if dimensions:
            label = _l("Web size, %(width)d × %(height)d", width=dimensions[0], height=dimensions[1])
            self.variant.choices = [
                SelectChoice("web", label) if choice.value == "web" else choice for choice in self.variant.choices
            ]
        return self

    def with_crops(self, crops: list[tuple[str, str]]):
        """Offer only the social crops the asset has (downloads.crop_choices), named with their sizes."""
        others = [choice for choice in self.variant.choices if choice.value not in CROP_VARIANTS]
        self.variant.choices = others + [SelectChoice(variant, label) for variant, label in crops]
        return self


class ApiDownloadForm(DownloadForm):
    """The API's download: ``purpose`` may be left out, but one that is sent must be known."""

    purpose = RadioField(choices=PURPOSE_CHOICES, validate_choice=False, validators=[Optional()])
    # Any name: downloads.variant_file tells one the asset can never have (422 unknown_variant)
    # from one not made yet (409), which a list of every variant's name cannot.
    variant = RadioField(choices=DownloadForm.variant.kwargs["choices"], validate_choice=False,
                         default="original", validators=[DataRequired()])  # fmt: skip


class SimpleUploadForm(AssetDetailsForm):
    """The no-JavaScript upload for small files: the file and its details in one form."""

    file = FileField(_l("File"), validators=[DataRequired(message=_l("Choose a file to upload."))])


class FocusForm(Form):
    """Where a photo's social crops are centred: percent of its width from the left and of its
    height from the top (the edit page's script fills both from a tap on the picture)."""

    SCALE = 100
    OUTSIDE = _l("Enter a number from 0 to 100.")

    focus_x = FloatField(_l("Across (0–100 from the left)"))
    focus_y = FloatField(_l("Down (0–100 from the top)"))

    def validate_focus_x(self, field):
        self._inside(field)

    def validate_focus_y(self, field):
        self._inside(field)

    def _inside(self, field):
        if field.process_errors:
            return  # not a number: Form.validate shows that reading error alone
        sent = self.json_sent.get(field.name, 0)
        number = isinstance(sent, int | float) and not isinstance(sent, bool)  # JSON: a number, not text
        if not number or field.data is None or not math.isfinite(field.data) or not 0 <= field.data <= self.SCALE:
            raise ValidationError(self.OUTSIDE)

    def point(self) -> tuple[float, float]:
        return self.focus_x.data / self.SCALE, self.focus_y.data / self.SCALE


class ApiFocusForm(FocusForm):
    """The API's focus point: JSON numbers from 0 to 1 (fractions, as the asset stores them)."""

    SCALE = 1
    OUTSIDE = _l("Send a number from 0 to 1.")
