"""Why a file was refused or failed, in words its creator understands (in their language)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..i18n import format_size

ACCEPTED = "JPEG, PNG, WebP, MP4, MOV, WebM, MP3, WAV, M4A/AAC, PDF"

MESSAGES = {
    # refused at upload (verification)
    "empty": _l("The file is empty."),
    "svg": _l("SVG images are not accepted because they can carry scripts. Upload a JPEG, PNG or WebP."),
    "html": _l("This is a web page (HTML), not a photo, video, audio or PDF file."),
    "script": _l("Scripts and program code are not accepted."),
    "archive": _l("Archives (ZIP, RAR, 7z and the like) are not accepted: upload each file on its own."),
    "executable": _l("Programs are not accepted."),
    "unknown": _l("This type of file is not accepted. Accepted types: %(types)s.", types=ACCEPTED),
    "missing": _l("The upload did not arrive complete. Add the file again to resume it."),
    "size_unknown": _l("This upload was started without the file's size. Remove the file and add it again."),
    "incomplete": _l("Some parts of the upload are missing or damaged. Add the file again to resume it."),
    # failed in processing
    "corrupt": _l("The file is damaged or incomplete and cannot be read. Export it again and upload the new file."),
    "too_many_pixels": _l("The image has too many pixels to be processed safely. Upload a smaller version."),
    "unsupported": _l("This file uses a format variant that cannot be processed. Export it as a common format."),
    "timeout": _l("Processing took too long. Office staff can start it again."),
    "no_stream": _l("The file contains no picture or sound."),
    "internal": _l("Processing failed because of a problem on our side. Office staff can start it again."),
    "interrupted": _l(
        "Processing stopped several times before it could finish (our server may lack memory for this "
        "file). Your file is kept: office staff can start it again, or you can upload a smaller version."
    ),
}


def describe(code: str | None, **context) -> str:
    """The sentence for a problem code; codes with parameters are built here."""
    if code == "extension_mismatch":
        return _(
            "The file's name ends in .%(ext)s, but its content is %(label)s. Rename it or upload the right file.",
            ext=context.get("ext", "?"),
            label=context.get("label", "?"),
        )
    if code == "type_mismatch":
        return _(
            "The file was sent as %(declared)s, but its content is %(label)s.",
            declared=context.get("declared", "?"),
            label=context.get("label", "?"),
        )
    if code == "too_large":
        return _(
            "This file is %(size)s; the limit for this kind of file is %(limit)s.",
            size=format_size(context.get("size", 0)),
            limit=format_size(context.get("limit", 0)),
        )
    if code == "beyond_declared":
        return _(
            "More data was sent than the %(size)s this file was announced with. Remove the file and add it again.",
            size=format_size(context.get("size", 0)),
        )
    if code == "too_many_unfinished":
        return _(
            "You already have %(count)d unfinished uploads. Finish or cancel one of them before starting another.",
            count=context.get("count", 0),
        )
    if code == "over_quota":
        return _(
            "Your storage quota of %(quota)s would be exceeded. Delete assets you no longer need, or ask the office.",
            quota=format_size(context.get("quota", 0)),
        )
    message = MESSAGES.get(code or "")
    return str(message) if message else str(MESSAGES["internal"])
