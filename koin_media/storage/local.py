"""Storage in a local directory, for the one-machine setup.

Layout under the storage root::

    objects/<key>                     the objects themselves
    meta/<sha256(key)[:2]>/<sha>.json content type and ETag of each object
    multipart/<upload_id>/            an unfinished upload: its parts are written in place
                                      into the object-to-be (see local_parts.py)
    tmp/                              files being written, renamed into place when whole

The browser PUTs parts to signed URLs of the app itself (``routes.py``), so the front end
speaks the same multipart protocol as with S3. Every read and write streams in chunks.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlencode, urlsplit

from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, Signer, URLSafeSerializer

from ..localdisk import lock_in_use
from . import local_parts as parts
from .base import (
    MAX_PART_SIZE,
    ObjectInfo,
    ObjectNotFound,
    PartInfo,
    PendingUpload,
    StepReport,
    Storage,
    StorageError,
    UploadNotFound,
    check_key,
    check_part_list,
    check_part_number,
    check_prefix,
    translate_os_errors,
)
from .local_parts import PartTooLarge, StoredPart

__all__ = ["FileGrant", "LocalStorage", "PartTooLarge"]

CHUNK = parts.CHUNK
UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
PART_SALT = "koin-storage-part"
FILE_SALT = "koin-storage-file"
TRASH_PREFIX = ".trash-"


@dataclass(frozen=True)
class FileGrant:
    """What a signed /media/file/ link allows: one object, served one way."""

    key: str
    filename: str | None
    content_type: str | None
    disposition: str  # "attachment" or "inline"


class LocalStorage(Storage):
    name = "local"
    direct_upload = False

    def __init__(self, root: str | Path, secret_key: str, upload_ttl: int, download_ttl: int, public_url: str):
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.meta = self.root / "meta"
        self.multipart = self.root / "multipart"
        self.tmp = self.root / "tmp"
        self.upload_ttl = upload_ttl
        self.download_ttl = download_ttl
        self.public_url = public_url
        self._part_signer = Signer(secret_key, salt=PART_SALT, digest_method=hashlib.sha256)
        self._file_tokens = URLSafeSerializer(secret_key, salt=FILE_SALT)

    # --- paths -----------------------------------------------------------------------------

    def object_path(self, key: str) -> Path:
        return self.objects / check_key(key)

    def _meta_path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.meta / digest[:2] / f"{digest}.json"

    def _upload_dir(self, upload_id: str) -> Path:
        if not isinstance(upload_id, str) or not UPLOAD_ID.match(upload_id):
            raise UploadNotFound(upload_id)
        return self.multipart / upload_id

    def _temp_file(self) -> tuple[int, str]:
        # Same file system as the targets, so os.replace is an atomic rename.
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(dir=self.tmp, prefix="w-")
        lock_in_use(fd)  # while the writer lives; the cleanup sweeps only unlocked leftovers
        return fd, path

    def _upload(self, key: str, upload_id: str) -> tuple[Path, dict]:
        check_key(key)
        folder = self._upload_dir(upload_id)
        try:
            info = json.loads((folder / "upload.json").read_text())
        except (FileNotFoundError, NotADirectoryError, ValueError):
            raise UploadNotFound(upload_id) from None
        if info.get("key") != key:
            raise UploadNotFound(upload_id)  # as S3: an upload belongs to exactly one key
        return folder, info

    # --- multipart -------------------------------------------------------------------------

    @translate_os_errors
    def create_multipart(self, key: str, content_type: str) -> str:
        check_key(key)
        upload_id = secrets.token_urlsafe(24)
        folder = self._upload_dir(upload_id)
        folder.mkdir(parents=True)
        # Made here, once: a part is written into ``data`` only while it exists, so after
        # complete has moved it away no late part can start a new one that records describe.
        (folder / parts.DATA).touch(exist_ok=False)
        initiated = datetime.now(UTC).isoformat()
        info = {"key": key, "content_type": content_type, "initiated": initiated}
        (folder / parts.UPLOAD_INFO).write_text(json.dumps(info))  # last: now the upload exists
        return upload_id

    def part_signature(self, upload_id: str, key: str, part_number: int, expires: int, max_bytes: int) -> str:
        message = f"{upload_id}/{part_number}/{expires}/{max_bytes}/{key}"
        return self._part_signer.get_signature(message).decode("ascii")

    def verify_part_url(
        self, upload_id: str, key: str, part_number: int, expires: str, max_bytes: str, signature: str
    ) -> int | None:
        """The most bytes the signed part URL accepts, or None when it was altered or has expired."""
        if not expires.isdigit() or int(expires) <= time.time() or not max_bytes.isdigit():
            return None
        message = f"{upload_id}/{part_number}/{int(expires)}/{int(max_bytes)}/{key}"
        if not self._part_signer.verify_signature(message, signature.encode("ascii", "replace")):
            return None
        return int(max_bytes)

    @translate_os_errors
    def sign_part(self, key: str, upload_id: str, part_number: int, *, size: int) -> tuple[str, int]:
        check_key(key)
        check_part_number(part_number)
        if not 0 <= size <= MAX_PART_SIZE:
            raise ValueError(f"part size must be between 0 and {MAX_PART_SIZE}")
        folder = self._upload_dir(upload_id)
        # The signed sizes tell where parts go in the object (local_parts.py). An upload that is
        # gone still gets its URL, as from S3: the PUT answers 404.
        with suppress(FileNotFoundError, NotADirectoryError):
            parts.note_signed(folder, part_number, size)
        expires = int(time.time()) + self.upload_ttl
        signature = self.part_signature(upload_id, key, part_number, expires, size)
        query = {"key": key, "expires": expires, "max_bytes": size, "signature": signature}
        url = self._external_url("storage.upload_part", upload_id=upload_id, part_number=part_number)
        return f"{url}?{urlencode(query)}", self.upload_ttl

    @translate_os_errors
    def write_part(
        self, key: str, upload_id: str, part_number: int, stream: BinaryIO, max_bytes: int = MAX_PART_SIZE
    ) -> str:
        """Store one part from ``stream``, at its place in the object when that is known;
        returns its MD5 (the S3 part ETag).

        Raises PartTooLarge as soon as a byte beyond ``max_bytes`` arrives; nothing is kept."""
        check_part_number(part_number)
        folder, _info = self._upload(key, upload_id)
        limit = min(max_bytes, MAX_PART_SIZE)
        try:
            with parts.writing_part(folder, part_number, upload_id):
                parts.forget(folder, part_number)
                offset = parts.offset_in_data(folder, part_number, limit)
                if offset is None:
                    return self._write_own_file(folder, part_number, stream, limit)
                fd = os.open(folder / parts.DATA, os.O_WRONLY)
                try:
                    etag, size = parts.receive(stream, fd, offset, limit, part_number)
                finally:
                    os.close(fd)
                parts.record(folder, part_number, etag, size, offset)
                return etag
        except FileNotFoundError:
            raise UploadNotFound(upload_id) from None  # aborted while the part was arriving

    @translate_os_errors
    def upload_part(self, key: str, upload_id: str, part_number: int, data: bytes) -> str:
        check_part_number(part_number)
        if len(data) > MAX_PART_SIZE:
            raise ValueError(f"a part may hold at most {MAX_PART_SIZE} bytes")
        folder, _info = self._upload(key, upload_id)
        # Noted as if signed, so the part goes straight to its offset in the object-to-be
        # (local_parts.py learns the part size from part 1) instead of being copied at complete.
        with suppress(FileNotFoundError, NotADirectoryError):
            parts.note_signed(folder, part_number, len(data))
        return self.write_part(key, upload_id, part_number, io.BytesIO(data), max_bytes=len(data))

    def _write_own_file(self, folder: Path, part_number: int, stream: BinaryIO, limit: int) -> str:
        fd, tmp = self._temp_file()
        try:
            try:
                etag, _size = parts.receive(stream, fd, 0, limit, part_number)
            finally:
                os.close(fd)
            os.replace(tmp, folder / f"{part_number:05d}.{etag}")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return etag

    @translate_os_errors
    def list_parts(self, key: str, upload_id: str) -> list[PartInfo]:
        folder, _info = self._upload(key, upload_id)
        try:
            stored = parts.stored_parts(folder)
        except FileNotFoundError:
            raise UploadNotFound(upload_id) from None
        return [PartInfo(part.number, part.etag, part.size) for _number, part in sorted(stored.items())]

    @translate_os_errors
    def check_upload(self, key: str, upload_id: str) -> None:
        self._upload(key, upload_id)

    @translate_os_errors
    def complete_multipart(self, key: str, upload_id: str, parts_sent: list[tuple[int, str]]) -> ObjectInfo:
        folder, info = self._upload(key, upload_id)
        checked = check_part_list(parts_sent)
        try:
            with parts.completing(folder, upload_id):
                chosen = parts.chosen_parts(folder, checked)
                md5s = b"".join(bytes.fromhex(part.etag) for part in chosen)
                etag = f"{hashlib.md5(md5s, usedforsecurity=False).hexdigest()}-{len(chosen)}"
                self._assemble(key, info["content_type"], etag, folder, chosen)
                self._discard(folder)  # still locked: no part can start meanwhile
        except FileNotFoundError:
            raise UploadNotFound(upload_id) from None  # aborted by another request meanwhile
        return self.head(key) or ObjectInfo(key, 0, info["content_type"], etag)

    def _assemble(self, key: str, content_type: str, etag: str, folder: Path, chosen: list[StoredPart]) -> None:
        """Make the object from the chosen parts, moving files rather than copying bytes."""
        data = folder / parts.DATA
        starts, offset = [], 0
        for part in chosen:
            starts.append(offset)
            offset += part.size
        placed = [(part, start) for part, start in zip(chosen, starts, strict=True) if part.offset is not None]
        if not placed and len(chosen) == 1:
            self._install(key, chosen[0].path, content_type, etag)  # one part, in a file of its own
        elif data.is_file() and all(part.offset == start for part, start in placed):
            # The usual case: every part already lies where the object needs it.
            late = [(part, start) for part, start in zip(chosen, starts, strict=True) if part.offset is None]
            parts.fill_and_trim(folder, chosen, late, size=offset)
            self._install(key, data, content_type, etag)
        else:
            # Parts of uneven sizes or numbers skipped (S3 allows both): build the object anew.
            fd = os.open(data, os.O_RDONLY) if data.is_file() else None
            try:
                chunks = (chunk for part in chosen for chunk in parts.read_part(part, fd))
                self._write_object(key, content_type, etag, chunks)
            finally:
                if fd is not None:
                    os.close(fd)

    def _discard(self, folder: Path) -> None:
        """Remove an upload's folder. It is renamed first, so a part arriving meanwhile finds
        its upload gone instead of adding files to a folder being removed."""
        trash = self.multipart / f"{TRASH_PREFIX}{secrets.token_hex(8)}"
        try:
            os.rename(folder, trash)
        except (FileNotFoundError, NotADirectoryError):
            return
        shutil.rmtree(trash, ignore_errors=True)

    @translate_os_errors
    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            folder, _info = self._upload(key, upload_id)
        except UploadNotFound:
            return
        self._discard(folder)

    @translate_os_errors
    def list_multipart_uploads(self, prefix: str = "") -> list[PendingUpload]:
        check_prefix(prefix)
        if not self.multipart.is_dir():
            return []
        pending = []
        for folder in self.multipart.iterdir():
            if folder.name.startswith(TRASH_PREFIX):
                continue  # being removed
            try:
                info = json.loads((folder / parts.UPLOAD_INFO).read_text())
            except (FileNotFoundError, NotADirectoryError, ValueError):
                continue  # being created or removed right now
            if info["key"].startswith(prefix):
                initiated = datetime.fromisoformat(info["initiated"])
                pending.append(PendingUpload(info["key"], folder.name, initiated))
        return sorted(pending, key=lambda upload: (upload.initiated, upload.upload_id))

    # --- objects ---------------------------------------------------------------------------

    def _write_object(self, key: str, content_type: str | None, etag: str | None, chunks) -> None:
        """Write ``chunks`` to the object; with ``etag`` None, its MD5 is computed on the way."""
        self.object_path(key)  # a bad key fails before anything is written
        md5 = hashlib.md5(usedforsecurity=False) if etag is None else None
        fd, tmp = self._temp_file()
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    if md5 is not None:
                        md5.update(chunk)
                    out.write(chunk)
            self._install(key, Path(tmp), content_type, etag if md5 is None else md5.hexdigest())
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _install(self, key: str, path: Path, content_type: str | None, etag: str | None) -> None:
        """Make the whole file at ``path`` the object ``key``: a rename, its bytes are not copied.

        The metadata is written first, so a full disk fails before anything has moved."""
        target = self.object_path(key)
        stat = path.stat()
        meta = {
            "key": key,
            "content_type": content_type,
            "etag": etag,
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,  # a rename keeps it: head() can tell the file is ours
        }
        meta_path = self._meta_path(key)
        fd, tmp = self._temp_file()
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(meta, out)
            meta_path.parent.mkdir(parents=True, exist_ok=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            os.replace(tmp, meta_path)
        except (NotADirectoryError, IsADirectoryError, FileExistsError) as exc:
            Path(tmp).unlink(missing_ok=True)
            raise StorageError(f"key {key!r} clashes with another key's folder") from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)  # a full disk must not also leak temp files
            raise

    @translate_os_errors
    def head(self, key: str) -> ObjectInfo | None:
        try:
            stat = self.object_path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        try:
            meta = json.loads(self._meta_path(key).read_text())
        except (FileNotFoundError, ValueError):
            meta = {}
        if (meta.get("size"), meta.get("mtime_ns")) != (stat.st_size, stat.st_mtime_ns):
            meta = {}  # the file was changed behind our back: its recorded ETag is wrong
        return ObjectInfo(key, stat.st_size, meta.get("content_type"), meta.get("etag"))

    def _open(self, key: str) -> BinaryIO:
        try:
            return self.object_path(key).open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ObjectNotFound(key) from None

    @translate_os_errors
    def read_range(self, key: str, start: int, length: int) -> bytes:
        if start < 0 or length < 0:
            raise ValueError("start and length must not be negative")
        with self._open(key) as handle:
            handle.seek(start)
            return handle.read(length)

    @translate_os_errors
    def iter_chunks(self, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
        handle = self._open(key)  # now, so a missing object fails at the call, not mid-stream

        def chunks():
            with handle:
                while chunk := handle.read(chunk_size):
                    yield chunk

        return chunks()

    @translate_os_errors
    def put(self, key: str, data: bytes | BinaryIO | Path, content_type: str) -> None:
        check_key(key)
        if isinstance(data, bytes | bytearray | memoryview):
            self._write_object(key, content_type, None, [bytes(data)])
        elif isinstance(data, Path):
            with data.open("rb") as handle:
                self._write_object(key, content_type, None, iter(lambda: handle.read(CHUNK), b""))
        else:
            self._write_object(key, content_type, None, iter(lambda: data.read(CHUNK), b""))

    @translate_os_errors
    def delete(self, key: str) -> None:
        path = self.object_path(key)
        path.unlink(missing_ok=True)
        self._meta_path(key).unlink(missing_ok=True)
        # Drop folders left empty (assets/<uuid>/), or they pile up one per deleted asset.
        parent = path.parent
        while parent != self.objects:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    @translate_os_errors
    def delete_prefix(self, prefix: str) -> int:
        if not check_prefix(prefix):
            raise ValueError("refusing to delete every object: give a prefix")
        keys = list(self.list_keys(prefix))
        for key in keys:
            self.delete(key)
        return len(keys)

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        check_prefix(prefix)
        start = self.objects / prefix.rpartition("/")[0]
        for folder, dirs, files in os.walk(start):
            dirs.sort()
            for name in sorted(files):
                key = (Path(folder) / name).relative_to(self.objects).as_posix()
                if key.startswith(prefix):
                    yield key

    # --- links -----------------------------------------------------------------------------

    def _external_url(self, endpoint: str, **values) -> str:
        if has_request_context():
            return url_for(endpoint, _external=True, **values)
        # Jobs and CLI commands have no request to take the host from.
        public = urlsplit(self.public_url)
        adapter = current_app.url_map.bind(public.netloc, script_name=public.path or "/", url_scheme=public.scheme)
        return adapter.build(endpoint, values, force_external=True)

    def _file_url(self, grant: FileGrant, expires_in: int) -> str:
        expires = int(time.time()) + expires_in
        payload = {"k": grant.key, "f": grant.filename, "t": grant.content_type, "d": grant.disposition, "x": expires}
        return self._external_url("storage.serve_file", token=self._file_tokens.dumps(payload))

    def read_file_token(self, token: str) -> FileGrant | None:
        """The grant of a /media/file/ link, or None when it was altered or has expired."""
        try:
            payload = self._file_tokens.loads(token)
        except BadSignature:
            return None
        if not isinstance(payload, dict) or payload.get("x", 0) <= time.time():
            return None
        return FileGrant(payload["k"], payload["f"], payload["t"], payload["d"])

    def download_url(
        self, key: str, filename: str, content_type: str | None = None, expires_in: int | None = None
    ) -> tuple[str, int]:
        check_key(key)
        expires_in = self.download_ttl if expires_in is None else expires_in
        return self._file_url(FileGrant(key, filename, content_type, "attachment"), expires_in), expires_in

    def inline_url(self, key: str, content_type: str | None = None, expires_in: int | None = None) -> str:
        check_key(key)
        expires_in = self.download_ttl if expires_in is None else expires_in
        return self._file_url(FileGrant(key, None, content_type, "inline"), expires_in)

    # --- operations ------------------------------------------------------------------------

    @translate_os_errors
    def ensure_ready(self, cors_origins: list[str]) -> list[StepReport]:
        lines = []
        for folder in (self.objects, self.meta, self.multipart, self.tmp):
            existed = folder.is_dir()
            folder.mkdir(parents=True, exist_ok=True)
            lines.append(StepReport("folder", f"{'exists' if existed else 'created'}: {folder}"))
        # Folders of finished uploads that a killed process did not get to remove. Removing
        # one another process is still removing does no harm: nothing in it is needed.
        for trash in self.multipart.glob(f"{TRASH_PREFIX}*"):
            shutil.rmtree(trash, ignore_errors=True)
        lines.append(StepReport("cors", "local storage: uploads and downloads go through the app, no CORS rule needed"))
        return lines

    def check(self) -> dict:
        try:
            if self.root.is_dir() and os.access(self.root, os.W_OK):
                return {"ok": True, "backend": self.name, "free_bytes": shutil.disk_usage(self.root).free}
            return {"ok": False, "backend": self.name, "error": "storage directory missing or not writable"}
        except OSError as exc:
            return {"ok": False, "backend": self.name, "error": exc.__class__.__name__}
