"""The parts of an unfinished upload in the local backend, written where they belong.

Each upload is a folder ``multipart/<upload_id>/``::

    upload.json                     key, content type, start; locked while parts are written
    data                            the object being assembled: part n at (n - 1) × S
    slot                            S, the size of every part but the last, fixed once known
    signed.<nnnnn>.<bytes>          part n was signed for at most <bytes>
    <nnnnn>.<md5>.<size>@<offset>   part n, stored in ``data`` at <offset>
    <nnnnn>.<md5>                   part n in a file of its own (it came before S was known)
    lock.<nnnnn>                    held while part n is being written

Complete used to concatenate the parts into a new file: every byte was written twice, and a
1 GiB upload made a complete that copied 1 GiB while the request waited. Now a part streams
straight to its final offset in ``data``, and complete checks the part list, trims ``data``
and renames it into place: no byte is copied.

The offset of part n is (n - 1) × S, and the storage is told S only indirectly: the app
signs every part for its exact size from the declared file size (assets/quota.py), and every
part but the last has the same size, as on S3. So once two part numbers have been signed, the
lower one's size is S; and part 1 is never the last part of a file of several parts, so its
size is S too. S is fixed the first time a part needs it (``slot`` is a symlink: created
atomically, first writer wins) and a part goes into ``data`` only if its signed maximum fits
its slot, so no two parts can ever overlap, whatever a client signs or sends. A part that
comes before S is known (or is larger than its slot) is kept in a file of its own and copied
in at complete: the only bytes ever written twice, and only for a client that, unlike Uppy,
sends a later part before any other part has been signed.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .base import MIN_PART_SIZE, InvalidPart, StorageError, UploadNotFound

CHUNK = 1 << 20
UPLOAD_INFO = "upload.json"
DATA = "data"
SLOT = "slot"
PLACED_PART = re.compile(r"^(\d{5})\.([0-9a-f]{32})\.(\d+)@(\d+)$")
OWN_FILE_PART = re.compile(r"^(\d{5})\.([0-9a-f]{32})$")
SIGNED = re.compile(r"^signed\.(\d{5})\.(\d+)$")
MD5_HEX = re.compile(r"^[0-9a-f]{32}$")


class PartTooLarge(StorageError):
    pass


@dataclass(frozen=True)
class StoredPart:
    number: int
    etag: str
    size: int
    path: Path  # the part's own file, or its record beside ``data``
    offset: int | None  # where it lies in ``data``; None when it has a file of its own


# --- what is stored --------------------------------------------------------------------------


def stored_parts(folder: Path) -> dict[int, StoredPart]:
    """Every part stored so far, by number. A part is written under its own lock and its old
    entries are removed first, so there is one entry per number; should a crash have left two,
    the newer one counts, as S3 keeps the last upload of a part."""
    found: dict[int, tuple[int, StoredPart]] = {}
    for path in folder.iterdir():
        if placed := PLACED_PART.match(path.name):
            number, etag, size, offset = placed.groups()
            part = StoredPart(int(number), etag, int(size), path, int(offset))
        elif own := OWN_FILE_PART.match(path.name):
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue  # replaced under our feet by a newer copy of the part
            part = StoredPart(int(own.group(1)), own.group(2), size, path, None)
        else:
            continue
        try:
            mtime = path.stat().st_mtime_ns
        except FileNotFoundError:
            continue
        if part.number not in found or mtime > found[part.number][0]:
            found[part.number] = (mtime, part)
    return {number: part for number, (_mtime, part) in found.items()}


def forget(folder: Path, part_number: int) -> None:
    """Remove part ``part_number`` before it is written again: a part sent anew replaces the
    old one, and the old bytes in ``data`` stop being described as the part while they are
    overwritten (a new copy that fails halfway leaves the part missing, never wrong)."""
    prefix = f"{part_number:05d}."
    for path in folder.iterdir():
        if path.name.startswith(prefix):
            path.unlink(missing_ok=True)


def record(folder: Path, part_number: int, etag: str, size: int, offset: int) -> None:
    """Describe a part now whole in ``data``: an empty file whose name says it all."""
    os.close(os.open(folder / f"{part_number:05d}.{etag}.{size}@{offset}", os.O_WRONLY | os.O_CREAT, 0o600))


# --- where a part goes -------------------------------------------------------------------------


def note_signed(folder: Path, part_number: int, size: int) -> None:
    """Remember that part ``part_number`` was signed for ``size`` bytes (what S is learned from)."""
    os.close(os.open(folder / f"signed.{part_number:05d}.{size}", os.O_WRONLY | os.O_CREAT, 0o600))


def _slot_from_signatures(folder: Path) -> int | None:
    signed: dict[int, int] = {}
    for path in folder.iterdir():
        if match := SIGNED.match(path.name):
            number, size = int(match.group(1)), int(match.group(2))
            signed[number] = max(size, signed.get(number, 0))
    # Part 1 is never the last of several parts (and alone, S does not matter), so its size
    # is S; without it, any part signed below another is not the last either.
    if 1 in signed:
        return signed[1]
    if len(signed) >= 2:
        return signed[min(signed)]
    return None


def slot_size(folder: Path) -> int | None:
    """S for this upload, fixing it now if the signatures tell it; None while unknown."""
    slot = folder / SLOT
    try:
        return int(os.readlink(slot))
    except FileNotFoundError:
        pass
    learned = _slot_from_signatures(folder)
    if learned is None:
        return None
    try:
        # A symlink is created whole or not at all, and only once: the first writer's S wins.
        os.symlink(str(learned), slot)
    except FileExistsError:
        pass
    return int(os.readlink(slot))


def offset_in_data(folder: Path, part_number: int, max_bytes: int) -> int | None:
    """Where part ``part_number`` of at most ``max_bytes`` goes in ``data``, or None when it
    must wait in a file of its own (S unknown, or the part larger than its slot)."""
    if not (folder / DATA).is_file():
        return None  # an upload started before parts were written in place
    slot = slot_size(folder)
    if slot is None or max_bytes > slot:
        return None
    return (part_number - 1) * slot


# --- writing ---------------------------------------------------------------------------------


@contextmanager
def writing_part(folder: Path, part_number: int, upload_id: str) -> Iterator[None]:
    """Hold the upload open (complete waits for no one: it refuses while a part is being
    written, see ``completing``) and part ``part_number`` for this writer alone."""
    try:
        upload_fd = os.open(folder / UPLOAD_INFO, os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError):
        raise UploadNotFound(upload_id) from None
    try:
        fcntl.flock(upload_fd, fcntl.LOCK_SH)
        if not (folder / UPLOAD_INFO).exists():
            raise UploadNotFound(upload_id)  # completed or aborted while we waited
        try:
            part_fd = os.open(folder / f"lock.{part_number:05d}", os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:
            raise UploadNotFound(upload_id) from None
        try:
            # Two copies of one part at once (a retry while the first still streams) take
            # turns, so the record of the part always describes the bytes under it.
            fcntl.flock(part_fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(part_fd)
    finally:
        os.close(upload_fd)


@contextmanager
def completing(folder: Path, upload_id: str) -> Iterator[None]:
    """The upload for complete alone. A part still being written is refused, not waited for:
    complete may hold the database's write lock, and Uppy completes only after every part
    has been answered, so a writer still busy is a stray copy."""
    try:
        upload_fd = os.open(folder / UPLOAD_INFO, os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError):
        raise UploadNotFound(upload_id) from None
    try:
        try:
            fcntl.flock(upload_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InvalidPart("a part of this upload is still being written; complete it again") from None
        if not (folder / UPLOAD_INFO).exists():
            raise UploadNotFound(upload_id)
        yield
    finally:
        os.close(upload_fd)


def _read_into(stream: BinaryIO, view: memoryview) -> int:
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        return readinto(view) or 0
    data = stream.read(len(view))
    view[: len(data)] = data
    return len(data)


def write_at(fd: int, view: memoryview, offset: int) -> None:
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def receive(stream: BinaryIO, fd: int, offset: int, limit: int, part_number: int) -> tuple[str, int]:
    """Stream a part into ``fd`` at ``offset``; returns its MD5 (the S3 part ETag) and size.

    Raises PartTooLarge as soon as a byte beyond ``limit`` arrives, before writing it."""
    md5, size = hashlib.md5(usedforsecurity=False), 0
    buffer = memoryview(bytearray(CHUNK))
    # Never ask for more than one byte past the limit: that byte is enough to refuse.
    while got := _read_into(stream, buffer[: min(CHUNK, limit - size + 1)]):
        if size + got > limit:
            raise PartTooLarge(f"part {part_number} is larger than {limit} bytes")
        chunk = buffer[:got]
        md5.update(chunk)
        write_at(fd, chunk, offset + size)
        size += got
    return md5.hexdigest(), size


# --- complete --------------------------------------------------------------------------------


def chosen_parts(folder: Path, checked: list[tuple[int, str]]) -> list[StoredPart]:
    """The stored parts the list names, with S3's checks: each stored with that ETag, and
    every part but the last at least MIN_PART_SIZE."""
    stored = stored_parts(folder)
    chosen = []
    for index, (number, etag) in enumerate(checked):
        part = stored.get(number)
        if not MD5_HEX.match(etag) or part is None or part.etag != etag:
            raise InvalidPart(f"part {number} with ETag {etag} was not uploaded")
        if index < len(checked) - 1 and part.size < MIN_PART_SIZE:
            raise InvalidPart(f"part {number} is smaller than {MIN_PART_SIZE} bytes")
        chosen.append(part)
    return chosen


def fill_and_trim(folder: Path, chosen: list[StoredPart], late: list[tuple[StoredPart, int]], size: int) -> None:
    """Copy the parts kept in files of their own (``late``, with their place) into ``data``,
    and cut ``data`` to the object's ``size``."""
    fd = os.open(folder / DATA, os.O_RDWR)
    try:
        if late:
            # Parts not in the list may lie where a late part goes: they stop being parts.
            numbers = {part.number for part in chosen}
            for number in stored_parts(folder):
                if number not in numbers:
                    forget(folder, number)
        for part, start in late:
            source = os.open(part.path, os.O_RDONLY)
            try:
                copy_range(source, 0, part.size, fd, start)
            finally:
                os.close(source)
        if os.fstat(fd).st_size < size:
            raise InvalidPart("the upload's data is shorter than its parts")
        os.ftruncate(fd, size)  # parts stored beyond the list are no part of the object
    finally:
        os.close(fd)


def copy_range(source_fd: int, start: int, length: int, target_fd: int, offset: int) -> None:
    buffer = memoryview(bytearray(CHUNK))
    done = 0
    while done < length:
        got = os.preadv(source_fd, [buffer[: min(CHUNK, length - done)]], start + done)
        if not got:
            raise StorageError("a stored part is shorter than its record")
        write_at(target_fd, buffer[:got], offset + done)
        done += got


def read_part(part: StoredPart, data_fd: int | None) -> Iterator[bytes]:
    """The bytes of a stored part, in chunks."""
    if part.offset is None:
        with part.path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
        return
    if data_fd is None:
        raise StorageError(f"part {part.number} lies in a data file that is gone")
    done = 0
    while done < part.size:
        chunk = os.pread(data_fd, min(CHUNK, part.size - done), part.offset + done)
        if not chunk:
            raise StorageError("a stored part is shorter than its record")
        yield chunk
        done += len(chunk)
