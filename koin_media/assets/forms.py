from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
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
from .models import LICENSES

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


class DownloadForm(Form):
    variant = RadioField(
        _l("Size"),
        choices=[SelectChoice("original", _l("Original")), SelectChoice("web", _l("Web size"))],
        default="original",
        validators=[DataRequired()],
    )
    accept_license = BooleanField(
        _l("I will use this media under its licence and show the credit line."),
        validators=[DataRequired(message=_l("Accept the licence to download."))],
    )

    def with_web_dimensions(self, dimensions: tuple[int, int] | None):
        """Name the web size's dimensions in its option ("Web size, 1280 × 720") when known."""
        if dimensions:
            label = _l("Web size, %(width)d × %(height)d", width=dimensions[0], height=dimensions[1])
            self.variant.choices = [SelectChoice("original", _l("Original")), SelectChoice("web", label)]
        return self


class SimpleUploadForm(AssetDetailsForm):
    """The no-JavaScript upload for small files: the file and its details in one form."""

    file = FileField(_l("File"), validators=[DataRequired(message=_l("Choose a file to upload."))])
