"""What goes into a kit's ZIP: the files its owner may still download, with safe and unique
names ("01 Tenun Sukarara.jpg"), and the credits to show beside them — KREDIT.txt in
Indonesian, CREDITS.txt in English and KREDIT.html in both, each from ``assets.attribution``
(the same words as the asset page), with what was left out and why.

Everything here reads the database; the job calls it before it starts streaming, so no
transaction stays open while gigabytes are written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..assets import attribution
from ..assets.downloads import DownloadRefused, variant_file
from ..assets.models import Asset
from ..extensions import db
from ..i18n import wita_datetime
from ..storage import Storage
from .kit_zip import Member
from .models import Kit

# Why an asset asked for is not in the kit (the kit page, the API and the ZIP's credits say it).
SKIP_REASONS = {
    "deleted": _l("deleted since the kit was asked for"),
    "unavailable": _l("no longer in the catalogue (unpublished, or its usage rights ended)"),
    "no_variant": _l("the chosen version of this file does not exist (yet)"),
    "file_missing": _l("its file could not be found in storage"),
}
CREDIT_FILES = {"id": "KREDIT.txt", "en": "CREDITS.txt"}
HTML_CREDITS = "KREDIT.html"


def skip_text(code: str) -> str:
    return str(SKIP_REASONS.get(code, code))


@dataclass
class Plan:
    members: list[Member] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)  # Kit.files
    skipped: list[dict] = field(default_factory=list)  # Kit.skipped


def plan_kit(kit: Kit, storage: Storage) -> Plan:
    """The members of ``kit``'s ZIP in the order asked for: each entry its owner may download
    now, in the variant asked for, if its file is in the store; then the credit files."""
    ids = {entry["asset_id"] for entry in kit.entries}
    assets = {asset.id: asset for asset in db_assets(ids)}
    plan, included = Plan(), []
    for entry in kit.entries:
        asset = assets.get(entry["asset_id"])
        reason = None
        if asset is None:
            reason = "deleted"
        elif not asset.downloadable_by(kit.user):
            reason = "unavailable"
        else:
            try:
                key, _mime, filename = variant_file(asset, entry["variant"])
            except DownloadRefused:
                reason = "no_variant"
            else:
                info = storage.head(key)
                if info is None:
                    reason = "file_missing"
                else:
                    included.append((asset, entry["variant"], key, filename, info.size))
        if reason:
            title = (asset.title if asset is not None else "") or entry.get("title") or f"#{entry['asset_id']}"
            plan.skipped.append({"asset_id": entry["asset_id"], "title": title, "reason": reason})
    width = max(2, len(str(len(included))))
    for number, (asset, variant, key, filename, size) in enumerate(included, start=1):
        name = f"{number:0{width}d} {filename}"  # the number keeps names unique and in order
        plan.members.append(Member(name, key=key, size=size))
        plan.files.append(
            {
                "name": name,
                "asset_id": asset.id,
                "title": asset.title,
                "variant": variant,
                "size_bytes": size,
                "license": asset.license,
                "credit_line": asset.credit_line,
            }
        )
    if included:
        by_id = {asset.id: asset for asset, *_rest in included}
        for lang, name in CREDIT_FILES.items():
            plan.members.append(Member(name, data=credits_text(kit, plan, by_id, lang).encode("utf-8")))
        plan.members.append(Member(HTML_CREDITS, data=credits_html(kit, plan, by_id).encode("utf-8")))
    return plan


def db_assets(ids: set[int]) -> list[Asset]:
    """The assets with their owner and community, whom the credit names."""
    statement = select(Asset).where(Asset.id.in_(ids)).options(joinedload(Asset.owner), joinedload(Asset.community))
    return list(db.session.scalars(statement).unique())


def credits_text(kit: Kit, plan: Plan, assets: dict[int, Asset], lang: str) -> str:
    """KREDIT.txt / CREDITS.txt: per file its name and the attribution line (who, licence with
    its URL, the asset's page), then what was left out."""
    with force_locale(lang):
        lines = [
            gettext("Promo kit: %(title)s", title=kit.title),
            gettext("Made %(when)s by KOIN Media NTB.", when=wita_datetime(kit.created_at)),
            gettext("Show the credit line beside each file wherever you use it."),
            "",
        ]
        for file in plan.files:
            lines += [file["name"], attribution.plain(assets[file["asset_id"]], lang), ""]
        if plan.skipped:
            lines.append(gettext("Not in this kit:"))
            lines += [f"- {item['title']}: {skip_text(item['reason'])}" for item in plan.skipped]
            lines.append("")
    return "\r\n".join(lines)  # CRLF: Notepad on the office's Windows PCs shows the lines too


def credits_html(kit: Kit, plan: Plan, assets: dict[int, Asset]) -> str:
    """KREDIT.html: the same in both languages, as HTML to paste into a website."""
    sections = []
    for lang in CREDIT_FILES:
        with force_locale(lang):
            heading = gettext("Credits")
            items = Markup("").join(
                Markup("<li><p><code>{}</code></p>{}</li>\n").format(
                    f["name"], attribution.html(assets[f["asset_id"]], lang)
                )
                for f in plan.files
            )
        sections.append(
            Markup('<section lang="{}">\n<h2>{}</h2>\n<ul>\n{}</ul>\n</section>').format(lang, heading, items)
        )
    page = Markup(
        '<!doctype html>\n<html lang="id">\n<head>\n<meta charset="utf-8">\n<title>{}</title>\n</head>\n'
        "<body>\n<h1>{}</h1>\n{}\n</body>\n</html>\n"
    )
    return str(page.format(kit.title, kit.title, Markup("\n").join(sections)))
