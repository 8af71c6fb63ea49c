"""Demo media for a fresh machine (``flask seed-demo``): photos, a short video, an audio clip
and a PDF, drawn and encoded at run time (no media file is committed), uploaded as the demo
creator through the plain upload's service, processed by the worker's own job, and approved
by the demo staff account, so that the catalogue and the venue pages show the product.

Idempotent: an item is known by its file name among the demo creator's assets, and is never
added twice.
"""

from __future__ import annotations

import math
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
from flask import current_app
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from .. import localdisk
from ..extensions import db
from ..reference.models import Community, Regency
from ..venues.models import Venue
from . import services
from .models import APPROVED, FAILED, PENDING_REVIEW, REJECTED_FILE, Asset

PHOTO_SIZE = (1600, 1066)
VIDEO_SIZE, VIDEO_FPS, VIDEO_SECONDS = (640, 360), 12, 6
AUDIO_SECONDS = 8
PAGE_SIZE = (827, 1169)  # A4 at 100 dpi


# -- drawing -----------------------------------------------------------------------------------


def _font(size: int) -> ImageFont.ImageFont:
    # Pillow's own scalable font: no font file has to exist on the machine.
    return ImageFont.load_default(size=size)


def _gradient(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], top: tuple, bottom: tuple) -> None:
    x0, y0, x1, y1 = box
    for y in range(y0, y1):
        t = (y - y0) / max(y1 - y0 - 1, 1)
        draw.line((x0, y, x1, y), fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))


def _hills(draw: ImageDraw.ImageDraw, width: int, base: int, height: int, colour: tuple, phase: float) -> None:
    points = [(x, base - height * (0.5 + 0.5 * math.sin(x / width * 5 + phase))) for x in range(0, width + 8, 8)]
    draw.polygon([(0, base + height * 4), *points, (width, base + height * 4)], fill=colour)


def _caption(img: Image.Image, title: str, scale: float = 1.0) -> None:
    """The title on a dark band at the bottom, and the mark that it is demo material."""
    w, h = img.size
    band = Image.new("RGBA", img.size, (0, 0, 0, 0))
    ImageDraw.Draw(band).rectangle((0, h - round(150 * scale), w, h), fill=(0, 0, 0, 120))
    img.paste(Image.alpha_composite(img.convert("RGBA"), band).convert("RGB"))
    draw = ImageDraw.Draw(img)
    draw.text((round(40 * scale), h - round(125 * scale)), title, font=_font(round(64 * scale)), fill="white")
    draw.text((round(42 * scale), h - round(45 * scale)), "KOIN Media NTB · demo", font=_font(round(26 * scale)),
              fill=(235, 235, 235))  # fmt: skip


def _landscape(size: tuple[int, int], palette: dict, sun_at: tuple[float, float] | None = None) -> Image.Image:
    """Sky, then sea or hills, then the ground, from ``palette``; the sun at a fraction of the frame."""
    w, h = size
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    horizon, ground = round(h * palette["horizon"]), round(h * palette["ground"])
    _gradient(draw, (0, 0, w, horizon), *palette["sky"])
    if sun_at:
        x, y, r = sun_at[0] * w, sun_at[1] * h, h * 0.07
        draw.ellipse((x - r, y - r, x + r, y + r), fill=palette.get("sun", (255, 225, 140)))
    _gradient(draw, (0, horizon, w, ground), *palette["middle"])
    for n, colour in enumerate(palette.get("hills", ())):
        _hills(draw, w, horizon + round(h * 0.06 * (n + 1)), round(h * 0.09), colour, phase=n * 1.7)
    _gradient(draw, (0, ground, w, h), *palette["ground_colours"])
    if palette.get("track"):  # a pump track: a brown ribbon over the grass
        points = [(x, ground + h * 0.08 + h * 0.04 * math.sin(x / w * 9)) for x in range(0, w + 8, 8)]
        draw.line(points, fill=palette["track"], width=round(h * 0.05), joint="curve")
    return img


def _weave(size: tuple[int, int]) -> Image.Image:
    """A songket-like pattern: rows of diamonds in red, gold and black."""
    w, h = size
    img = Image.new("RGB", size, (120, 16, 24))
    draw = ImageDraw.Draw(img)
    step = 80
    for row, y in enumerate(range(0, h + step, step)):
        for x in range(-step if row % 2 else 0, w + step, step * 2):
            c = (x + step // 2, y)
            diamond = [(c[0], c[1] - step // 2), (c[0] + step // 2, c[1]), (c[0], c[1] + step // 2),
                       (c[0] - step // 2, c[1])]  # fmt: skip
            draw.polygon(diamond, fill=(212, 160, 40) if row % 3 else (30, 20, 20), outline=(250, 215, 120))
        draw.line((0, y, w, y), fill=(250, 215, 120), width=4)
    return img


def photo(path: Path, title: str, scene: str) -> Path:
    img = _weave(PHOTO_SIZE) if scene == "weave" else _landscape(PHOTO_SIZE, SCENES[scene], SCENES[scene].get("sun_at"))
    _caption(img, title)
    img.save(path, "JPEG", quality=88, optimize=True)
    return path


def _ffmpeg(*args: str) -> None:
    subprocess.run(  # noqa: S603 (a fixed program and arguments; nothing from a user)
        [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


def video(path: Path, title: str, scene: str) -> Path:
    """A sunrise over the scene, panning slowly, with a soft chord: H.264 + AAC in MP4."""
    w, h = VIDEO_SIZE
    frames = VIDEO_FPS * VIDEO_SECONDS
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
               "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(VIDEO_FPS), "-i", "-",
               "-f", "lavfi", "-i", f"aevalsrc=0.15*sin(2*PI*220*t)+0.1*sin(2*PI*277*t)+0.08*sin(2*PI*330*t)"
               f":s=44100:d={VIDEO_SECONDS}",
               "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
               "-movflags", "+faststart", "-shortest", str(path)]  # fmt: skip
    with subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE) as encoder:  # noqa: S603
        for n in range(frames):
            t = n / max(frames - 1, 1)
            wide = _landscape((w + 160, h), SCENES[scene], sun_at=(0.3 + 0.2 * t, 0.55 - 0.35 * t))
            frame = wide.crop((round(160 * t), 0, round(160 * t) + w, h))
            _caption(frame, title, scale=0.45)
            encoder.stdin.write(frame.tobytes())
        _stdout, errors = encoder.communicate(timeout=120)
    if encoder.returncode != 0:
        raise RuntimeError(f"ffmpeg could not encode the demo video: {errors.decode('utf-8', 'replace')[-500:]}")
    return path


def audio(path: Path, title: str, scene: str) -> Path:
    """A gendang-like beat (a low drum on the beat, a higher one off it): AAC in M4A."""
    # Commas inside a filter's expression are escaped: unescaped, they separate filters.
    beat = (
        r"0.7*sin(2*PI*90*t)*exp(-9*mod(t\,0.5))"
        r"+0.35*sin(2*PI*240*t)*exp(-18*mod(t+0.25\,0.5))"
        r"+0.12*sin(2*PI*880*t)*exp(-30*mod(t\,0.125))"
    )
    _ffmpeg("-f", "lavfi", "-i", f"aevalsrc={beat}:s=44100:d={AUDIO_SECONDS}", "-c:a", "aac", "-b:a", "96k",
            "-metadata", f"title={title}", "-f", "ipod", str(path))  # fmt: skip
    return path


def document(path: Path, title: str, scene: str) -> Path:
    """A two-page brochure (pictures of text, as a scanned leaflet is) in PDF."""
    pages = []
    for number, lines in enumerate(BROCHURE, start=1):
        page = Image.new("RGB", PAGE_SIZE, "white")
        draw = ImageDraw.Draw(page)
        draw.rectangle((0, 0, PAGE_SIZE[0], 180), fill=(11, 110, 79))
        draw.text((50, 55), title if number == 1 else "Yang perlu dibawa", font=_font(44), fill="white")
        if number == 1:
            banner = _landscape((PAGE_SIZE[0] - 100, 380), SCENES["circuit"], SCENES["circuit"]["sun_at"])
            page.paste(banner, (50, 220))
        y = 640 if number == 1 else 240
        for line in lines:
            draw.text((50, y), line, font=_font(28), fill=(29, 37, 33))
            y += 48
        draw.text((50, PAGE_SIZE[1] - 70), f"KOIN Media NTB · demo · {number}/{len(BROCHURE)}", font=_font(22),
                  fill=(91, 102, 96))  # fmt: skip
        pages.append(page)
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], resolution=100.0, title=title)
    return path


SCENES = {
    "beach": {"horizon": 0.5, "ground": 0.74, "sky": ((255, 176, 110), (130, 196, 235)),
              "middle": ((40, 140, 185), (20, 100, 150)), "ground_colours": ((238, 218, 170), (214, 188, 128)),
              "sun_at": (0.7, 0.3)},
    "hills": {"horizon": 0.42, "ground": 0.8, "sky": ((150, 200, 240), (225, 238, 246)),
              "middle": ((90, 150, 80), (60, 120, 60)), "ground_colours": ((70, 120, 50), (45, 90, 40)),
              "hills": ((60, 110, 70), (80, 140, 70), (40, 100, 50)), "sun_at": (0.2, 0.2)},
    "park": {"horizon": 0.45, "ground": 0.62, "sky": ((120, 180, 235), (200, 228, 245)),
             "middle": ((90, 160, 90), (70, 140, 70)), "ground_colours": ((110, 170, 80), (80, 140, 60)),
             "hills": ((70, 130, 80),), "track": (150, 100, 60), "sun_at": (0.8, 0.18)},
    "circuit": {"horizon": 0.55, "ground": 0.72, "sky": ((250, 150, 90), (120, 170, 220)),
                "middle": ((60, 120, 90), (50, 100, 80)), "ground_colours": ((70, 70, 75), (40, 40, 45)),
                "hills": ((90, 110, 120), (70, 100, 90)), "sun_at": (0.5, 0.35)},
}  # fmt: skip

BROCHURE = (
    ("Kunjungan edukasi ke Sirkuit Mandalika:", "- tur paddock dan pit lane", "- ruang kontrol balap",
     "- keselamatan di lintasan", "Durasi 2 jam, untuk SMP, SMA dan SMK."),
    ("- surat izin orang tua", "- sepatu tertutup", "- tanda pengenal sekolah", "- air minum",
     "Pesan sesi lewat KOIN Media: menu Kunjungan."),
)  # fmt: skip


# -- the demo items --------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoItem:
    filename: str
    make: Callable[[Path, str, str], Path]
    scene: str
    title: str
    description: str
    tags: str
    license: str
    credit: str
    community: str
    regency: str
    venue: str | None = None


DEMO_MEDIA = (
    DemoItem("pantai-kuta-mandalika.jpg", photo, "beach", "Pantai Kuta Mandalika",
             "Pasir putih dan laut biru di Pantai Kuta, Mandalika, saat matahari sore.",
             "pantai, Mandalika, Lombok Tengah, wisata", "CC-BY-4.0", "Baiq Kreator", "lombok-phonegraphy",
             "lombok-tengah", "sirkuit-mandalika"),
    DemoItem("tenun-songket-sukarara.jpg", photo, "weave", "Tenun Songket Sukarara",
             "Motif songket khas Desa Sukarara dengan benang emas, ditenun tangan.",
             "tenun, songket, Sukarara, kain", "CC-BY-NC-4.0", "Baiq Kreator / Cinta Berkain Indonesia",
             "cinta-berkain-indonesia", "lombok-tengah"),
    DemoItem("kebun-kopi-sembalun.jpg", photo, "hills", "Kebun Kopi Sembalun",
             "Perbukitan kebun kopi arabika di kaki Rinjani, Sembalun, Lombok Timur.",
             "kopi, Sembalun, Rinjani, kebun", "NTB-PROMO", "Baiq Kreator", "asosiasi-kopi", "lombok-timur"),
    DemoItem("pumptrack-meninting.jpg", photo, "park", "Lintasan Pumptrack Meninting",
             "Lintasan pumptrack dan trail di Meninting Bike Park, Batu Layar.",
             "sepeda, pumptrack, Meninting, olahraga", "CC-BY-SA-4.0", "Baiq Kreator", "lombok-phonegraphy",
             "lombok-barat", "meninting-bike-park"),
    DemoItem("fajar-di-mandalika.mp4", video, "circuit", "Fajar di Sirkuit Mandalika",
             "Matahari terbit di atas Sirkuit Mandalika: video pendek untuk promosi wisata olahraga.",
             "video, Mandalika, sirkuit, fajar", "CC-BY-4.0", "Baiq Kreator", "komunitas-basement",
             "lombok-tengah", "sirkuit-mandalika"),
    DemoItem("irama-gendang-beleq.m4a", audio, "", "Irama Gendang Beleq",
             "Irama gendang beleq untuk latar video promosi produk lokal.",
             "musik, gendang beleq, Sasak, audio", "NTB-PROMO", "Baiq Kreator / Art Community", "art-community",
             "kota-mataram"),
    DemoItem("panduan-eduwisata-mandalika.pdf", document, "", "Panduan Eduwisata Mandalika",
             "Brosur dua halaman: apa yang dipelajari dan yang perlu dibawa saat berkunjung ke Sirkuit Mandalika.",
             "brosur, eduwisata, Mandalika, sekolah", "CC-BY-4.0", "Baiq Kreator", "we-save-ntb",
             "lombok-tengah", "sirkuit-mandalika"),
)  # fmt: skip

TYPES = {".jpg": "image/jpeg", ".mp4": "video/mp4", ".m4a": "audio/mp4", ".pdf": "application/pdf"}


@contextmanager
def _jobs_run_here() -> Iterator[None]:
    """Jobs queued inside the block run in the call, as in the tests' apps: each item goes
    through the worker's own processing job (verify, thumbnails, previews, web renditions) in
    this process, so staff can approve it at once, before the worker has even started."""
    config = current_app.config
    before = config.get("QUEUE_IMMEDIATE", False)
    config["QUEUE_IMMEDIATE"] = True
    try:
        yield
    finally:
        config["QUEUE_IMMEDIATE"] = before


def _details(item: DemoItem) -> dict:
    """What the upload form's ``cleaned()`` gives: reference rows, not slugs."""

    def row(model, slug):
        return db.session.scalar(select(model).where(model.slug == slug)) if slug else None

    return {
        "title": item.title,
        "description": item.description,
        "tags": item.tags,
        "license": item.license,
        "credit": item.credit,
        "consent": True,
        "community": row(Community, item.community),
        "regency": row(Regency, item.regency),
        "venue": row(Venue, item.venue),
    }


def seed_demo_media(creator, reviewer, report: Callable[[str], None]) -> int:
    """Upload, process and approve each demo item ``creator`` does not have yet; returns how
    many were added. ``report`` receives a line per item."""
    mine = db.session.scalars(select(Asset).where(Asset.owner_id == creator.id)).all()
    # A file refused or failed earlier gets another attempt; any other state is kept as it is.
    known = {asset.original_filename for asset in mine if asset.status not in (REJECTED_FILE, FAILED)}
    added = 0
    with localdisk.work_dir("demo-media") as workdir, _jobs_run_here():
        for item in DEMO_MEDIA:
            if item.filename in known:
                continue
            path = item.make(workdir / item.filename, item.title, item.scene)
            with path.open("rb") as stream:
                asset = services.store_simple_upload(creator, item.filename, TYPES[path.suffix], stream, _details(item))
            if asset.status == PENDING_REVIEW:
                services.approve(asset, reviewer)
            added += 1
            state = "published" if asset.status == APPROVED else f"{asset.status} {asset.problem_message or ''}"
            report(f"  {item.filename:<34} {state.strip()}")
    return added
