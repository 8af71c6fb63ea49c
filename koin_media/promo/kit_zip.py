"""A ZIP written from storage to storage in constant memory.

Python's ``zipfile`` writes to ``PartWriter``, a file object that cannot seek: zipfile then puts
each member's CRC and sizes in a data descriptor after its bytes instead of going back to the
header, so nothing already written is ever needed again. Each time ``part_bytes`` have
gathered they go to the store as one part of a multipart upload. Members are read with
``storage.iter_chunks``: a file is never whole in memory nor on disk, whatever its size.
Media are stored as they are (ZIP_STORED: photos and video do not compress), the credit files
deflated. ZIP64 records are used where sizes or offsets pass 4 GiB, so kits and members above
4 GiB open. Any failure aborts the multipart upload: no part stays behind in the store.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..storage import ObjectInfo, Storage

ZIP_CONTENT_TYPE = "application/zip"
# Members this large (or of unknown size) get ZIP64 headers from the start: zipfile decides per
# member before its bytes are written, and a plain header cannot be fixed later without seeking.
ZIP64_FROM = zipfile.ZIP64_LIMIT // 2
READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class Member:
    """One file of the archive: streamed from the store (``key``), or small text (``data``)."""

    name: str
    key: str | None = None
    size: int | None = None  # of the stored object, when known
    data: bytes | None = None


class PartWriter(io.RawIOBase):
    """A write-only, non-seekable file whose bytes go to a multipart upload, a part at a time."""

    def __init__(self, storage: Storage, key: str, upload_id: str, part_bytes: int, on_part: Callable | None = None):
        super().__init__()
        self.storage, self.key, self.upload_id = storage, key, upload_id
        self.part_bytes = part_bytes
        self.on_part = on_part
        self.buffer = bytearray()
        self.position = 0
        self.parts: list[tuple[int, str]] = []

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position  # zipfile records each member's offset from it

    def write(self, data) -> int:
        size = len(data)
        self.buffer += data
        self.position += size
        while len(self.buffer) >= self.part_bytes:
            with memoryview(self.buffer) as view:
                part = bytes(view[: self.part_bytes])
            del self.buffer[: self.part_bytes]  # shifts in place: the buffer never grows past a part
            self._send(part)
        return size

    def _send(self, part: bytes) -> None:
        number = len(self.parts) + 1
        self.parts.append((number, self.storage.upload_part(self.key, self.upload_id, number, part)))
        if self.on_part is not None:
            self.on_part(number)

    def finish(self) -> list[tuple[int, str]]:
        """Send what is left as the last part; the parts to complete the upload with."""
        if self.buffer or not self.parts:
            part = bytes(self.buffer)
            self.buffer = bytearray()
            self._send(part)
        return self.parts


def write_zip(
    storage: Storage,
    key: str,
    members: Iterable[Member],
    *,
    part_bytes: int,
    date_time: tuple[int, int, int, int, int, int],
    zip64_from: int = ZIP64_FROM,
    on_upload: Callable[[str], None] | None = None,
    on_part: Callable[[int], None] | None = None,
) -> ObjectInfo:
    """Write ``members`` as one ZIP to ``key``; the stored object's info. ``on_upload`` hears
    the multipart upload's id as soon as it exists (to abort it should this process die),
    ``on_part`` each part's number once stored (a place to check the job still holds its kit)."""
    upload_id = storage.create_multipart(key, ZIP_CONTENT_TYPE)
    try:
        if on_upload is not None:
            on_upload(upload_id)
        writer = PartWriter(storage, key, upload_id, part_bytes, on_part)
        with zipfile.ZipFile(writer, "w", allowZip64=True) as archive:
            for member in members:
                _add(storage, archive, member, date_time, zip64_from)
        return storage.complete_multipart(key, upload_id, writer.finish())
    except BaseException:
        storage.abort_multipart(key, upload_id)
        raise


def _add(storage: Storage, archive: zipfile.ZipFile, member: Member, date_time, zip64_from: int) -> None:
    info = zipfile.ZipInfo(member.name, date_time=date_time)
    info.external_attr = 0o644 << 16
    if member.data is not None:
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, member.data)
        return
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = member.size or 0  # only guides zipfile's choice of headers
    force_zip64 = member.size is None or member.size >= zip64_from
    with archive.open(info, "w", force_zip64=force_zip64) as target:
        for chunk in storage.iter_chunks(member.key, READ_CHUNK):
            target.write(chunk)
