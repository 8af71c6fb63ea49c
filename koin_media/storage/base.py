"""The Storage interface shared by the local directory and S3 backends.

Uploads follow S3's multipart protocol on both backends, so the browser code (Uppy's AWS S3
multipart plugin) is the same whichever one is configured. ETags are returned without the
quotes HTTP puts around them; both forms are accepted as input.
"""

from __future__ import annotations

import errno
import functools
import os
import tempfile
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum for every part but the last
MAX_PART_SIZE = 5 * 1024 * 1024 * 1024
MAX_PART_NUMBER = 10_000
MAX_KEY_LENGTH = 1024


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    content_type: str | None
    etag: str | None


@dataclass(frozen=True)
class PartInfo:
    part_number: int
    etag: str
    size: int


@dataclass(frozen=True)
class PendingUpload:
    key: str
    upload_id: str
    initiated: datetime  # aware, UTC


class StorageError(Exception):
    # The answer a request gets when this escapes its route (koin_media.errors.storage_fault):
    # 502 for the store refusing something it should have done.
    http_status = 502


class ObjectNotFound(StorageError):
    http_status = 404


class UploadNotFound(StorageError):
    http_status = 404


class InvalidPart(StorageError):
    """A part list that cannot be completed: missing part, wrong ETag, order, part too small."""


class StorageUnavailable(StorageError):
    """The store cannot be reached or answers with a failure of its own: try again later."""

    http_status = 503


class StorageFull(StorageError):
    """The store has no room left (a full disk, a quota): nothing more can be written."""

    http_status = 507


class NotSupported(StorageError):
    """The store does not offer this call (some S3-compatible servers lack lifecycle rules,
    listing uploads or listing parts)."""


# Errors of the local file system that mean the disk itself is in trouble, not a missing file.
FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
MISSING_ERRNOS = {errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EEXIST}


def translate_os_errors(method):
    """Turn a file-system failure of a local storage method into StorageFull (no space) or
    StorageUnavailable (read-only, I/O error, gone); missing files keep their own meaning."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except OSError as exc:
            if exc.errno in FULL_ERRNOS:
                raise StorageFull(f"{method.__name__}: {exc.strerror}") from exc
            if exc.errno in MISSING_ERRNOS:
                raise
            raise StorageUnavailable(f"{method.__name__}: {exc.strerror or exc.__class__.__name__}") from exc

    return wrapper


@dataclass(frozen=True)
class StepReport:
    """What one step of ``storage init`` or ``storage cleanup`` did, for the operator."""

    step: str
    message: str  # a whole sentence, naming the step
    outcome: str = "done"  # "done", "unsupported" (a warning, the run goes on) or "failed"

    def __str__(self) -> str:
        prefix = {"unsupported": "warning: ", "failed": "FAILED: "}.get(self.outcome, "")
        return f"{prefix}{self.message}"


def check_key(key: str) -> str:
    """Refuse keys that could name something outside the store (or differ between backends)."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError("storage key must be a non-empty string of at most 1024 characters")
    _check_path_text(key, key)
    if any(segment in ("", ".", "..") for segment in key.split("/")):
        raise ValueError(f"storage key has an empty, '.' or '..' segment: {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    """A prefix may end in "/" or mid-segment ("assets/ab"), but never climb out of the store."""
    if not isinstance(prefix, str):
        raise ValueError("storage prefix must be a string")
    if prefix:
        _check_path_text(prefix, prefix)
        segments = prefix.split("/")
        if any(segment in ("..", ".") for segment in segments) or "" in segments[:-1]:
            raise ValueError(f"storage prefix has an empty, '.' or '..' segment: {prefix!r}")
    return prefix


def _check_path_text(text: str, shown: str) -> None:
    if text.startswith("/") or "\\" in text or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError(f"storage key may not start with '/' or contain backslashes or control characters: {shown!r}")


def check_part_number(part_number: int) -> int:
    if not isinstance(part_number, int) or not 1 <= part_number <= MAX_PART_NUMBER:
        raise ValueError(f"part number must be between 1 and {MAX_PART_NUMBER}")
    return part_number


def normalize_etag(etag: str) -> str:
    return etag.strip().strip('"')


def check_part_list(parts: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The same rules S3 applies before it looks at the parts themselves, on every backend."""
    if not parts:
        raise InvalidPart("no parts given")
    checked, previous = [], 0
    for part_number, etag in parts:
        if not isinstance(part_number, int) or not 1 <= part_number <= MAX_PART_NUMBER:
            raise InvalidPart(f"part number out of range: {part_number!r}")
        if part_number <= previous:
            raise InvalidPart("part numbers must be given in ascending order, each once")
        if not isinstance(etag, str) or not normalize_etag(etag):
            raise InvalidPart(f"part {part_number} has no ETag")
        checked.append((part_number, normalize_etag(etag)))
        previous = part_number
    return checked


# Characters a file name must not carry: controls (Cc), format characters (Cf: the bidi
# embeddings, overrides and isolates U+202A-E and U+2066-9, the marks U+200E/F and U+061C,
# zero-width characters) that make "gpj.exe" look like "exe.jpg", line and paragraph
# separators (Zl, Zp: U+2028/9), surrogates and private-use characters.
_UNSAFE_IN_FILENAMES = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}


def safe_filename(filename: str | None) -> str:
    """A download's file name as people will see it, on every backend (the local
    Content-Disposition and S3's ResponseContentDisposition both come from here): NFC, the
    characters above replaced by spaces, blanks collapsed; empty when nothing is left."""
    name = unicodedata.normalize("NFC", filename or "")
    name = "".join(" " if unicodedata.category(char) in _UNSAFE_IN_FILENAMES else char for char in name)
    return " ".join(name.split())


def content_disposition(disposition: str, filename: str | None) -> str:
    """RFC 6266: an ASCII ``filename`` for old clients and ``filename*`` with the real name."""
    filename = safe_filename(filename)
    if not filename:
        return disposition
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(c if c.isprintable() and c not in '"\\' else "_" for c in ascii_name)
    ascii_name = " ".join(ascii_name.split()) or "download"
    value = f'{disposition}; filename="{ascii_name}"'
    if ascii_name != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


class Storage(ABC):
    name: str
    direct_upload: bool
    # S3 lists at most 1000 parts a page; lowered in tests to exercise the paging.
    parts_page_size: int = 1000

    @abstractmethod
    def create_multipart(self, key: str, content_type: str) -> str: ...

    @abstractmethod
    def sign_part(self, key: str, upload_id: str, part_number: int, *, size: int) -> tuple[str, int]:
        """A URL that takes part ``part_number`` of ``size`` bytes and no more (S3: a signed
        Content-Length; local: a signed maximum the app enforces), and its lifetime."""

    @abstractmethod
    def upload_part(self, key: str, upload_id: str, part_number: int, data: bytes) -> str:
        """Store part ``part_number`` from the app itself (a promo kit's ZIP, written as it is
        made); returns its ETag. Every part but the last must be the same size, at least
        MIN_PART_SIZE, as S3 requires at complete and the local backend places parts by it."""

    @abstractmethod
    def list_parts(self, key: str, upload_id: str) -> list[PartInfo]: ...

    @abstractmethod
    def check_upload(self, key: str, upload_id: str) -> None:
        """Raise UploadNotFound if the upload is gone, StorageUnavailable if the store is down:
        a part URL is handed out only when the part can be stored."""

    @abstractmethod
    def complete_multipart(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> ObjectInfo: ...

    @abstractmethod
    def abort_multipart(self, key: str, upload_id: str) -> None: ...

    @abstractmethod
    def list_multipart_uploads(self, prefix: str = "") -> list[PendingUpload]: ...

    @abstractmethod
    def head(self, key: str) -> ObjectInfo | None: ...

    @abstractmethod
    def read_range(self, key: str, start: int, length: int) -> bytes: ...

    @abstractmethod
    def iter_chunks(self, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]: ...

    def download_to_file(self, key: str, path: Path) -> None:
        """Stream the object into ``path``; a failure midway leaves no partial file behind."""
        path = Path(path)
        chunks = self.iter_chunks(key)  # raises ObjectNotFound before any file is made
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @abstractmethod
    def put(self, key: str, data: bytes | BinaryIO | Path, content_type: str) -> None: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int: ...

    @abstractmethod
    def list_keys(self, prefix: str = "") -> Iterator[str]: ...

    @abstractmethod
    def download_url(
        self, key: str, filename: str, content_type: str | None = None, expires_in: int | None = None
    ) -> tuple[str, int]: ...

    @abstractmethod
    def inline_url(self, key: str, content_type: str | None = None, expires_in: int | None = None) -> str: ...

    @abstractmethod
    def ensure_ready(self, cors_origins: list[str]) -> list[StepReport]: ...

    @abstractmethod
    def check(self) -> dict: ...
