"""The founding reference data from DESIGN.md, and the IKM sectors."""

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
