"""The picture of a link preview at an address that lasts (assets/share.py puts it in og:image).

Crawlers and WhatsApp fetch og:image when someone pastes the link, hours or weeks after the
page was made, and the stored pictures are behind signed links that expire (S3 presigned GET,
or the local backend's signed /media/file/ link). So the tag names this route, and each fetch
is redirected to a fresh signed link.
"""

from __future__ import annotations

from flask import current_app, redirect

from ..sitelinks import site_link
from . import bp, services
from .links import inline_url
from .share import DEFAULT_IMAGE, picture_key

# A shared cache or the crawler may keep the redirect a few minutes (a popular link fetched by
# many previews at once then signs one link), always less than the signed link lives.
REDIRECT_MAX_AGE = 300


@bp.get("/share/assets/<int:asset_id>.jpg")
def share_image(asset_id: int):
    # As an anonymous visitor sees it, whoever asks: the picture is for the public preview,
    # and an unpublished asset's is nobody's business outside (a 404, as for a missing one).
    asset = services.get_asset(asset_id, None)
    key, _share_sized = picture_key(asset)
    if key is None:  # a published asset without a picture (processing made none)
        target = site_link("static", filename=DEFAULT_IMAGE)
    else:
        target = inline_url(key, "image/jpeg")
    response = redirect(target, 302)
    # inline_url hands out one link for a quarter of its lifetime: kept at most another
    # quarter, the redirect a cache gives out still leads to a link with half its life left.
    max_age = min(REDIRECT_MAX_AGE, current_app.config["DOWNLOAD_URL_TTL"] // 4)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response
