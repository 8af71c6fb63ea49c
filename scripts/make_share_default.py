"""Draw static/img/share-default.png: the 1200x630 picture a link preview shows for a page that
has no picture of its own (a venue without published photos).

Run ``python scripts/make_share_default.py`` after changing it and commit the PNG. Only
Pillow's own bundled font is used, so the picture comes out the same on every machine.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SIZE = (1200, 630)  # what Facebook, WhatsApp and X show large (1.91:1)
GREEN, GREEN_DARK, SAND = (11, 110, 79), (8, 76, 55), (246, 241, 231)  # static/css/app.css
OUT = Path(__file__).resolve().parent.parent / "static" / "img" / "share-default.png"


def draw() -> Image.Image:
    image = Image.new("RGB", SIZE, GREEN)
    pen = ImageDraw.Draw(image)
    # A band at the foot, like the site's footer, and a sand rule under the name.
    pen.rectangle((0, 500, SIZE[0], SIZE[1]), fill=GREEN_DARK)
    pen.rectangle((96, 318, 336, 326), fill=SAND)
    name = ImageFont.load_default(size=120)
    pen.text((90, 160), "KOIN", font=name, fill=(255, 255, 255))
    koin_width = pen.textlength("KOIN ", font=name)
    pen.text((90 + koin_width, 160), "Media", font=name, fill=SAND)
    tagline, footer = ImageFont.load_default(size=44), ImageFont.load_default(size=36)
    pen.text((96, 360), "Media promosi & eduwisata Nusa Tenggara Barat", font=tagline, fill=SAND)
    pen.text((96, 540), "Disperin NTB · Komunitas Industri (KOIN)", font=footer, fill=SAND)
    return image


def main() -> None:
    image = draw()
    # Few colours: a palette PNG is a tenth of the size of a full-colour one.
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(OUT, optimize=True)
    print(f"{OUT.relative_to(OUT.parents[2])}: {SIZE[0]}x{SIZE[1]}, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
