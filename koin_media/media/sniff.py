"""What a file really is, from its first bytes.

The app reads the first ``SNIFF_BYTES`` of the stored object with a ranged read, after the
upload completed, and trusts only this: never the filename, never the browser's Content-Type.
``sniff`` recognises the allowlisted formats; ``refusal`` gives a reason code for everything
else. Codes, not sentences: the caller turns them into translated messages.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

SNIFF_BYTES = 4096


@dataclass(frozen=True)
class Sniffed:
    mime: str
    kind: str  # "image" | "video" | "audio" | "document"
    extensions: tuple[str, ...]  # accepted filename extensions, canonical one first, no dot
    label: str  # short format name (not translated: format names are the same everywhere)


JPEG = Sniffed("image/jpeg", "image", ("jpg", "jpeg", "jpe", "jfif"), "JPEG")
PNG = Sniffed("image/png", "image", ("png", "apng"), "PNG")
WEBP = Sniffed("image/webp", "image", ("webp",), "WebP")
MP4 = Sniffed("video/mp4", "video", ("mp4", "m4v"), "MP4")
MOV = Sniffed("video/quicktime", "video", ("mov", "qt"), "QuickTime")
WEBM = Sniffed("video/webm", "video", ("webm",), "WebM")
MP3 = Sniffed("audio/mpeg", "audio", ("mp3",), "MP3")
WAV = Sniffed("audio/wav", "audio", ("wav", "wave"), "WAV")
# Many encoders name MPEG-4 audio .aac, and an audio-only .mp4 is legitimate.
M4A = Sniffed("audio/mp4", "audio", ("m4a", "m4b", "aac", "mp4"), "M4A")
AAC = Sniffed("audio/aac", "audio", ("aac", "adts"), "AAC")
PDF = Sniffed("application/pdf", "document", ("pdf",), "PDF")

FORMATS: dict[str, Sniffed] = {s.mime: s for s in (JPEG, PNG, WEBP, MP4, MOV, WEBM, MP3, WAV, M4A, AAC, PDF)}

# For the file picker (<input accept> / Uppy allowedFileTypes): a hint only, the server decides.
ACCEPT: tuple[str, ...] = tuple(FORMATS) + tuple(sorted({f".{e}" for s in FORMATS.values() for e in s.extensions}))

# What browsers, operating systems and old tools put in Content-Type for the same formats.
_ALIASES: dict[str, frozenset[str]] = {
    "image/jpeg": frozenset({"image/jpg", "image/pjpeg", "image/jfif", "image/pipeg"}),
    "image/png": frozenset({"image/x-png", "image/apng"}),
    "image/webp": frozenset({"image/x-webp"}),
    "video/mp4": frozenset({"video/x-m4v", "video/m4v", "application/mp4", "video/mpeg4", "video/x-mp4"}),
    "video/quicktime": frozenset({"video/mov", "video/x-quicktime"}),
    "video/webm": frozenset({"audio/webm"}),
    "audio/mpeg": frozenset({"audio/mp3", "audio/x-mp3", "audio/mpeg3", "audio/x-mpeg", "audio/x-mpeg-3", "audio/mpg"}),
    "audio/wav": frozenset({"audio/x-wav", "audio/wave", "audio/vnd.wave", "audio/x-pn-wav"}),
    "audio/mp4": frozenset(
        {"audio/x-m4a", "audio/m4a", "audio/x-m4b", "audio/aac", "audio/x-aac", "application/mp4", "video/mp4"}
    ),  # fmt: skip
    "audio/aac": frozenset({"audio/x-aac", "audio/aacp", "audio/x-hx-aac-adts", "audio/vnd.dlna.adts"}),
    "application/pdf": frozenset({"application/x-pdf", "application/acrobat"}),
}
# "I don't know" from the browser is not a lie; only a specific wrong type is.
_UNDECLARED = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown"})

# ISO base media (ftyp) brands. Brands say what the writer intended; the tracks decide later.
_QT_BRANDS = {b"qt  "}
_AUDIO_BRANDS = {b"M4A ", b"M4B "}
_VIDEO_BRANDS = {b"M4V ", b"M4VH", b"M4VP"}
# Generic brands used for both video and audio-only files (Android recorders write .m4a as mp42).
_GENERIC_BRANDS = {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9",
                   b"mp41", b"mp42", b"avc1", b"dash", b"MSNV", b"f4v "}  # fmt: skip
_HANDLER = re.compile(rb"hdlr.{8}(vide|soun)", re.DOTALL)


def sniff(head: bytes, filename: str | None = None) -> Sniffed | None:
    """The allowlisted format ``head`` starts with, or None.

    ``filename`` is used only to break one tie: an MP4 with generic brands whose track
    handlers are not within ``head`` may be video or audio-only; ".m4a"/".m4b"/".aac" then
    means audio. It can never turn a refused file into an accepted one."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= 12 and head[:4] in (b"RIFF", b"RF64") and head[8:12] in (b"WEBP", b"WAVE"):
        return WEBP if head[8:12] == b"WEBP" else WAV
    if head.startswith(b"%PDF-"):  # strict offset 0: junk before it is how PDF/HTML polyglots start
        return PDF
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _sniff_iso(head, filename)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM if _ebml_doctype(head) == b"webm" else None
    if head.startswith(b"ID3") and len(head) >= 10:
        return _after_id3(head)
    return _sniff_mpeg_audio(head)


def _sniff_iso(head: bytes, filename: str | None) -> Sniffed | None:
    size = struct.unpack(">I", head[:4])[0]
    if size < 16 or size % 4:
        return None
    major = head[8:12]
    brands = {major} | {head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)}
    if major in _QT_BRANDS:
        return MOV
    if brands & _AUDIO_BRANDS and not brands & _VIDEO_BRANDS:
        return M4A
    if brands & _VIDEO_BRANDS:
        return MP4
    if major not in _GENERIC_BRANDS:
        return None  # 3GP, HEIC/AVIF, CR3, protected M4P…: not on the list
    # Faststart files carry their moov near the front: a video handler settles it; "audio
    # only" needs the whole moov in view, because a later video track may lie past ``head``.
    handlers, complete = _moov_handlers(head)
    if b"vide" in handlers:
        return MP4
    if complete and b"soun" in handlers:
        return M4A
    ext = _extension(filename or "")
    return M4A if ext in ("m4a", "m4b", "aac") else MP4


def _moov_handlers(head: bytes) -> tuple[set[bytes], bool]:
    """Track handler types in the top-level moov box, and whether all of moov was in ``head``."""
    offset = 0
    while offset + 8 <= len(head):
        size, box = struct.unpack(">I4s", head[offset : offset + 8])
        if box == b"moov":
            region = head[offset : offset + size] if size >= 8 else head[offset:]
            return set(_HANDLER.findall(region)), size >= 8 and offset + size <= len(head)
        if size < 8:  # 0 = "to end of file", 1 = 64-bit size: either way no moov in view
            break
        offset += size
    return set(), False


def _ebml_doctype(head: bytes) -> bytes | None:
    # DocType element (ID 0x4282) inside the EBML header; its size is a 1-byte vint in practice.
    pos = head.find(b"\x42\x82", 4, 64)
    if pos < 0 or pos + 3 > len(head) or not head[pos + 2] & 0x80:
        return None
    length = head[pos + 2] & 0x7F
    return head[pos + 3 : pos + 3 + length]


def _after_id3(head: bytes) -> Sniffed | None:
    version, flags = head[3], head[5]
    if version not in (2, 3, 4) or any(b & 0x80 for b in head[6:10]):
        return None
    size = 10 + (head[6] << 21 | head[7] << 14 | head[8] << 7 | head[9]) + (10 if flags & 0x10 else 0)
    rest = head[size:]
    if len(rest) < 4:
        return MP3  # the tag (often with cover art) is longer than what we read: MP3 by far the likeliest
    # Some encoders pad between the tag and the first frame.
    rest = rest.lstrip(b"\x00")
    if not rest:
        return MP3
    return _sniff_mpeg_audio(rest) or (MP3 if len(rest) < 4 else None)


_MP3_BITRATES = {  # kbit/s by (MPEG-1?, index)
    True: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    False: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_ADTS_RATES = 13  # sampling-frequency indexes 0..12 are defined


def _mp3_frame_length(h: bytes) -> int | None:
    """Length of the MPEG audio Layer III frame whose header is ``h[:4]``, or None."""
    if len(h) < 4 or h[0] != 0xFF or h[1] & 0xE0 != 0xE0:
        return None
    version, layer = (h[1] >> 3) & 3, (h[1] >> 1) & 3
    bitrate_index, rate_index, padding = h[2] >> 4, (h[2] >> 2) & 3, (h[2] >> 1) & 1
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None  # reserved version, not Layer III, free/bad bitrate, reserved rate
    mpeg1 = version == 3
    bitrate = _MP3_BITRATES[mpeg1][bitrate_index] * 1000
    rate = _MP3_RATES[version][rate_index]
    return (144 if mpeg1 else 72) * bitrate // rate + padding


def _adts_frame_length(h: bytes) -> int | None:
    if len(h) < 7 or h[0] != 0xFF or h[1] & 0xF6 != 0xF0 or (h[2] >> 2) & 0xF >= _ADTS_RATES:
        return None
    length = (h[3] & 3) << 11 | h[4] << 3 | h[5] >> 5
    return length if length >= 7 else None


def _sniff_mpeg_audio(head: bytes) -> Sniffed | None:
    # A frame sync is only 11-12 bits, so random data matches it often: when the next frame
    # is within reach it must be there too.
    for frame_length, fmt in ((_mp3_frame_length, MP3), (_adts_frame_length, AAC)):
        length = frame_length(head)
        if length is None:
            continue
        following = head[length : length + 7]
        if len(following) < 7 or frame_length(following) is not None:
            return fmt
    return None


# --- refusals -------------------------------------------------------------------------------

_EXECUTABLE = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
               b"\xca\xfe\xba\xbe", b"dex\n", b"\x00asm")  # fmt: skip
_ARCHIVE = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b",
            b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"MSCF", b"LZIP")  # fmt: skip
# The WHATWG mimesniff HTML signatures (each followed by a space or ">"), plus a few more.
_HTML_TAGS = (b"!doctype html", b"html", b"head", b"script", b"iframe", b"h1", b"div", b"font", b"table", b"a",
              b"style", b"title", b"b", b"body", b"br", b"p", b"!--", b"meta", b"link", b"img", b"form",
              b"object", b"embed", b"svg")  # fmt: skip
_SCRIPT_STARTS = (b"#!", b"<?php", b"<?=", b"<%", b"<?", b"@echo", b"'use strict'", b'"use strict"', b"//",
                  b"/*", b"(function", b"function ", b"function(", b"var ", b"let ", b"const ", b"import ",
                  b"export ", b"window.", b"document.", b"async function", b"require(")  # fmt: skip
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def refusal(head: bytes) -> str | None:
    """Why ``head`` is refused, as a code; None when ``sniff`` accepts it.

    "empty", "executable", "archive", "svg", "html", "script", or "unknown"."""
    if not head:
        return "empty"
    if sniff(head) is not None:
        return None
    if head.startswith(_EXECUTABLE):
        return "executable"
    if head.startswith(_ARCHIVE) or head[257:262] == b"ustar" or re.match(rb"BZh[1-9]", head):
        return "archive"
    return _text_refusal(head) or "unknown"


def _text_refusal(head: bytes) -> str | None:
    text = _as_ascii_text(head).lstrip().lower()
    if text.startswith(b"<?xml"):
        if b"<svg" in text:
            return "svg"
        return "html" if re.search(rb"<(!doctype\s+)?html", text) else None
    if text.startswith(b"<!doctype svg") or re.match(rb"<svg[\s>]", text):
        return "svg"
    if text.startswith(b"<") and any(re.match(rb"<" + re.escape(tag) + rb"[\s>]", text) for tag in _HTML_TAGS):
        return "html"
    if text.startswith(_SCRIPT_STARTS):
        return "script"
    return None


def _as_ascii_text(head: bytes) -> bytes:
    """Leading BOMs removed; UTF-16 turned into bytes we can compare (non-ASCII dropped)."""
    for bom in _BOMS:
        if head.startswith(bom):
            body = head[len(bom) :]
            if bom == b"\xef\xbb\xbf":
                return body
            return body[0::2] if bom == b"\xff\xfe" else body[1::2]
    return head


# --- consistency with what the uploader claimed ---------------------------------------------


def _extension(filename: str) -> str:
    name = filename.strip().rstrip(".").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem, _, ext = name.rpartition(".")
    return ext.lower() if stem else ""  # ".jpg" alone is a hidden file without an extension


def extension_matches(filename: str, sniffed: Sniffed) -> bool:
    """Whether the filename's extension fits the sniffed format (case-insensitive). A name
    without an extension does not match: the caller decides whether to tolerate it."""
    return _extension(filename) in sniffed.extensions


def declared_type_matches(declared_mime: str | None, sniffed: Sniffed) -> bool:
    """Whether the browser's Content-Type fits the sniffed format. No type, or the generic
    octet-stream, is not a contradiction; parameters (``; codecs=…``) are ignored."""
    declared = (declared_mime or "").split(";", 1)[0].strip().lower()
    if declared in _UNDECLARED:
        return True
    return declared == sniffed.mime or declared in _ALIASES.get(sniffed.mime, frozenset())
