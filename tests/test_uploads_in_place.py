"""The local backend writes each part once, at its place in the object.

Complete used to concatenate the parts into a new file, writing every byte twice. Now a part
streams to its offset in the upload's ``data`` file and complete renames that file into
place. These tests hold that, and the rules the new layout needs: a part listed but not
stored is refused, parts of uneven sizes still make the right object, a part sent again
replaces the old one, two copies of one part take turns, complete refuses while a part is
still arriving, abort wins over a part arriving.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import threading
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import ClientDisconnected

from koin_media.storage import InvalidPart, UploadNotFound, get_storage
from koin_media.storage.local import PartTooLarge

MIB = 1024 * 1024
S = 5 * MIB  # the part size of every part but the last, as the app's part plan cuts them
HANG_GUARD_SECONDS = 60
OWN_FILE = re.compile(r"^\d{5}\.[0-9a-f]{32}$")


@pytest.fixture
def local_app(make_app, storage_settings):
    app = make_app(**storage_settings("local"))
    with app.app_context():
        yield app


@pytest.fixture
def storage(local_app):
    return get_storage()


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def new_upload(storage) -> tuple[str, str]:
    key = f"assets/{uuid.uuid4().hex}/original"
    return key, storage.create_multipart(key, "video/mp4")


def put(app, storage, key: str, upload_id: str, number: int, data: bytes, signed_size: int | None = None):
    """Sign part ``number`` and PUT ``data`` to its URL through the app, as Uppy does."""
    url, _ttl = storage.sign_part(key, upload_id, number, size=len(data) if signed_size is None else signed_size)
    parts = urlsplit(url)
    response = app.test_client().put(f"{parts.path}?{parts.query}", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["ETag"] == f'"{md5(data)}"'
    return number, md5(data)


def folder_of(storage, upload_id: str) -> Path:
    return storage.multipart / upload_id


def own_files(storage, upload_id: str) -> list[str]:
    """Parts kept in files of their own (named <nnnnn>.<md5>), i.e. not written in place."""
    return sorted(p.name for p in folder_of(storage, upload_id).iterdir() if OWN_FILE.match(p.name))


def written_bytes() -> int:
    """Bytes this process has handed to write(2) and friends so far (all its threads)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise AssertionError("no wchar in /proc/self/io")


def three_parts() -> list[bytes]:
    return [os.urandom(S), os.urandom(S), os.urandom(MIB + 7)]


def read_object(storage, key: str) -> bytes:
    return b"".join(storage.iter_chunks(key))


class GatedStream(io.RawIOBase):
    """A part body that stops after ``gate_at`` bytes until ``go`` is set, telling ``midway``
    when it got there: a slow phone, held mid-part by the test (real threads, no timing)."""

    def __init__(self, data: bytes, gate_at: int, fail_at_gate: bool = False):
        self.data, self.gate_at, self.position, self.fail_at_gate = data, gate_at, 0, fail_at_gate
        self.midway, self.go = threading.Event(), threading.Event()

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.position == self.gate_at and not self.go.is_set():
            self.midway.set()
            assert self.go.wait(HANG_GUARD_SECONDS), "the test never let the part go on"
            if self.fail_at_gate:
                raise ClientDisconnected()  # what Werkzeug raises when the phone's connection drops
        end = self.gate_at if self.position < self.gate_at else len(self.data)
        n = min(len(buffer), end - self.position)
        buffer[:n] = self.data[self.position : self.position + n]
        self.position += n
        return n


class Writer(threading.Thread):
    """storage.write_part in a thread of its own, with the app context it needs."""

    def __init__(self, app, *args, **kwargs):
        super().__init__(daemon=True)
        self.app, self.args, self.kwargs = app, args, kwargs
        self.result, self.error = None, None

    def run(self):
        with self.app.app_context():
            try:
                self.result = get_storage().write_part(*self.args, **self.kwargs)
            except BaseException as exc:  # looked at by the test
                self.error = exc

    def finish(self):
        self.join(HANG_GUARD_SECONDS)
        assert not self.is_alive(), "the writer hangs"
        return self


# --- written once ---------------------------------------------------------------------------


@pytest.mark.parametrize("order", [(1, 2, 3), (3, 1, 2)], ids=["in-order", "resumed-out-of-order"])
def test_parts_are_written_once_where_the_object_needs_them(local_app, storage, order):
    key, upload_id = new_upload(storage)
    pieces = three_parts()
    data_inode = (folder_of(storage, upload_id) / "data").stat().st_ino
    for number in (1, 2, 3):  # Uppy signs part 1 first; a resumed upload may send in any order
        storage.sign_part(key, upload_id, number, size=len(pieces[number - 1]))
    sent = sorted(put(local_app, storage, key, upload_id, n, pieces[n - 1]) for n in order)
    assert own_files(storage, upload_id) == []
    assert [(p.part_number, p.etag, p.size) for p in storage.list_parts(key, upload_id)] == [
        (n, md5(pieces[n - 1]), len(pieces[n - 1])) for n in (1, 2, 3)
    ]

    before = written_bytes()
    info = storage.complete_multipart(key, upload_id, sent)
    assert written_bytes() - before < 64 * 1024  # metadata only: no part is copied

    assert storage.object_path(key).stat().st_ino == data_inode  # the very file the parts went to
    assert info.size == sum(map(len, pieces)) and read_object(storage, key) == b"".join(pieces)
    assert info.etag.endswith("-3")
    assert not (storage.multipart / upload_id).exists() and list(storage.multipart.iterdir()) == []
    assert list(storage.tmp.iterdir()) == []


def test_a_one_part_upload_is_renamed_into_place(local_app, storage):
    key, upload_id = new_upload(storage)
    body = os.urandom(300 * 1024)
    sent = [put(local_app, storage, key, upload_id, 1, body)]
    before = written_bytes()
    storage.complete_multipart(key, upload_id, sent)
    assert written_bytes() - before < 64 * 1024
    assert read_object(storage, key) == body


def test_a_part_sent_before_its_place_is_known_is_copied_in_at_complete(local_app, storage):
    """Only a client that starts with a later part (never Uppy) makes complete copy bytes,
    and then only that part's."""
    key, upload_id = new_upload(storage)
    pieces = three_parts()
    early = put(local_app, storage, key, upload_id, 2, pieces[1])  # nothing tells where part 2 goes yet
    assert own_files(storage, upload_id) == [f"00002.{md5(pieces[1])}"]
    sent = sorted([early, put(local_app, storage, key, upload_id, 1, pieces[0])])
    sent.append(put(local_app, storage, key, upload_id, 3, pieces[2]))
    assert own_files(storage, upload_id) == [f"00002.{md5(pieces[1])}"]

    before = written_bytes()
    storage.complete_multipart(key, upload_id, sent)
    assert S <= written_bytes() - before < S + 64 * 1024  # part 2, once more; parts 1 and 3 not
    assert read_object(storage, key) == b"".join(pieces)


def test_an_upload_without_a_data_file_still_completes(local_app, storage):
    """Uploads started before parts were written in place keep each part in its own file."""
    key, upload_id = new_upload(storage)
    (folder_of(storage, upload_id) / "data").unlink()
    pieces = three_parts()
    sent = [put(local_app, storage, key, upload_id, n, pieces[n - 1]) for n in (1, 2, 3)]
    assert len(own_files(storage, upload_id)) == 3
    storage.complete_multipart(key, upload_id, sent)
    assert read_object(storage, key) == b"".join(pieces)


# --- holes and sizes --------------------------------------------------------------------------


def test_a_part_listed_but_never_stored_is_refused_and_the_upload_resumes(local_app, storage):
    key, upload_id = new_upload(storage)
    pieces = three_parts()
    storage.sign_part(key, upload_id, 2, size=S)
    first, third = (put(local_app, storage, key, upload_id, n, pieces[n - 1]) for n in (1, 3))
    with pytest.raises(InvalidPart):  # part 2's bytes would be a hole of whatever the disk held
        storage.complete_multipart(key, upload_id, [first, (2, md5(pieces[1])), third])
    assert storage.head(key) is None
    assert [p.part_number for p in storage.list_parts(key, upload_id)] == [1, 3]

    second = put(local_app, storage, key, upload_id, 2, pieces[1])
    storage.complete_multipart(key, upload_id, [first, second, third])
    assert read_object(storage, key) == b"".join(pieces)


def test_a_copy_that_broke_off_leaves_the_part_missing_not_stale(local_app, storage):
    """A part sent again overwrites the old bytes in place: if the new copy breaks off, the
    part is gone (Uppy sends it again after ListParts), never described by the old ETag."""
    key, upload_id = new_upload(storage)
    pieces = three_parts()
    sent = [put(local_app, storage, key, upload_id, n, pieces[n - 1]) for n in (1, 2, 3)]
    broken = GatedStream(os.urandom(S), gate_at=MIB, fail_at_gate=True)
    writer = Writer(local_app, key, upload_id, 2, broken, max_bytes=S)
    writer.start()
    assert broken.midway.wait(HANG_GUARD_SECONDS)
    broken.go.set()
    assert isinstance(writer.finish().error, ClientDisconnected)

    assert [p.part_number for p in storage.list_parts(key, upload_id)] == [1, 3]
    with pytest.raises(InvalidPart):
        storage.complete_multipart(key, upload_id, sent)
    sent[1] = put(local_app, storage, key, upload_id, 2, pieces[1])
    storage.complete_multipart(key, upload_id, sent)
    assert read_object(storage, key) == b"".join(pieces)


def test_parts_of_uneven_sizes_still_make_the_right_object(local_app, storage):
    """A part shorter than the size it was signed for (S3 refuses it at the PUT; the local
    store takes up to the signed size) leaves a gap in ``data``: complete builds the object
    anew rather than serving the gap."""
    key, upload_id = new_upload(storage)
    slot = 6 * MIB
    pieces = [os.urandom(slot), os.urandom(slot - MIB // 2), os.urandom(1000)]
    sent = [put(local_app, storage, key, upload_id, n, pieces[n - 1], signed_size=slot) for n in (1, 2, 3)]
    info = storage.complete_multipart(key, upload_id, sent)
    assert info.size == sum(map(len, pieces)) and read_object(storage, key) == b"".join(pieces)


def test_skipped_part_numbers_make_the_object_of_the_parts_listed(local_app, storage):
    key, upload_id = new_upload(storage)
    pieces = three_parts()
    sent = [put(local_app, storage, key, upload_id, n, pieces[n - 1]) for n in (1, 2, 3)]
    storage.complete_multipart(key, upload_id, [sent[0], sent[2]])  # as S3: the listed parts, in order
    assert read_object(storage, key) == pieces[0] + pieces[2]


def test_a_part_larger_than_its_slot_never_overlaps_the_next(local_app, storage):
    key, upload_id = new_upload(storage)
    pieces = [os.urandom(S), os.urandom(S + 4096), os.urandom(S)]
    sent = [put(local_app, storage, key, upload_id, n, pieces[n - 1]) for n in (1, 2, 3)]
    assert own_files(storage, upload_id) == [f"00002.{md5(pieces[1])}"]  # kept apart, not in place
    storage.complete_multipart(key, upload_id, sent)
    assert read_object(storage, key) == b"".join(pieces)


def test_a_part_over_its_signed_size_stops_before_the_next_part(local_app, storage):
    key, upload_id = new_upload(storage)
    pieces = three_parts()
    first, third = (put(local_app, storage, key, upload_id, n, pieces[n - 1]) for n in (1, 3))
    storage.sign_part(key, upload_id, 2, size=S)
    with pytest.raises(PartTooLarge):
        storage.write_part(key, upload_id, 2, io.BytesIO(b"x" * (2 * S)), max_bytes=S)
    second = put(local_app, storage, key, upload_id, 2, pieces[1])
    storage.complete_multipart(key, upload_id, [first, second, third])
    assert read_object(storage, key) == b"".join(pieces)  # part 3 untouched by the long body


def test_a_part_sent_again_replaces_the_first_in_place(local_app, storage):
    key, upload_id = new_upload(storage)
    pieces = three_parts()
    put(local_app, storage, key, upload_id, 1, os.urandom(S))
    sent = [put(local_app, storage, key, upload_id, n, pieces[n - 1]) for n in (1, 2, 3)]
    assert [(p.part_number, p.etag) for p in storage.list_parts(key, upload_id)] == [
        (n, md5(pieces[n - 1])) for n in (1, 2, 3)
    ]
    assert own_files(storage, upload_id) == []
    storage.complete_multipart(key, upload_id, sent)
    assert read_object(storage, key) == b"".join(pieces)


# --- parts arriving at once -------------------------------------------------------------------


def test_two_copies_of_one_part_take_turns(local_app, storage):
    """A retry while the first copy still streams: the second waits for the first, so the
    record of the part always describes the bytes under it."""
    key, upload_id = new_upload(storage)
    pieces = three_parts()
    storage.sign_part(key, upload_id, 1, size=S)
    older, newer = os.urandom(S), pieces[0]
    slow = GatedStream(older, gate_at=2 * MIB)
    first = Writer(local_app, key, upload_id, 1, slow, max_bytes=S)
    first.start()
    assert slow.midway.wait(HANG_GUARD_SECONDS)
    second = Writer(local_app, key, upload_id, 1, io.BytesIO(newer), max_bytes=S)
    second.start()
    second.join(0.5)  # not a timing assertion: it may not finish, whatever the wait
    assert second.is_alive(), "the retry wrote while the first copy held the part"
    slow.go.set()
    assert first.finish().error is None and second.finish().error is None
    assert second.result == md5(newer)

    sent = [(1, md5(newer))] + [put(local_app, storage, key, upload_id, n, pieces[n - 1]) for n in (2, 3)]
    storage.complete_multipart(key, upload_id, sent)
    assert read_object(storage, key) == b"".join(pieces)


def test_complete_refuses_while_a_part_is_still_arriving(local_app, storage):
    key, upload_id = new_upload(storage)
    pieces = three_parts()
    sent = [put(local_app, storage, key, upload_id, n, pieces[n - 1]) for n in (1, 2, 3)]
    storage.sign_part(key, upload_id, 4, size=S)
    stray = GatedStream(os.urandom(S), gate_at=MIB)
    writer = Writer(local_app, key, upload_id, 4, stray, max_bytes=S)
    writer.start()
    assert stray.midway.wait(HANG_GUARD_SECONDS)
    with pytest.raises(InvalidPart):  # or the stray copy would write into the finished object
        storage.complete_multipart(key, upload_id, sent)
    stray.go.set()
    assert writer.finish().error is None

    storage.complete_multipart(key, upload_id, sent)
    assert read_object(storage, key) == b"".join(pieces)  # part 4 was not listed: not in the object


def test_abort_while_a_part_arrives(local_app, storage):
    key, upload_id = new_upload(storage)
    storage.sign_part(key, upload_id, 1, size=S)
    slow = GatedStream(os.urandom(S), gate_at=MIB)
    writer = Writer(local_app, key, upload_id, 1, slow, max_bytes=S)
    writer.start()
    assert slow.midway.wait(HANG_GUARD_SECONDS)
    storage.abort_multipart(key, upload_id)
    slow.go.set()
    assert isinstance(writer.finish().error, UploadNotFound)
    assert list(storage.multipart.iterdir()) == [] and storage.head(key) is None
    with pytest.raises(UploadNotFound):
        storage.list_parts(key, upload_id)


def test_leftovers_of_a_killed_removal_are_swept_at_start(local_app, storage):
    leftover = storage.multipart / ".trash-0123456789abcdef"
    leftover.mkdir(parents=True)
    (leftover / "data").write_bytes(b"x" * 1024)
    (leftover / "upload.json").write_text('{"key": "assets/x/original", "initiated": "2024-01-01T00:00:00+00:00"}')
    assert storage.list_multipart_uploads() == []
    storage.ensure_ready([])
    assert not leftover.exists()
