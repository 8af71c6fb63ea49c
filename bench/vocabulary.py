"""Indonesian text for the seeded catalogue: titles, descriptions and tags about Lombok and
Sumbawa, written the way creators write them, with the affixed forms a stemmer must handle
("pantainya", "menenun", "penenun", "berkain").

Each asset gets one theme (weighted), a place of that theme, a title, two to four sentences and
a handful of tags. The weights are set so that the app's search (which also reads the community
name) finds "pantai" in about 12 % of the assets and "kopi sembalun" in about 2 %
(``seed_catalog`` prints the shares it made). Everything is drawn from one ``random.Random``,
so the same seed gives the same catalogue.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    name: str
    regency: str  # slug of koin_media.reference.data.REGENCIES
    venue: str | None = None  # slug of a seeded venue the place is


@dataclass(frozen=True)
class Theme:
    weight: float
    places: tuple[tuple[Place, float], ...]
    titles: tuple[str, ...]
    sentences: tuple[str, ...]
    tags: tuple[str, ...]


def _places(*entries) -> tuple[tuple[Place, float], ...]:
    """``(name, regency[, venue], weight)`` tuples to weighted places."""
    return tuple((Place(*entry[:-1]), entry[-1]) for entry in entries)


# Venues added to the app's two demo venues, so that assets can be tagged with the place they show.
BENCH_VENUES = (
    ("sentra-tenun-sukarara", "Sentra Tenun Desa Sukarara", "lombok-tengah", "Desa Sukarara, Jonggat"),
    ("desa-adat-sade", "Desa Adat Sade", "lombok-tengah", "Rembitan, Pujut"),
    ("sentra-gerabah-banyumulek", "Sentra Gerabah Banyumulek", "lombok-barat", "Banyumulek, Kediri"),
    ("kebun-kopi-sembalun", "Kebun Kopi Sembalun", "lombok-timur", "Sembalun Lawang"),
    ("taman-budaya-ntb", "Taman Budaya NTB", "kota-mataram", "Jl. Majapahit, Mataram"),
    ("konservasi-penyu-gili", "Konservasi Penyu Gili Trawangan", "lombok-utara", "Gili Trawangan, Pemenang"),
    ("kampung-mutiara-sekarbela", "Kampung Mutiara Sekarbela", "kota-mataram", "Sekarbela, Mataram"),
    ("museum-negeri-ntb", "Museum Negeri NTB", "kota-mataram", "Jl. Panji Tilar Negara, Mataram"),
)

THEMES = (
    Theme(  # the beach: most of what "pantai" finds
        2.2,
        _places(
            ("Senggigi", "lombok-barat", 3),
            ("Kuta Mandalika", "lombok-tengah", 3),
            ("Tanjung Aan", "lombok-tengah", 2),
            ("Selong Belanak", "lombok-tengah", 2),
            ("Mawun", "lombok-tengah", 1),
            ("Pink Tangsi", "lombok-timur", 2),
            ("Sekotong", "lombok-barat", 1),
            ("Maluk", "sumbawa-barat", 1),
            ("Lakey", "dompu", 1),
            ("Lawata", "kota-bima", 1),
        ),
        (
            "Senja di Pantai {place}",
            "Ombak Pantai {place} {time}",
            "Pantainya {place} yang tenang",
            "Nelayan menarik perahu di Pantai {place}",
            "Pasir putih Pantai {place}",
            "Berselancar di Pantai {place}",
            "Keindahan Pantai {place} dari udara",
        ),
        (
            "Pantai {place} terkenal dengan pasir putih dan air laut yang jernih.",
            "Pantainya masih sepi di pagi hari, cocok untuk promosi wisata bahari.",
            "Para peselancar menunggu ombak besar di Pantai {place}.",
            "Nelayan setempat melaut sejak subuh dan pulang membawa ikan segar.",
            "Diambil dengan drone saat air laut surut.",
            "Pedagang kelapa muda berjajar di tepi pantai.",
        ),
        ("pantai", "wisata bahari", "laut", "pasir putih", "selancar", "senja", "nelayan", "drone"),
    ),
    Theme(  # coffee: with Sembalun, most of what "kopi sembalun" finds
        5.0,
        _places(
            ("Sembalun", "lombok-timur", "kebun-kopi-sembalun", 3),
            ("Tetebatu", "lombok-timur", 2),
            ("Tambora", "dompu", 2),
            ("Lingsar", "lombok-barat", 1),
            ("Sajang", "lombok-timur", 1),
        ),
        (
            "Panen kopi {place}",
            "Kopi {place} dari kebun ke cangkir",
            "Petani kopi di lereng {place}",
            "Menyangrai kopi {place} secara tradisional",
            "Secangkir kopi {place} {time}",
        ),
        (
            "Kopi arabika {place} ditanam di ketinggian lebih dari seribu meter.",
            "Petani memetik buah kopi yang sudah merah satu per satu.",
            "Biji kopi dijemur lalu disangrai di atas tungku tanah liat.",
            "IKM kopi setempat mengemas bubuk kopi untuk oleh-oleh wisatawan.",
            "Pengunjung bisa ikut memanen dan menyeduh kopinya sendiri.",
        ),
        ("kopi", "kopi arabika", "petani kopi", "sangrai", "IKM kopi", "perkebunan", "oleh-oleh"),
    ),
    Theme(  # weaving: the affixed forms of tenun and kain
        10.0,
        _places(
            ("Sukarara", "lombok-tengah", "sentra-tenun-sukarara", 4),
            ("Pringgasela", "lombok-timur", 2),
            ("Sade", "lombok-tengah", "desa-adat-sade", 1),
            ("Donggo", "bima", 1),
            ("Poto", "sumbawa", 1),
        ),
        (
            "Penenun songket Desa {place}",
            "Menenun kain songket di {place}",
            "Motif tenun khas {place}",
            "Berkain tenun {place} untuk upacara adat",
            "Tenunan ikat dari {place}",
            "Benang warna alam untuk tenun {place}",
        ),
        (
            "Penenun di {place} belajar menenun sejak kecil dari ibu mereka.",
            "Sehelai kain songket bisa selesai dalam satu sampai tiga bulan.",
            "Motif subahnale dan keker menjadi ciri tenun Lombok.",
            "Komunitas ini mengajak anak muda berkain dalam kegiatan sehari-hari.",
            "Benang diwarnai dengan pewarna alam dari kulit kayu dan daun.",
            "Tenunannya dijual langsung oleh para penenun kepada wisatawan.",
        ),
        ("tenun", "songket", "kain tradisional", "penenun", "wastra", "kerajinan", "berkain"),
    ),
    Theme(
        5.0,
        _places(
            ("Banyumulek", "lombok-barat", "sentra-gerabah-banyumulek", 4),
            ("Penujak", "lombok-tengah", 2),
            ("Masbagik", "lombok-timur", 2),
        ),
        (
            "Perajin gerabah {place}",
            "Membentuk tanah liat di {place}",
            "Gerabah {place} siap dibakar",
            "Kerajinan gerabah khas {place}",
        ),
        (
            "Perajin gerabah di {place} membentuk tanah liat dengan tangan dan alat putar sederhana.",
            "Gerabah dibakar dengan jerami dan kayu selama beberapa jam.",
            "Kendi, vas dan tungku dari {place} dijual sampai ke luar negeri.",
            "Pembeli bisa memesan gerabah dengan ukiran nama sendiri.",
        ),
        ("gerabah", "kerajinan", "tanah liat", "perajin", "IKM", "dekorasi rumah"),
    ),
    Theme(
        4.0,
        _places(
            ("Sekotong", "lombok-barat", 2),
            ("Sekarbela", "kota-mataram", "kampung-mutiara-sekarbela", 3),
            ("Gili Asahan", "lombok-barat", 1),
        ),
        (
            "Budidaya mutiara di {place}",
            "Perhiasan mutiara dari {place}",
            "Memilih mutiara air laut di {place}",
            "Perajin perhiasan mutiara {place}",
        ),
        (
            "Mutiara laut selatan dari perairan Lombok dikenal berkilau keemasan.",
            "Perajin merangkai mutiara menjadi kalung, gelang dan anting.",
            "Budidaya mutiara membutuhkan air laut yang bersih dan tenang.",
        ),
        ("mutiara", "perhiasan", "budidaya", "oleh-oleh", "IKM"),
    ),
    Theme(
        3.0,
        _places(("Batu Lanteh", "sumbawa", 2), ("Tambora", "dompu", 1), ("Sumbawa Besar", "sumbawa", 2)),
        (
            "Madu hutan Sumbawa dari {place}",
            "Memanen madu di hutan {place}",
            "Peternak lebah {place}",
            "Madu Sumbawa dalam kemasan baru",
        ),
        (
            "Madu Sumbawa dipanen dari sarang lebah liar di pohon-pohon tinggi.",
            "Pemanen madu naik ke pohon pada malam hari tanpa merusak sarang.",
            "IKM setempat mengemas madu dengan label dan izin edar.",
        ),
        ("madu", "madu Sumbawa", "hutan", "lebah", "IKM", "produk lokal"),
    ),
    Theme(
        2.5,
        _places(
            ("Kuta Mandalika", "lombok-tengah", 3), ("Seger", "lombok-tengah", 2), ("Kaliantan", "lombok-timur", 1)
        ),
        (
            "Festival Bau Nyale di {place}",
            "Mencari nyale saat subuh di {place}",
            "Legenda Putri Mandalika",
            "Warga berburu nyale di Pantai {place}",
        ),
        (
            "Ribuan warga turun ke pantai mencari nyale, cacing laut yang muncul setahun sekali.",
            "Bau Nyale berawal dari legenda Putri Mandalika.",
            "Pertunjukan drama kolosal digelar semalam sebelum puncak acara.",
        ),
        ("bau nyale", "festival", "budaya Sasak", "putri mandalika", "pantai"),
    ),
    Theme(
        1.0,
        _places(("Lingsar", "lombok-barat", 1)),
        ("Perang Topat di Pura {place}", "Lempar ketupat dalam Perang Topat", "Persiapan Perang Topat {place}"),
        (
            "Umat Hindu dan Muslim saling melempar ketupat sebagai tanda kerukunan.",
            "Tradisi ini digelar setiap tahun di Pura {place}.",
        ),
        ("perang topat", "kerukunan", "budaya", "tradisi"),
    ),
    Theme(
        1.5,
        _places(("Sade", "lombok-tengah", "desa-adat-sade", 2), ("Mataram", "kota-mataram", 1)),
        ("Pepadu peresean beradu rotan", "Peresean di {place}", "Tarung peresean {time}"),
        (
            "Dua pepadu bertarung dengan rotan dan perisai kulit kerbau.",
            "Pekembar menjadi wasit yang menjaga pertarungan tetap sportif.",
        ),
        ("peresean", "budaya Sasak", "tradisi", "pertunjukan"),
    ),
    Theme(
        1.5,
        _places(("Praya", "lombok-tengah", 1), ("Selong", "lombok-timur", 1), ("Narmada", "lombok-barat", 1)),
        ("Gendang beleq mengiringi nyongkolan di {place}", "Latihan gendang beleq {place}", "Penabuh gendang beleq"),
        (
            "Nyongkolan mengarak pengantin diiringi gendang beleq.",
            "Para penabuh memainkan gendang besar sambil menari.",
        ),
        ("gendang beleq", "musik tradisional", "nyongkolan", "budaya Sasak"),
    ),
    Theme(
        1.0,
        _places(("Sumbawa Besar", "sumbawa", 1), ("Bima", "bima", 1)),
        ("Pacuan kuda tradisional {place}", "Joki cilik di arena pacuan kuda", "Main jaran di {place}"),
        (
            "Joki cilik memacu kuda tanpa pelana di lintasan tanah.",
            "Pacuan kuda menjadi hiburan rakyat setelah panen.",
        ),
        ("pacuan kuda", "main jaran", "tradisi", "olahraga"),
    ),
    Theme(
        5.0,
        _places(
            ("Tiu Kelep", "lombok-utara", 2),
            ("Sendang Gile", "lombok-utara", 2),
            ("Benang Stokel", "lombok-tengah", 2),
            ("Benang Kelambu", "lombok-tengah", 1),
            ("Mangku Sakti", "lombok-timur", 1),
            ("Jeruk Manis", "lombok-timur", 1),
        ),
        ("Air terjun {place}", "Menuju air terjun {place}", "Segarnya air terjun {place} {time}"),
        (
            "Air terjun {place} bisa dicapai dengan berjalan kaki melewati hutan.",
            "Airnya dingin dan jernih sepanjang tahun.",
            "Pemandu lokal mengantar wisatawan menyeberangi sungai kecil.",
        ),
        ("air terjun", "alam", "hutan", "trekking", "wisata alam"),
    ),
    Theme(
        6.0,
        _places(
            ("Sembalun", "lombok-timur", 3),
            ("Senaru", "lombok-utara", 2),
            ("Bukit Pergasingan", "lombok-timur", 1),
            ("Segara Anak", "lombok-utara", 1),
            ("Tambora", "dompu", 1),
            ("Bukit Merese", "lombok-tengah", 1),
        ),
        (
            "Pendakian Gunung Rinjani lewat {place}",
            "Kabut pagi di {place}",
            "Padang savana {place}",
            "Memandang Rinjani dari {place}",
        ),
        (
            "Jalur {place} menjadi favorit pendaki yang ingin melihat matahari terbit.",
            "Porter lokal membawa perlengkapan pendaki sampai ke pos terakhir.",
            "Lembah di bawahnya dikelilingi perbukitan hijau dan kebun sayur.",
            "Pemandangan dari puncak bukit paling indah saat musim hujan usai.",
        ),
        ("Rinjani", "pendakian", "gunung", "savana", "matahari terbit", "alam"),
    ),
    Theme(
        7.0,
        _places(
            ("Ayam Taliwang", "kota-mataram", 3),
            ("Plecing Kangkung", "lombok-barat", 2),
            ("Sate Rembiga", "kota-mataram", 2),
            ("Nasi Balap Puyung", "lombok-tengah", 2),
            ("Sate Bulayak", "lombok-barat", 1),
            ("Sepat", "sumbawa", 1),
            ("Singang", "bima", 1),
            ("Beberuk Terong", "lombok-timur", 1),
        ),
        ("Memasak {place}", "{place} yang pedas", "Warung {place} {time}", "Resep {place} rumahan"),
        (
            "Rasa pedas sambal menjadi ciri kuliner Lombok.",
            "Resep ini diwariskan turun-temurun oleh keluarga pemilik warung.",
            "Wisatawan antre sejak siang untuk mencicipi {place}.",
            "Bumbunya diulek dengan cabai rawit, terasi dan jeruk limau.",
        ),
        ("kuliner", "makanan khas", "pedas", "warung", "resep"),
    ),
    Theme(
        4.0,
        _places(("Kuta Mandalika", "lombok-tengah", "sirkuit-mandalika", 1)),
        (
            "Balapan MotoGP di Sirkuit Mandalika",
            "Tribun Sirkuit Mandalika penuh penonton",
            "Kunjungan siswa ke paddock Sirkuit Mandalika",
            "Tikungan terakhir Sirkuit Mandalika {time}",
        ),
        (
            "Pertamina Mandalika International Circuit menjadi tuan rumah balap dunia.",
            "Siswa belajar tentang keselamatan dan teknologi balap.",
            "Lintasan ini berada tidak jauh dari pantai Kuta.",
        ),
        ("sirkuit", "Mandalika", "balap", "MotoGP", "eduwisata", "olahraga"),
    ),
    Theme(
        2.0,
        _places(("Meninting", "lombok-barat", "meninting-bike-park", 1)),
        (
            "Bersepeda di Meninting Bike Park",
            "Lintasan pumptrack {place}",
            "Pesepeda cilik belajar mengerem",
        ),
        (
            "Anak-anak belajar bersepeda aman di lintasan pumptrack.",
            "Pelatih mengajarkan cara merawat sepeda sebelum berlatih.",
        ),
        ("sepeda", "bersepeda", "pumptrack", "eduwisata", "olahraga"),
    ),
    Theme(
        6.0,
        _places(
            ("Sade", "lombok-tengah", "desa-adat-sade", 3),
            ("Ende", "lombok-tengah", 1),
            ("Tetebatu", "lombok-timur", 2),
            ("Sembalun Lawang", "lombok-timur", 1),
            ("Bilebante", "lombok-tengah", 1),
            ("Kembang Kuning", "lombok-timur", 1),
        ),
        (
            "Rumah adat Sasak di Desa {place}",
            "Lumbung padi Desa {place}",
            "Pagi di Desa Wisata {place}",
            "Anak-anak bermain di Desa {place}",
        ),
        (
            "Rumah adat di {place} berlantai tanah yang dilapisi kotoran kerbau.",
            "Warga {place} menyambut wisatawan dengan tarian dan musik tradisional.",
            "Sawah berundak mengelilingi desa.",
            "Pemuda desa menjadi pemandu dan mengelola homestay.",
        ),
        ("desa wisata", "rumah adat", "Sasak", "budaya", "pedesaan"),
    ),
    Theme(
        5.0,
        _places(
            ("Gili Trawangan", "lombok-utara", "konservasi-penyu-gili", 3),
            ("Gili Meno", "lombok-utara", 2),
            ("Gili Air", "lombok-utara", 2),
            ("Gili Nanggu", "lombok-barat", 1),
            ("Gili Kondo", "lombok-timur", 1),
            ("Pulau Moyo", "sumbawa", 1),
        ),
        (
            "Snorkeling di {place}",
            "Penyu hijau di perairan {place}",
            "Menyelam di terumbu karang {place}",
            "Cidomo di jalanan {place}",
            "Matahari terbenam di {place}",
        ),
        (
            "Air laut di sekitar {place} jernih dengan terumbu karang yang masih terjaga.",
            "Wisatawan berkeliling pulau naik cidomo atau bersepeda.",
            "Pantainya landai sehingga aman untuk anak-anak berenang.",
            "Pemandu menjaga agar penyu tidak terganggu.",
        ),
        ("gili", "snorkeling", "menyelam", "terumbu karang", "wisata bahari", "pulau"),
    ),
    Theme(
        4.0,
        _places(
            ("Beleke", "lombok-barat", 2),
            ("Sayang-Sayang", "kota-mataram", 1),
            ("Sesela", "lombok-barat", 1),
            ("Loyok", "lombok-timur", 1),
        ),
        ("Anyaman ketak dari {place}", "Kerajinan cukli {place}", "Perajin ukiran kayu {place}"),
        (
            "Ketak dianyam menjadi tas, tempat tisu dan piring.",
            "Perajin menempelkan kulit kerang pada kayu untuk membuat cukli.",
            "Pesanan dari hotel dan toko oleh-oleh datang setiap minggu.",
        ),
        ("kerajinan", "anyaman", "ketak", "cukli", "perajin", "IKM", "oleh-oleh"),
    ),
    Theme(
        5.0,
        _places(
            ("dodol rumput laut", "lombok-timur", 1),
            ("susu kuda liar", "bima", 1),
            ("bawang goreng", "bima", 1),
            ("abon ikan", "kota-mataram", 1),
            ("keripik talas", "lombok-utara", 1),
            ("gula aren", "lombok-barat", 1),
        ),
        ("Produksi {place} skala rumahan", "Kemasan baru {place}", "Foto produk {place} untuk katalog daring"),
        (
            "IKM binaan Disperin NTB memperbaiki kemasan agar siap masuk toko modern.",
            "Foto ini dibuat untuk katalog daring dan media sosial pelaku usaha.",
            "Pelaku usaha didampingi mengurus izin edar dan sertifikat halal.",
        ),
        ("IKM", "produk lokal", "kemasan", "UMKM", "ekspor", "foto produk"),
    ),
    Theme(
        3.0,
        _places(("Mataram", "kota-mataram", 2), ("Praya", "lombok-tengah", 1), ("Sumbawa Besar", "sumbawa", 1)),
        (
            "Pelatihan robotika siswa SMK di {place}",
            "Workshop IoT untuk petani {place}",
            "Lomba robot pelajar {place}",
        ),
        (
            "Siswa merakit robot sederhana dari komponen bekas.",
            "Sensor kelembapan membantu petani mengatur pengairan sawah.",
        ),
        ("pendidikan", "robotika", "teknologi", "pelatihan", "siswa", "IoT"),
    ),
    Theme(
        4.0,
        _places(
            ("Taman Budaya", "kota-mataram", "taman-budaya-ntb", 2),
            ("Ampenan", "kota-mataram", 2),
            ("Narmada", "lombok-barat", 1),
        ),
        (
            "Pementasan teater di {place}",
            "Syuting film pendek di {place}",
            "Tari tradisional di {place}",
            "Musik tradisional {time}",
        ),
        (
            "Para aktor berlatih selama dua bulan sebelum pementasan.",
            "Film pendek ini mengangkat cerita keluarga nelayan di pesisir.",
            "Penari muda membawakan tari gandrung dan tari rudat.",
        ),
        ("teater", "film", "seni pertunjukan", "tari", "budaya"),
    ),
    Theme(
        4.0,
        _places(
            ("Islamic Center", "kota-mataram", 2),
            ("Kota Tua Ampenan", "kota-mataram", 2),
            ("Pura Meru", "kota-mataram", 1),
            ("Taman Udayana", "kota-mataram", 1),
            ("Museum Negeri NTB", "kota-mataram", "museum-negeri-ntb", 1),
            ("Pasar Cakranegara", "kota-mataram", 1),
        ),
        ("{place} malam hari", "Arsitektur {place}", "Berwisata ke {place} {time}"),
        (
            "Bangunan bersejarah di Mataram ramai dikunjungi saat akhir pekan.",
            "Lampu kota menyala indah setelah matahari terbenam.",
        ),
        ("kota", "Mataram", "arsitektur", "wisata religi", "sejarah"),
    ),
    Theme(
        3.0,
        _places(
            ("Uma Lengge Wawo", "bima", 2),
            ("Istana Dalam Loka", "sumbawa", 2),
            ("Desa Mbawa", "bima", 1),
            ("Samota", "sumbawa", 1),
        ),
        ("Rumah adat {place}", "Sejarah {place}", "Upacara adat di {place}"),
        (
            "Bangunan kayu ini menjadi saksi sejarah kesultanan di Pulau Sumbawa.",
            "Tetua adat menceritakan asal-usul kampung kepada pengunjung.",
        ),
        ("rumah adat", "sejarah", "Sumbawa", "Bima", "budaya"),
    ),
)

TIMES = ("saat senja", "di pagi hari", "pada musim hujan", "menjelang Lebaran", "saat matahari terbit", "malam hari")

# One of these follows the theme's sentences; {community}, {regency}, {year} and {hours} are filled in.
GENERAL = (
    "Diambil oleh anggota {community} untuk bahan promosi daerah.",
    "Bebas digunakan pelaku IKM sesuai lisensi yang tercantum.",
    "Direkam pada tahun {year}.",
    "Cocok untuk brosur, media sosial dan pameran dagang.",
    "Lokasi berada di {regency}, Nusa Tenggara Barat.",
    "Perjalanan dari Mataram memakan waktu sekitar {hours} jam.",
    "Sebaiknya berkunjung pada musim kemarau antara Mei dan September.",
)
# Rarer asides that put the common search words where the theme alone would not.
ASIDES = (
    (0.015, "Lokasinya tidak jauh dari pantai."),
    (0.004, "Jangan lupa mencicipi kopi Sembalun di warung setempat."),
)

KIND_LINES = {
    "image": ("Foto diambil dengan kamera ponsel.", "Foto beresolusi tinggi, siap cetak."),
    "video": ("Video pendek dengan musik latar tradisional.", "Rekaman video dari drone."),
    "audio": ("Rekaman suara suasana sekitar.", "Wawancara dengan warga setempat."),
    "document": ("Dokumen berisi profil usaha dan daftar produk.", "Brosur promosi dalam format PDF."),
}

FIRST_NAMES = (
    "Baiq", "Lalu", "Lale", "Muhammad", "Ahmad", "Siti", "Nurul", "Dewi", "Putu", "Made", "Ketut",
    "Wayan", "Ni Luh", "Rizky", "Fitri", "Hendra", "Yuni", "Agus", "Sri", "Iwan", "Zainal", "Rahmat",
    "Hairul", "Suhaimi",
)  # fmt: skip
LAST_NAMES = (
    "Hidayat", "Saputra", "Wulandari", "Pratama", "Rahmawati", "Hamdani", "Maulana", "Fauzi",
    "Kurniawan", "Sasmita", "Juniarti", "Ramdhani", "Zulkarnain", "Sukardi", "Amrullah",
)  # fmt: skip

_WORD = re.compile(r"[a-z]+")
# Too common to say anything about the cost of a query, or not words a user searches for.
_STOPWORDS = frozenset(
    "yang dari untuk dengan sampai dalam para lebih sejak atau agar pada satu oleh saat bisa tidak "
    "masih setiap sebelum setelah menjadi sudah lalu tanpa sebagai kepada dikenal paling besar kecil "
    "sekitar tahun place time berada beberapa sendiri langsung".split()
)


class Writer:
    """Draws an asset's text from the themes with one seeded random generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.themes = THEMES
        self.theme_weights = [theme.weight for theme in THEMES]

    def asset_text(self, community: str, regency_name: dict[str, str], year: int) -> tuple[str, str, str, Place]:
        """(title, description, comma-separated tags, place) of one asset."""
        rng = self.rng
        theme = rng.choices(self.themes, self.theme_weights)[0]
        place = rng.choices([p for p, _w in theme.places], [w for _p, w in theme.places])[0]
        fill = {
            "place": place.name,
            "time": rng.choice(TIMES) if rng.random() < 0.4 else "",
            "community": community,
            "regency": regency_name[place.regency],
            "year": year,
            "hours": rng.randint(1, 4),
        }
        title = rng.choice(theme.titles).format(**fill).strip()
        title = title[0].upper() + title[1:]
        sentences = rng.sample(theme.sentences, min(len(theme.sentences), rng.randint(1, 3)))
        sentences.append(rng.choice(GENERAL))
        sentences += [line for share, line in ASIDES if rng.random() < share]
        description = " ".join(sentences).format(**fill)
        tags = rng.sample(theme.tags, min(len(theme.tags), rng.randint(2, 5)))
        if rng.random() < 0.5:
            tags.append(place.name.lower())
        return title, description, ", ".join(tags), place

    def kind_line(self, kind: str) -> str:
        return self.rng.choice(KIND_LINES[kind])


def varied_words(count: int = 200, seed: int = 8) -> list[str]:
    """``count`` different words of the vocabulary for the "search, varied words" page: common,
    rare and affixed ones alike, so that no cache of a few queries hides the cost of searching."""
    words = set()
    for theme in THEMES:
        texts = [*theme.titles, *theme.sentences, *theme.tags, *(place.name for place, _w in theme.places)]
        for line in texts:
            words.update(w for w in _WORD.findall(line.lower()) if len(w) >= 4 and w not in _STOPWORDS)
    ordered = sorted(words)
    random.Random(seed).shuffle(ordered)
    return ordered[:count]
