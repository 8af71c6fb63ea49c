"""Verification at complete: the app, not the browser, decides what a stored file is.

Size comes from the store, the type from the object's first bytes (a ranged read); both are
checked against the allowlist, the declared type and extension, the per-kind limit and the
owner's quota. A refused object is deleted from storage at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from flask import current_app

from ..media import sniff
from ..storage import ObjectInfo, get_storage
from .models import Asset
from .quota import size_refusal

# A first guess from the name only, to refuse early; the bytes decide at complete. Some
# extensions fit several kinds (.mp4 is video, or audio-only): the most generous limit applies.
KINDS_BY_EXTENSION: dict[str, set[str]] = {}
for _format in sniff.FORMATS.values():
    for _extension in _format.extensions:
        KINDS_BY_EXTENSION.setdefault(_extension, set()).add(_format.kind)


@dataclass
class Verdict:
    ok: bool
    code: str | None = None
    context: dict = field(default_factory=dict)
    kind: str | None = None
    mime: str | None = None
    size: int | None = None


def inspect_object(asset: Asset, stored: ObjectInfo | None = None) -> Verdict:
    """Decide whether the stored original of ``asset`` may go on to processing. ``stored``:
    what completing the upload already learnt of the object (saves asking the store again)."""
    storage = get_storage()
    declared = asset.size_bytes  # what a multipart upload declared; None for a plain upload
    info = stored if stored is not None else storage.head(asset.storage_key)
    if info is None:
        return Verdict(False, "missing")
    if info.size == 0:
        return Verdict(False, "empty", size=0)
    head = storage.read_range(asset.storage_key, 0, min(info.size, sniff.SNIFF_BYTES))
    found = sniff.sniff(head, asset.original_filename)
    if found is None:
        return Verdict(False, sniff.refusal(head) or "unknown", size=info.size)
    extension = PurePosixPath(asset.original_filename).suffix.lstrip(".").lower()
    if not sniff.extension_matches(asset.original_filename, found):
        return Verdict(False, "extension_mismatch", {"ext": extension or "?", "label": found.label}, size=info.size)
    if not sniff.declared_type_matches(asset.declared_type, found):
        return Verdict(False, "type_mismatch", {"declared": asset.declared_type, "label": found.label}, size=info.size)
    refusal = size_refusal(asset.owner_id, info.size, current_app.config["MAX_BYTES"][found.kind], excluding=asset.id)
    if refusal is not None:
        return Verdict(False, refusal.code, refusal.context, size=info.size)
    # The parts were bounded when signed; a store that does not enforce a signed length is
    # still held to the size the upload declared (and reserved in the quota).
    if declared is not None and info.size > declared:
        return Verdict(False, "beyond_declared", {"size": declared}, size=info.size)
    return Verdict(True, kind=found.kind, mime=found.mime, size=info.size)


def precheck(filename: str) -> Verdict:
    """Refuse early, before any byte is sent, what the name already rules out.

    The declared size is held to the kind's limit and the quota when a new upload is admitted
    (quota.admit_new_upload); the real decision is still taken at complete from the stored bytes.
    """
    extension = PurePosixPath(filename or "").suffix.lstrip(".").lower()
    kinds = KINDS_BY_EXTENSION.get(extension)
    if not kinds:
        code = "svg" if extension == "svg" else "unknown"
        return Verdict(False, code)
    return Verdict(True)


def kind_limit(filename: str) -> int:
    """The size limit a file of this name may have: the most generous of the kinds it may be."""
    extension = PurePosixPath(filename or "").suffix.lstrip(".").lower()
    kinds = KINDS_BY_EXTENSION.get(extension) or set(current_app.config["MAX_BYTES"])
    return max(current_app.config["MAX_BYTES"][kind] for kind in kinds)
