"""Pictures for social media around a focus point, and the share picture of link previews.

Pure image code (no Flask, no files): it takes a decoded, upright (EXIF-transposed) sRGB image,
as ``processing`` makes it, and returns Pillow images; ``processing`` writes them as JPEGs the
way it writes every rendition, so no metadata of the original can ride along.

A crop is the largest box of its ratio that fits in the picture, centred on the focus point
(fractions of the width and height, from the top left) and pushed back inside the picture
where the point is too near an edge. It is then shrunk to the size the platforms ask for,
never enlarged: a crop of a small picture keeps its ratio at the picture's own size.
"""

from __future__ import annotations

from PIL import Image, ImageFilter, ImageOps

# name -> (width, height): Instagram square and portrait, Story/Reels/TikTok/WhatsApp status,
# and the 1.91:1 of Open Graph link previews (Facebook, WhatsApp, X, LinkedIn).
CROP_SIZES: dict[str, tuple[int, int]] = {
    "1x1": (1080, 1080),
    "4x5": (1080, 1350),
    "9x16": (1080, 1920),
    "191x1": (1200, 630),
}
SHARE_SIZE = (1200, 630)  # og:image, for every kind of asset (always exactly this size)
# Decoding for crops keeps both sides of a large picture at least this long (the longest side
# a crop asks for), so a shrunk decode never makes a crop smaller than the original allows.
SOURCE_SIDE = max(max(size) for size in CROP_SIZES.values())
CENTRE = (0.5, 0.5)
# Pictures at least this much wider than high fill the share picture by cropping; taller ones
# (a PDF page, a square album cover, an upright phone video) are shown whole on a blurred fill.
FILL_RATIO = 4 / 3
_RESAMPLE = Image.Resampling.LANCZOS


def clamp_focus(focus: tuple[float, float] | None) -> tuple[float, float]:
    """A focus point inside the picture; the centre when there is none."""
    if focus is None:
        return CENTRE
    return tuple(min(max(float(v), 0.0), 1.0) for v in focus)  # type: ignore[return-value]


def crop_box(width: int, height: int, ratio: tuple[int, int], focus: tuple[float, float]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the largest ``ratio`` box inside ``width`` x ``height``,
    centred on ``focus`` as far as the picture's edges allow."""
    ratio_w, ratio_h = ratio
    if width * ratio_h >= height * ratio_w:  # the picture is wider than the ratio: full height
        box_h, box_w = height, min(width, max(1, round(height * ratio_w / ratio_h)))
    else:
        box_w, box_h = width, min(height, max(1, round(width * ratio_h / ratio_w)))
    fx, fy = clamp_focus(focus)
    left = min(max(round(fx * width - box_w / 2), 0), width - box_w)
    top = min(max(round(fy * height - box_h / 2), 0), height - box_h)
    return left, top, left + box_w, top + box_h


def output_size(box: tuple[int, int, int, int], target: tuple[int, int]) -> tuple[int, int]:
    """The target size when the box holds enough pixels for it, else the box's own size."""
    box_w, box_h = box[2] - box[0], box[3] - box[1]
    if box_w >= target[0] and box_h >= target[1]:
        return target
    return box_w, box_h


def social_crops(img: Image.Image, focus: tuple[float, float] | None = None) -> dict[str, Image.Image]:
    """Each crop of CROP_SIZES around ``focus`` (default: the centre), by name."""
    focus = clamp_focus(focus)
    crops = {}
    for name, target in CROP_SIZES.items():
        box = crop_box(img.width, img.height, target, focus)
        size = output_size(box, target)
        # resize() reads only the box: no intermediate copy of the cropped region.
        crops[name] = img.resize(size, _RESAMPLE, box=box, reducing_gap=3.0)
    return crops


def share_picture(
    img: Image.Image, focus: tuple[float, float] | None = None, *, fill: bool | None = None
) -> Image.Image:
    """The SHARE_SIZE picture of link previews. ``fill``: crop the 1.91:1 box around ``focus``
    (enlarged when the picture is small: a preview has one size); False: the whole picture,
    centred on a blurred, darkened fill of itself; None: fill when the picture is at least
    FILL_RATIO wide (photos are always filled: their creator chose the focus)."""
    if fill is None:
        fill = img.width >= img.height * FILL_RATIO
    if fill:
        box = crop_box(img.width, img.height, SHARE_SIZE, clamp_focus(focus))
        return img.resize(SHARE_SIZE, _RESAMPLE, box=box, reducing_gap=3.0)
    return _letterbox(img, SHARE_SIZE)


def _letterbox(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    # The background is the picture itself, filled, blurred small (cheap) and darkened, so the
    # bands match its colours instead of being black bars a feed crops badly.
    small = ImageOps.fit(img, (size[0] // 8, size[1] // 8), _RESAMPLE)
    background = small.filter(ImageFilter.GaussianBlur(6)).resize(size, Image.Resampling.BILINEAR)
    background = Image.blend(background, Image.new("RGB", size, (0, 0, 0)), 0.45)
    front = ImageOps.contain(img, size, _RESAMPLE)
    background.paste(front, ((size[0] - front.width) // 2, (size[1] - front.height) // 2))
    return background
