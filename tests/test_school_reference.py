"""The national school reference (issue 12, point 5): ``flask schools import`` loads a Dapodik
snapshot; registration fills (and checks) a school from it, by the NPSN lookup as the coordinator
types and again on submit; staff verifying schools see whether each matches the reference."""

from __future__ import annotations

import codecs
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from koin_media.accounts.models import School, User
from koin_media.database import utcnow
from koin_media.extensions import db
from koin_media.reference import schools
from koin_media.reference.models import LEVELS, ReferenceSchool, Regency
from koin_media.reference.school_import import ADDRESS_MAX, UnreadableFile, import_schools
from koin_media.reference.services import find_by_name_or_slug

from .conftest import PASSWORD, csrf_token
from .query_count import statements_of

HEADER = "NPSN;Nama Sekolah;Bentuk Pendidikan;Status;Alamat;Kabupaten/Kota\n"


def write(tmp_path, text: str, name: str = "dapodik.csv", bom: bool = False, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + text.encode(encoding))
    return path


def stored() -> dict[str, ReferenceSchool]:
    return {row.npsn: row for row in db.session.scalars(select(ReferenceSchool))}


def run_import(runner, path, *args):
    result = runner.invoke(args=["schools", "import", str(path), *args])
    # Bad input is a message and an exit code, never a traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def reference_school(npsn="50201234", name="SMP NEGERI 2 MATARAM", level="SMP", regency="kota-mataram"):
    row = ReferenceSchool(
        npsn=npsn,
        name=name,
        level=level,
        regency=db.session.scalar(select(Regency).where(Regency.slug == regency)),
        address="Jl. Pejanggik No. 2",
        snapshot="Dapodik NTB 2026-11",
    )
    db.session.add(row)
    db.session.commit()
    return row


# -- import --------------------------------------------------------------------------------------


def test_import_reads_a_dapodik_export_with_bom_and_semicolons(runner, tmp_path):
    path = write(
        tmp_path,
        HEADER + "50201234;SMP NEGERI 2 MATARAM;SMP;NEGERI;Jl. Pejanggik No. 2;KOTA MATARAM\n"
        "50202222;MTS  NURUL   HUDA;MTs;SWASTA;Dusun Lendang;Kab. Lombok Barat\n"
        "50203333;MA AL IKHLAS;MA;SWASTA;;KABUPATEN BIMA\n"
        "50204444;SMK NEGERI 1 PRAYA;Sekolah Menengah Kejuruan;NEGERI;Jl. Gajah Mada;Lombok Tengah\n",
        bom=True,
    )
    result = run_import(runner, path, "--snapshot", "Dapodik NTB 2026-11")
    assert result.exit_code == 0, result.output
    assert "Added 4, updated 0, unchanged 0, rejected 0, skipped 0." in result.output
    assert "semicolon-separated" in result.output
    rows = stored()
    assert {npsn: (row.name, row.level, row.regency.slug) for npsn, row in rows.items()} == {
        "50201234": ("SMP NEGERI 2 MATARAM", "SMP", "kota-mataram"),
        "50202222": ("MTS NURUL HUDA", "SMP", "lombok-barat"),  # MTs teaches SMP's ages
        "50203333": ("MA AL IKHLAS", "SMA", "bima"),  # the kabupaten, not Kota Bima
        "50204444": ("SMK NEGERI 1 PRAYA", "SMK", "lombok-tengah"),
    }
    assert rows["50201234"].address == "Jl. Pejanggik No. 2"
    assert {row.snapshot for row in rows.values()} == {"Dapodik NTB 2026-11"}


def test_import_takes_commas_and_other_header_names(runner, tmp_path):
    path = write(
        tmp_path,
        "npsn,nama,jenjang,kab_kota,alamat_jalan\n"
        '50205555,"SD NEGERI 1 AMPENAN, MATARAM",SD,Kota Mataram,"Jl. A, No. 1"\n',
        name="kemdikbud.csv",
    )
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert "comma-separated" in result.output and "snapshot “kemdikbud.csv”" in result.output
    row = stored()["50205555"]
    assert (row.name, row.level, row.address, row.snapshot) == (
        "SD NEGERI 1 AMPENAN, MATARAM",
        "SD",
        "Jl. A, No. 1",
        "kemdikbud.csv",
    )


def test_bad_rows_are_rejected_with_their_line_and_reason(runner, tmp_path):
    path = write(
        tmp_path,
        HEADER + "5020123;SD NEGERI 9 MATARAM;SD;NEGERI;;Kota Mataram\n"  # line 2: 7 digits
        "50206666;;SD;NEGERI;;Kota Mataram\n"  # line 3
        "50207777;SD NEGERI 1 KUTA;SD;NEGERI;;Kab. Badung\n"  # line 4: Bali, not NTB
        "50208888;SEKOLAH ALAM;Homeschooling;SWASTA;;Kota Mataram\n"  # line 5
        '50209999;SD NEGERI 3 MATARAM;SD;NEGERI;"Jl. Panjang\nBlok B";Kota Mataram\n'  # lines 6-7: good
        "50209999;SD NEGERI 3 MATARAM LAGI;SD;NEGERI;;Kota Mataram\n"  # line 8: repeated NPSN
        "50201111;TK PERTIWI;TK;SWASTA;;Kota Mataram\n"  # line 9: a pre-school, skipped
        "\n"  # line 10: blank, ignored
        "50201112;SD NEGERI 4\x00 MATARAM;SD;NEGERI;;Kota Mataram\n"  # line 11: NUL
        "50201113;SD NEGERI 5 MATARAM;;NEGERI;;Kota Mataram\n"  # line 12
        "50201114;SD NEGERI 6 MATARAM;SD;NEGERI;\n",  # line 13: a short row
    )
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    for expected in (
        "line 2: bad NPSN (an NPSN is 8 digits): 5020123",
        "line 3: missing name",
        "line 4: unknown regency (not one of NTB's ten): Kab. Badung",
        "line 5: unknown level: Homeschooling",
        "line 8: NPSN already on line 6: 50209999",
        "line 11: control or invisible characters in the name",
        "line 12: missing level",
        "line 13: missing regency",
    ):
        assert expected in result.output
    assert "Added 1, updated 0, unchanged 0, rejected 8, skipped 1." in result.output
    assert "Skipped (levels KOIN does not book visits for): TK 1." in result.output
    assert list(stored()) == ["50209999"]
    assert stored()["50209999"].address == "Jl. Panjang Blok B"


def test_reimport_is_idempotent_and_updates_only_changed_rows(runner, tmp_path):
    rows = [f"5021{n:04d};SD NEGERI {n} MATARAM;SD;NEGERI;Jl. {n};Kota Mataram\n" for n in range(1, 6)]
    first = write(tmp_path, HEADER + "".join(rows), name="first.csv")
    assert "Added 5, updated 0, unchanged 0" in run_import(runner, first, "--snapshot", "November").output
    before = {npsn: row.imported_at for npsn, row in stored().items()}

    again = run_import(runner, first, "--snapshot", "December")
    assert "Added 0, updated 0, unchanged 5, rejected 0" in again.output
    db.session.expire_all()
    assert {npsn: row.imported_at for npsn, row in stored().items()} == before
    assert {row.snapshot for row in stored().values()} == {"November"}  # nothing was written

    rows[2] = "50210003;SD NEGERI 3 MATARAM;SD;NEGERI;Jl. Baru 3;Kab. Lombok Barat\n"  # moved
    rows.append("50210006;SD NEGERI 6 MATARAM;SD;NEGERI;Jl. 6;Kota Mataram\n")
    changed = write(tmp_path, HEADER + "".join(rows), name="changed.csv")
    result = run_import(runner, changed, "--snapshot", "December")
    assert "Added 1, updated 1, unchanged 4, rejected 0" in result.output
    db.session.expire_all()
    after = stored()
    assert (after["50210003"].address, after["50210003"].regency.slug) == ("Jl. Baru 3", "lombok-barat")
    assert {npsn for npsn, row in after.items() if row.snapshot == "December"} == {"50210003", "50210006"}
    assert after["50210003"].imported_at > before["50210003"]

    # A file with fewer schools (one regency's) keeps the others.
    run_import(runner, write(tmp_path, HEADER + rows[0], name="one.csv"))
    assert len(stored()) == 6


def test_an_overlong_address_is_rejected_with_its_line(runner, tmp_path):
    """The lookup sends the address to every registering coordinator: a 100,000-character one
    (a broken export) is refused like an overlong name, and the stored row keeps its address."""
    path = write(tmp_path, HEADER + "50201234;SMP NEGERI 2 MATARAM;SMP;NEGERI;Jl. Pejanggik No. 2;Kota Mataram\n")
    run_import(runner, path)
    path = write(
        tmp_path,
        HEADER + "50201234;SMP NEGERI 2 MATARAM;SMP;NEGERI;" + "x" * 100_000 + ";Kota Mataram\n"
        "50202222;SD NEGERI 1 GERUNG;SD;NEGERI;" + "y" * ADDRESS_MAX + ";Kab. Lombok Barat\n",
        name="long.csv",
    )
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert f"line 2: address longer than {ADDRESS_MAX} characters: xxx" in result.output
    assert "x" * 100 not in result.output  # the listing quotes the start, not the whole value
    assert "Added 1, updated 0, unchanged 0, rejected 1" in result.output
    db.session.expire_all()
    rows = stored()
    assert rows["50201234"].address == "Jl. Pejanggik No. 2"
    assert rows["50202222"].address == "y" * ADDRESS_MAX  # the limit itself is allowed


def test_a_file_without_an_address_column_keeps_the_stored_addresses(runner, tmp_path):
    path = write(tmp_path, HEADER + "50201234;SMP NEGERI 2 MATARAM;SMP;NEGERI;Jl. Pendidikan;Kota Mataram\n")
    run_import(runner, path, "--snapshot", "November")
    no_address = write(
        tmp_path,
        "NPSN\tNama Sekolah\tBentuk Pendidikan\tKabupaten/Kota\n"
        "50201234\tSMP NEGERI 2 MATARAM\tSMP\tKota Mataram\n"
        "50202222\tSD NEGERI 1 GERUNG\tSD\tKab. Lombok Barat\n",
        name="no-address.tsv",
    )
    result = run_import(runner, no_address, "--snapshot", "December")
    assert "Added 1, updated 0, unchanged 1, rejected 0" in result.output, result.output
    db.session.expire_all()
    rows = stored()
    assert (rows["50201234"].address, rows["50201234"].snapshot) == ("Jl. Pendidikan", "November")
    assert rows["50202222"].address == ""  # a new school has none until a file gives one

    # What such a file does carry still updates, and the address stays.
    moved = write(
        tmp_path,
        "NPSN\tNama Sekolah\tBentuk Pendidikan\tKabupaten/Kota\n50201234\tSMP NEGERI 2 MATARAM\tSMP\tKab. Dompu\n",
        name="moved.tsv",
    )
    assert "updated 1" in run_import(runner, moved).output
    db.session.expire_all()
    row = stored()["50201234"]
    assert (row.regency.slug, row.address) == ("dompu", "Jl. Pendidikan")

    # A file with the column but an empty cell does clear it: the reference says there is none.
    cleared = write(tmp_path, HEADER + "50201234;SMP NEGERI 2 MATARAM;SMP;NEGERI;;Kab. Dompu\n", name="cleared.csv")
    assert "updated 1" in run_import(runner, cleared).output
    db.session.expire_all()
    assert stored()["50201234"].address == ""


def test_dry_run_reports_and_writes_nothing(runner, tmp_path):
    path = write(tmp_path, HEADER + "50201234;SMP NEGERI 2 MATARAM;SMP;NEGERI;;Kota Mataram\n")
    result = run_import(runner, path, "--dry-run")
    assert result.exit_code == 0
    assert "Added 1," in result.output and "Dry run: nothing was written." in result.output
    assert stored() == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            HEADER.encode() + b"50201234;SMP NEGERI 2 MATARAM;SMP;;;Kota Mataram\n" + "5020;Café;SD\n".encode("cp1252"),
            "line 3: the file is not UTF-8",
        ),
        (b"", "the file is empty"),
        (b"NPSN;Nama Sekolah;Alamat\n50201234;SMP NEGERI 2 MATARAM;Jl. 2\n", "no column for level, regency"),
        (HEADER.encode() + b'50201234;"SMP NEGERI 2 MATARAM' + b"x" * 140_000 + b"\n", "not readable as CSV"),
    ],
    ids=["not-utf8", "empty", "missing-columns", "broken-csv"],
)
def test_a_file_that_cannot_be_read_exits_non_zero(runner, tmp_path, content, message):
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    result = run_import(runner, path)
    assert result.exit_code == 1
    assert message in result.output
    assert stored() == {}


def test_a_missing_file_and_a_bad_label_are_usage_errors(runner, tmp_path):
    assert run_import(runner, tmp_path / "nowhere.csv").exit_code == 2
    path = write(tmp_path, HEADER)
    assert run_import(runner, path, "--snapshot", "x" * 81).exit_code == 2
    assert run_import(runner, path, "--snapshot", "   ").exit_code == 2


def test_the_listing_of_rejected_rows_is_bounded_but_every_row_counts(runner, tmp_path):
    path = write(tmp_path, HEADER + "".join(f"123;SD {n};SD;;;Kota Mataram\n" for n in range(5)))
    result = run_import(runner, path, "--max-listed", "2")
    assert result.output.count("bad NPSN") == 3  # two lines and the summary
    assert "… and 3 more rejected row(s) not listed" in result.output
    assert "rejected 5" in result.output


def test_a_large_file_streams_in_batches(app, tmp_path):
    """12,000 rows: per batch of 1,000 one read and one upsert (and one query per regency
    spelling), not a statement per row; a batch is committed before the file is read to its end."""
    rows = (f"{60000000 + n};SD NEGERI {n} CONTOH;SD;NEGERI;Jl. {n};Kota Mataram\n" for n in range(12_000))
    path = write(tmp_path, HEADER + "".join(rows))
    report = None

    def run():
        nonlocal report
        report = import_schools(path, "big")

    statements = statements_of(run)
    assert (report.added, report.rows) == (12_000, 12_000)
    reads = [s for s in statements if "FROM reference_schools" in s]
    writes = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO REFERENCE_SCHOOLS")]
    assert (len(reads), len(writes)) == (12, 12)
    assert len(statements) < 40
    assert db.session.scalar(select(func.count()).select_from(ReferenceSchool)) == 12_000

    # A file broken at line 1,502: the first batch (lines 2-1,001) was stored while reading on.
    broken = write(
        tmp_path,
        HEADER
        + "".join(f"{70000000 + n};SD {n};SD;;;Kota Mataram\n" for n in range(1_500))
        + '70009999;"SD'
        + "x" * 140_000
        + "\n",
        name="broken.csv",
    )
    with pytest.raises(UnreadableFile, match="line 1502"):
        import_schools(broken, "broken")
    assert db.session.scalar(select(func.count()).where(ReferenceSchool.snapshot == "broken")) == 1_000


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("SD", "SD"),
        ("MI", "SD"),
        ("SDLB", "SD"),
        ("Sekolah Dasar", "SD"),
        ("MTs", "SMP"),
        ("smp", "SMP"),
        ("M.A.", "SMA"),
        ("SMALB", "SMA"),
        ("MAK", "SMK"),
        ("Sekolah Menengah Kejuruan", "SMK"),
        ("TK", None),
        ("SLB", None),
        ("Sekolah Kita", None),
    ],
)
def test_reference_levels_map_onto_ours(text, level):
    assert schools.level_of(text) == level
    assert set(schools.LEVEL_FORMS) == set(LEVELS)


def test_other_levels_are_known_apart_from_mistakes():
    assert schools.is_other_level("TK") and schools.is_other_level("PKBM") and schools.is_other_level("Kb")
    assert not schools.is_other_level("Homeschooling") and not schools.is_other_level("SMP")


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Kab. Lombok Barat", "lombok-barat"),
        ("KAB. LOMBOK  BARAT", "lombok-barat"),
        ("Kabupaten Bima", "bima"),
        ("Kab Dompu", "dompu"),
        ("KOTA MATARAM", "kota-mataram"),
        ("Kota Bima", "kota-bima"),
        ("sumbawa-barat", "sumbawa-barat"),
        ("Kab. Badung", None),
        ("Kabupaten", None),
    ],
)
def test_regencies_are_found_in_the_reference_forms(app, text, slug):
    regency = find_by_name_or_slug(Regency, text)
    assert (regency.slug if regency else None) == slug


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("SMPN 2 Mataram", "SMP NEGERI 2 MATARAM", True),
        ("SMP N 2 Mataram", "SMP NEGERI 2 MATARAM", True),
        ("SDN 01 Ampenan", "UPT SD NEGERI 1 AMPENAN", True),
        ("MTsN 1 Lombok Barat", "MTS NEGERI 1 LOMBOK BARAT", True),
        ("SMP Negeri 3 Mataram", "SMP NEGERI 2 MATARAM", False),
        ("SMA Islam Al-Ikhlas", "SMA ISLAM AL IKHLAS", True),
        ("Sekolah Apa Saja", "SMP NEGERI 2 MATARAM", False),
    ],
)
def test_names_compare_across_the_usual_spellings(one, other, same):
    assert schools.same_name(one, other) is same


# -- the lookup ----------------------------------------------------------------------------------


def test_lookup_answers_the_reference_record_only(client, factory):
    reference_school()
    factory.user("school", npsn="50201234")  # a KOIN school of that NPSN: not part of the answer
    response = client.get("/api/v1/schools/reference/50201234")
    assert response.status_code == 200
    body = response.get_json()
    assert body == {
        "npsn": "50201234",
        "name": "SMP NEGERI 2 MATARAM",
        "level": "SMP",
        "regency": {"slug": "kota-mataram", "name": "Kota Mataram"},
        "address": "Jl. Pejanggik No. 2",
        "snapshot": "Dapodik NTB 2026-11",
        "imported_at": body["imported_at"],
    }
    assert body["imported_at"].endswith("Z")


def test_lookup_of_an_npsn_not_in_the_reference_is_404_in_the_users_language(client, factory):
    factory.user("school", npsn="50201234")  # registered in KOIN, but not in the reference
    response = client.get("/api/v1/schools/reference/50201234")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_in_reference"
    assert "tidak ada dalam referensi sekolah nasional" in response.get_json()["message"]
    english = client.get("/api/v1/schools/reference/50201234", headers={"Accept-Language": "en"})
    assert "not in the national school reference" in english.get_json()["message"]


@pytest.mark.parametrize("npsn", ["5020123", "502012345", "5020123a", "%20%2050201234", "50201234%00", "50201234%0A"])
def test_lookup_of_a_malformed_npsn_is_422(client, npsn):
    reference_school()
    response = client.get(f"/api/v1/schools/reference/{npsn}")
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid_npsn"
    assert "8 angka" in response.get_json()["message"]


def test_lookups_are_rate_limited_per_address_found_or_not(make_app):
    app = make_app(RATELIMIT_SCHOOL_LOOKUP="3 per minute")
    with app.app_context():
        reference_school()
    client = app.test_client()
    answers = [client.get(f"/api/v1/schools/reference/{npsn}").status_code for npsn in ("50201234", "50209999", "123")]
    assert answers == [200, 404, 422]
    refused = client.get("/api/v1/schools/reference/50201234")
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "rate_limited"
    other = client.get("/api/v1/schools/reference/50201234", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


# -- registration --------------------------------------------------------------------------------


def register(client, **fields):
    data = {
        "name": "Ibu Baiq",
        "email": "baiq@contoh.id",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "npsn": "50201234",
        "school_name": "",
        "regency": "",
        "csrf_token": csrf_token(client, "/register/school"),
        **fields,
    }
    return client.post("/register/school", data=data)


def registered_school() -> School | None:
    user = db.session.scalar(select(User).where(User.email == "baiq@contoh.id"))
    return user.school if user else None


@pytest.fixture
def no_limits(make_app):
    app = make_app(RATELIMIT_ENABLED=False)
    with app.app_context():
        yield app


def test_registration_fills_the_school_from_the_reference_without_script(no_limits):
    reference_school()
    response = register(no_limits.test_client())
    assert response.status_code == 302, response.get_data(as_text=True)
    school = registered_school()
    assert (school.name, school.regency.slug, school.level_set) == ("SMP NEGERI 2 MATARAM", "kota-mataram", {"SMP"})


def test_registration_keeps_the_levels_the_coordinator_ticked(no_limits):
    reference_school(level="SMA")
    assert register(no_limits.test_client(), levels=["SMA", "SMK"]).status_code == 302
    assert registered_school().level_set == {"SMA", "SMK"}


def test_a_name_spelt_otherwise_is_the_same_school_and_takes_the_references_spelling(no_limits):
    reference_school()
    response = register(no_limits.test_client(), school_name="SMPN 2 Mataram", regency="kota-mataram")
    assert response.status_code == 302
    assert registered_school().name == "SMP NEGERI 2 MATARAM"


def test_a_different_name_is_replaced_by_the_references_and_shown_to_confirm(no_limits):
    reference_school()
    client = no_limits.test_client()
    response = register(client, school_name="SMA Negeri 1 Praya")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Menurut referensi sekolah nasional, NPSN 50201234 adalah “SMP NEGERI 2 MATARAM”" in page
    assert 'value="SMP NEGERI 2 MATARAM"' in page  # filled in: sending again confirms
    assert registered_school() is None
    assert register(client, school_name="SMP NEGERI 2 MATARAM").status_code == 302
    assert registered_school().name == "SMP NEGERI 2 MATARAM"


def test_a_different_regency_is_replaced_by_the_references_and_shown_to_confirm(no_limits):
    reference_school()
    response = register(no_limits.test_client(), regency="lombok-timur")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "NPSN 50201234 berada di Kota Mataram" in page
    assert '<option selected value="kota-mataram">' in page
    assert registered_school() is None


def test_an_npsn_not_in_the_reference_registers_as_typed(no_limits):
    reference_school()
    client = no_limits.test_client()
    empty = register(client, npsn="50207777")
    assert empty.status_code == 422  # nothing to fill from: the name is needed
    assert "Isi nama sekolah." in empty.get_data(as_text=True)
    assert register(client, npsn="50207777", school_name="SD Baru", regency="dompu").status_code == 302
    assert (registered_school().name, registered_school().regency.slug) == ("SD Baru", "dompu")


def test_the_api_registration_fills_and_checks_from_the_reference_too(no_limits):
    reference_school()
    client = no_limits.test_client()
    body = {"role": "school", "name": "Ibu Baiq", "email": "baiq@contoh.id", "password": PASSWORD, "npsn": "50201234"}
    wrong = client.post("/api/v1/auth/register", json={**body, "school_name": "SD Lain", "regency": "kota-mataram"})
    assert wrong.status_code == 422
    assert "SMP NEGERI 2 MATARAM" in wrong.get_json()["errors"]["school_name"][0]
    created = client.post("/api/v1/auth/register", json=body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["school"]["name"] == "SMP NEGERI 2 MATARAM"


def test_the_api_says_which_reference_values_to_send_in_the_callers_language(no_limits):
    """An API caller has no form that was filled in: sending the same body again cannot confirm.
    The 422 names the reference's values to send (and carries the record), in the caller's language."""
    reference_school()
    client = no_limits.test_client()
    body = {"role": "school", "name": "Ibu Baiq", "email": "baiq@contoh.id", "password": PASSWORD, "npsn": "50201234"}
    wrong = {**body, "school_name": "SMA Negeri 1 Praya", "regency": "lombok-timur"}
    for _ in range(2):  # the same body twice: the same answer, nothing registered
        answer = client.post("/api/v1/auth/register", json=wrong)
        assert answer.status_code == 422
    errors = answer.get_json()["errors"]
    assert errors["school_name"] == [
        "Menurut referensi sekolah nasional, NPSN 50201234 adalah “SMP NEGERI 2 MATARAM”. Bila ini sekolah Anda, "
        "kirim nama itu sebagai school_name; bila bukan, periksa NPSN-nya."
    ]
    assert errors["regency"] == [
        "Menurut referensi sekolah nasional, NPSN 50201234 berada di Kota Mataram. Bila ini sekolah Anda, "
        "kirim regency “kota-mataram”; bila bukan, periksa NPSN-nya."
    ]
    assert not any("kirim formulir sekali lagi" in message for messages in errors.values() for message in messages)
    assert answer.get_json()["reference"]["name"] == "SMP NEGERI 2 MATARAM"
    assert answer.get_json()["reference"]["regency"] == {"slug": "kota-mataram", "name": "Kota Mataram"}
    assert registered_school() is None

    english = client.post("/api/v1/auth/register", json=wrong, headers={"Accept-Language": "en"})
    messages = english.get_json()["errors"]
    assert "send that name as school_name" in messages["school_name"][0]
    assert "send regency “kota-mataram”" in messages["regency"][0]

    reference = answer.get_json()["reference"]
    sent = {**wrong, "school_name": reference["name"], "regency": reference["regency"]["slug"]}
    assert client.post("/api/v1/auth/register", json=sent).status_code == 201
    assert registered_school().name == "SMP NEGERI 2 MATARAM"


def test_an_api_error_about_other_fields_carries_no_reference(no_limits):
    reference_school()
    body = {"role": "school", "name": "Ibu Baiq", "email": "not-an-address", "password": PASSWORD, "npsn": "50201234"}
    answer = no_limits.test_client().post("/api/v1/auth/register", json=body)
    assert answer.status_code == 422 and "email" in answer.get_json()["errors"]
    assert "reference" not in answer.get_json()


# -- staff verifying -----------------------------------------------------------------------------


def unverified_school(factory, npsn, name, regency="kota-mataram", levels=""):
    user = factory.user("school", npsn=npsn, coordinator_status="pending")
    user.school.name, user.school.levels = name, levels
    user.school.regency = db.session.scalar(select(Regency).where(Regency.slug == regency))
    user.school.created_at = utcnow() - timedelta(days=1)
    db.session.commit()
    return user.school


def row_of(page: str, npsn: str) -> str:
    start = page.index(f'data-npsn="{npsn}"')
    return page[start : page.index("</tr>", start)]


@pytest.mark.parametrize("path", ["/schools/waiting", "/schools"])
def test_staff_see_whether_a_school_matches_the_reference(client, auth, factory, path):
    reference_school("50201234", "SMP NEGERI 2 MATARAM", "SMP", "kota-mataram")
    reference_school("50202222", "SD NEGERI 1 GERUNG", "SD", "lombok-barat")
    unverified_school(factory, "50201234", "SMPN 2 Mataram", levels="SMP")
    unverified_school(factory, "50202222", "SD Negeri 5 Gerung", regency="lombok-tengah")
    unverified_school(factory, "50203333", "Sekolah Karangan")
    auth.login(factory.user("staff"))

    page = client.get(path).get_data(as_text=True)
    same = row_of(page, "50201234")
    assert 'data-reference="match"' in same and "Sesuai dengan referensi sekolah nasional" in same
    differs = row_of(page, "50202222")
    assert 'data-reference="differs"' in differs and "Berbeda dari referensi sekolah nasional" in differs
    assert "terdaftar “SD Negeri 5 Gerung”, referensi “SD NEGERI 1 GERUNG”" in differs
    assert "terdaftar “Lombok Tengah”, referensi “Lombok Barat”" in differs
    assert 'data-field="level" data-same="none"' in differs and "tidak diisi saat pendaftaran" in differs
    missing = row_of(page, "50203333")
    assert 'data-reference="missing"' in missing and "Tidak ada dalam referensi sekolah nasional" in missing


def test_the_staff_check_costs_one_query_for_a_page_of_schools(app, factory):
    for n in range(5):
        reference_school(f"5020000{n}", f"SD NEGERI {n} MATARAM", "SD")
    listed = [unverified_school(factory, f"5020000{n}", f"SD Negeri {n} Mataram", levels="SD") for n in range(5)]
    checks = {}
    statements = statements_of(lambda: checks.update(schools.checks_for(listed)))
    assert len([s for s in statements if "reference_schools" in s]) == 1
    assert all(check.matches for check in checks.values())
