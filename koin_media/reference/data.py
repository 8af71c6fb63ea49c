"""The founding reference data from DESIGN.md, and the IKM sectors."""

from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

REGENCIES = (
    ("kota-mataram", "Kota Mataram"),
    ("lombok-barat", "Lombok Barat"),
    ("lombok-tengah", "Lombok Tengah"),
    ("lombok-timur", "Lombok Timur"),
    ("lombok-utara", "Lombok Utara"),
    ("sumbawa-barat", "Sumbawa Barat"),
    ("sumbawa", "Sumbawa"),
    ("dompu", "Dompu"),
    ("bima", "Bima"),
    ("kota-bima", "Kota Bima"),
)

# The 14 communities named at the founding meeting.
COMMUNITIES = (
    ("komunitas-basement", "Komunitas Basement"),
    ("youtuber-lombok-timur", "Youtuber Lombok Timur"),
    ("bisa-ekspor-lombok", "Bisa Ekspor Lombok"),
    ("iot-mataram-ntb", "IOT Mataram NTB"),
    ("cinta-berkain-indonesia", "Cinta Berkain Indonesia"),
    ("ramekan-id", "Ramekan.id"),
    ("asosiasi-kopi", "Asosiasi Kopi"),
    ("nice", "Nice"),
    ("lombok-phonegraphy", "Lombok Phonegraphy"),
    ("bengkel-aktor-lombok", "Bengkel Aktor Lombok"),
    ("art-community", "Art Community"),
    ("we-save-ntb", "We Save NTB"),
    ("cendikia-robotic", "Cendikia Robotic"),
    ("besiru", "Besiru"),
)

# IKM sectors: stable keys stored in the database, labels translated for display.
SECTORS = {
    "coffee": _l("Coffee"),
    "weaving": _l("Woven cloth (tenun)"),
    "crafts": _l("Crafts"),
    "food": _l("Food and drink"),
    "fashion": _l("Fashion"),
    "agriculture": _l("Agriculture and fisheries"),
    "tourism": _l("Tourism services"),
    "other": _l("Other"),
}


@dataclass(frozen=True)
class Sector:
    """An IKM sector as a reference row: the stable slug stored on the account and a translated
    name, so that forms and the API resolve it as they resolve a regency or a community."""

    slug: str

    @property
    def name(self) -> str:
        return str(SECTORS[self.slug])

    def names(self) -> set[str]:
        """What a person may type for it: the slug, or the name in either language."""
        names = {self.slug}
        for locale in ("id", "en"):
            with force_locale(locale):
                names.add(str(SECTORS[self.slug]).lower())
        return names

    @classmethod
    def all(cls) -> list["Sector"]:
        return [cls(slug) for slug in SECTORS]
