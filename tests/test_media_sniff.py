"""Type detection from the first 4 KiB: real sample files, and hand-made headers for the
formats we refuse or that are ambiguous."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import struct
import tarfile
import zipfile

import pytest

from koin_media.media import sniff as s
from koin_media.media.sniff import SNIFF_BYTES, declared_type_matches, extension_matches, refusal, sniff
from tests.samples import SampleCache


@pytest.fixture(scope="module")
def make(tmp_path_factory):
    return SampleCache(tmp_path_factory.mktemp("sniff-samples"))


def head_of(path) -> bytes:
    # What the app gets from its ranged read.
    with open(path, "rb") as fp:
        return fp.read(SNIFF_BYTES)


@pytest.mark.parametrize(
    ("sample", "mime", "kind"),
    [
        ("jpeg", "image/jpeg", "image"),
        ("png", "image/png", "image"),
        ("webp", "image/webp", "image"),
        ("pixel_bomb", "image/png", "image"),  # a valid header: processing refuses it, not sniffing
        ("truncated_jpeg", "image/jpeg", "image"),
        ("mp4", "video/mp4", "video"),
        ("mov", "video/quicktime", "video"),
        ("webm", "video/webm", "video"),
        ("corrupt_mp4", "video/mp4", "video"),
        ("mp3", "audio/mpeg", "audio"),
        ("mp3_with_cover", "audio/mpeg", "audio"),  # the ID3 tag with the art is longer than 4 KiB
        ("wav", "audio/wav", "audio"),
        ("m4a", "audio/mp4", "audio"),
        ("aac_adts", "audio/aac", "audio"),
        ("mp4_audio_only", "audio/mp4", "audio"),  # generic brands, but the moov shows only sound
        ("pdf", "application/pdf", "document"),
    ],
)
def test_allowlisted_samples_are_recognised(make, sample, mime, kind):
    path = make(sample)
    head = head_of(path)
    found = sniff(head)
    assert found is not None
    assert (found.mime, found.kind) == (mime, kind)
    assert refusal(head) is None
    assert extension_matches(path.name, found)
    assert declared_type_matches(mime, found)


@pytest.mark.parametrize(
    ("sample", "code"),
    [
        ("html_named_jpg", "html"),
        ("svg", "svg"),
        ("empty_file", "empty"),
        ("zip_file", "archive"),
        ("exe_like", "executable"),
    ],
)
def test_refused_samples_get_their_code(make, sample, code):
    head = head_of(make(sample))
    assert sniff(head) is None
    assert refusal(head) == code


def _tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        info = tarfile.TarInfo("a.txt")
        info.size = 2
        tf.addfile(info, io.BytesIO(b"hi"))
    return buf.getvalue()


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00\x00\x00\x08free"


@pytest.mark.parametrize(
    ("head", "code"),
    [
        (b"#!/bin/sh\nrm -rf /\n", "script"),
        (b"<?php system($_GET['c']); ?>", "script"),
        (b"  \n<?PHP echo 1;", "script"),
        (b"function steal() { fetch('/x') }", "script"),
        (b"\xef\xbb\xbf'use strict';\nconst a = 1;", "script"),
        (b"<%@ page language='java' %>", "script"),
        (b"<html><body>hi</body></html>", "html"),
        (b"\n\t <!doctype HTML>\n<title>x</title>", "html"),
        (b"<SCRIPT>alert(1)</SCRIPT>", "html"),
        (b"<!-- comment --><div>x</div>", "html"),
        ("\ufeff<html><body>utf-16</body></html>".encode("utf-16-le"), "html"),
        ("\ufeff<svg xmlns='http://www.w3.org/2000/svg'/>".encode("utf-16-be"), "svg"),
        (b"<?xml version='1.0'?>\n<!DOCTYPE svg PUBLIC '-//W3C//DTD SVG 1.1//EN' 'x'>\n<svg/>", "svg"),
        (b"   <svg width='1'/>", "svg"),
        (b"<?xml version='1.0'?><!DOCTYPE html><html xmlns='http://www.w3.org/1999/xhtml'/>", "html"),
        (_docx(), "archive"),
        (b"Rar!\x1a\x07\x01\x00" + b"\x00" * 20, "archive"),
        (b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 20, "archive"),
        (gzip.compress(b"hello", mtime=0), "archive"),
        (bz2.compress(b"hello"), "archive"),
        (lzma.compress(b"hello"), "archive"),
        (_tar(), "archive"),
        (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56, "executable"),
        (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 24, "executable"),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x02" + b"\x00" * 24, "executable"),
        (b"", "empty"),
        (b"just some notes\nabout a product\n", "unknown"),
        (bytes(range(256)) * 4, "unknown"),
        (b"\x00" * 4096, "unknown"),
        (b"<?xml version='1.0'?><rss version='2.0'/>", "unknown"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska", "unknown"),  # MKV is not WebM
        (_ftyp(b"heic", b"mif1", b"heic"), "unknown"),  # HEIC photos are not on the list
        (_ftyp(b"3gp4", b"3gp4", b"isom"), "unknown"),
        (_ftyp(b"M4P ", b"M4P ", b"mp42"), "unknown"),  # DRM-protected music
        (b"GIF89a\x01\x00\x01\x00", "unknown"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00fLaC\x00\x00\x00\x22" + b"\x00" * 40, "unknown"),  # FLAC behind ID3
        (b"\xff\xfb\x90\x00" + b"\x55" * 1000, "unknown"),  # one lucky frame sync, then no next frame
    ],
)
def test_refusals_from_headers(head, code):
    assert sniff(head) is None
    assert refusal(head) == code


def _frames_only(mp3: bytes) -> bytes:
    """The MPEG frames of an MP3 with its ID3v2 tag removed."""
    assert mp3[:3] == b"ID3"
    size = 10 + (mp3[6] << 21 | mp3[7] << 14 | mp3[8] << 7 | mp3[9])
    return mp3[size:]


def test_mp3_without_id3_tag_is_found_by_frame_sync(make):
    head = _frames_only(make("mp3").read_bytes())[:SNIFF_BYTES]
    assert sniff(head) == s.MP3


def test_adts_behind_an_id3_tag_is_aac(make):
    frames = make("aac_adts").read_bytes()
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x14" + b"\x00" * 20
    assert sniff((tag + frames)[:SNIFF_BYTES]) == s.AAC


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (_ftyp(b"qt  ", b"qt  "), s.MOV),
        (_ftyp(b"M4V ", b"M4V ", b"M4A ", b"mp42"), s.MP4),
        (_ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), s.M4A),
        (_ftyp(b"M4B ", b"M4B ", b"mp42"), s.M4A),
        (_ftyp(b"mp42", b"mp42", b"M4A "), s.M4A),  # the brand list says audio
        (_ftyp(b"mp42", b"mp42", b"isom"), s.MP4),  # nothing says audio: video by default
        (_ftyp(b"isom", b"isom", b"avc1"), s.MP4),
    ],
)
def test_iso_media_brands(head, expected):
    assert sniff(head) == expected


def test_generic_mp4_with_moov_at_the_end_uses_the_filename_to_pick_audio(make):
    head = head_of(make("mp4_audio_only", faststart=False))
    assert sniff(head) == s.MP4
    assert sniff(head, "Rekaman 001.M4A") == s.M4A
    assert sniff(head, "clip.mp4") == s.MP4
    # The filename can never make a refused file acceptable.
    assert sniff(b"<html>", "x.m4a") is None


def test_video_handler_in_the_head_wins_over_an_audio_filename(make):
    assert sniff(head_of(make("mp4")), "song.m4a") == s.MP4


def test_only_the_first_4_kib_are_needed(make):
    for sample in ("jpeg", "mp4", "pdf", "wav"):
        data = make(sample).read_bytes()
        assert sniff(data[:SNIFF_BYTES]) == sniff(data)


@pytest.mark.parametrize(
    ("filename", "fmt", "ok"),
    [
        ("IMG_0001.JPG", s.JPEG, True),
        ("foto.jpeg", s.JPEG, True),
        ("foto.jfif", s.JPEG, True),
        ("foto.jpg ", s.JPEG, True),
        ("C:\\Users\\ani\\foto.Jpg", s.JPEG, True),
        ("evil.html.jpg", s.JPEG, True),
        ("foto.jpg.html", s.JPEG, False),
        ("foto.png", s.JPEG, False),
        ("foto", s.JPEG, False),
        (".jpg", s.JPEG, False),
        ("klip.MOV", s.MOV, True),
        ("klip.qt", s.MOV, True),
        ("klip.mp4", s.MOV, False),
        ("klip.m4v", s.MP4, True),
        ("lagu.m4a", s.M4A, True),
        ("lagu.aac", s.M4A, True),
        ("lagu.aac", s.AAC, True),
        ("lagu.mp3", s.M4A, False),
        ("suara.WAV", s.WAV, True),
        ("brosur.pdf", s.PDF, True),
        ("brosur.pdf", s.PNG, False),
    ],
)
def test_extension_matches(filename, fmt, ok):
    assert extension_matches(filename, fmt) is ok


@pytest.mark.parametrize(
    ("declared", "fmt", "ok"),
    [
        (None, s.JPEG, True),
        ("", s.PDF, True),
        ("application/octet-stream", s.MP4, True),
        ("image/jpeg", s.JPEG, True),
        ("image/jpg", s.JPEG, True),
        ("IMAGE/JPEG; charset=binary", s.JPEG, True),
        ("audio/x-wav", s.WAV, True),
        ("audio/wave", s.WAV, True),
        ("audio/mp3", s.MP3, True),
        ("video/x-m4v", s.MP4, True),
        ("video/webm; codecs=vp8", s.WEBM, True),
        ("audio/x-m4a", s.M4A, True),
        ("audio/vnd.dlna.adts", s.AAC, True),
        ("text/html", s.JPEG, False),
        ("image/svg+xml", s.PNG, False),
        ("image/png", s.JPEG, False),
        ("video/mp4", s.MP3, False),
        ("application/pdf", s.WAV, False),
    ],
)
def test_declared_type_matches(declared, fmt, ok):
    assert declared_type_matches(declared, fmt) is ok


def test_mismatches_on_real_samples_are_caught(make):
    photo = sniff(head_of(make("jpeg")))
    assert not extension_matches("photo.png", photo)
    assert not declared_type_matches("image/png", photo)
    # Named and declared as a JPEG, but it is HTML: never accepted whatever the name says.
    fake = make("html_named_jpg")
    assert fake.suffix == ".jpg"
    assert sniff(head_of(fake), fake.name) is None


def test_formats_table_is_consistent():
    assert set(s.FORMATS) == {"image/jpeg", "image/png", "image/webp", "video/mp4", "video/quicktime", "video/webm",
                              "audio/mpeg", "audio/wav", "audio/mp4", "audio/aac", "application/pdf"}  # fmt: skip
    for mime, fmt in s.FORMATS.items():
        assert fmt.mime == mime
        assert fmt.kind in {"image", "video", "audio", "document"}
        assert f".{fmt.extensions[0]}" in s.ACCEPT and mime in s.ACCEPT
