"""The office's dashboard: every number on the page and in the CSVs against seeded data whose
answers are worked out by hand (tests/dashboard_seed.py), WITA month boundaries on both
databases, who may open it, the period's validation, and a query count that does not grow
with the data."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from koin_media.assets import services as asset_services
from koin_media.assets.models import PENDING_REVIEW
from koin_media.database import utcnow
from koin_media.extensions import db

from . import dashboard_seed
from .asset_helpers import approved_asset
from .dashboard_seed import FACTS, FIRST, LAST, expected, seed
from .query_count import statements_of

RANGE = {"from": FIRST, "to": LAST}
CHARTS = (
    "visits-venue", "visits-regency", "visits-level", "students", "no-shows",
    "downloads-sector", "downloads-community", "top-assets", "top-communities", "review-time",
)  # fmt: skip


class Cells(HTMLParser):
    """The page's numbers: table cells by their ``data-cell`` (chart|row|column) and key
    figures by their ``data-figure``."""

    def __init__(self):
        super().__init__()
        self.cells: dict[str, dict[tuple[str, str], str]] = {}
        self.facts: dict[str, str] = {}
        self.csv_links: list[str] = []
        self.svgs = 0
        self._open: tuple[str, str] | None = None
        self._fact: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg" and "plot" in (attrs.get("class") or ""):
            self.svgs += 1
        if tag == "a" and (attrs.get("href") or "").startswith("/office/dashboard/"):
            self.csv_links.append(attrs["href"])
        if "data-cell" in attrs:
            self._open, self._text = ("cell", attrs["data-cell"]), []
        elif "data-figure" in attrs:
            self._fact = attrs["data-figure"]
        elif tag == "dd" and self._fact:
            self._open, self._text = ("fact", self._fact), []

    def handle_data(self, data):
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._open and tag in ("td", "dd"):
            kind, key = self._open
            text = "".join(self._text).strip()
            if kind == "cell":
                chart, row, column = key.split("|")
                self.cells.setdefault(chart, {})[(row, column)] = text
            else:
                self.facts[key] = text
                self._fact = None
            self._open = None


def parse(html: str) -> Cells:
    cells = Cells()
    cells.feed(html)
    return cells


def nonzero(table: dict) -> dict:
    """A table without its empty cells (a month with nothing in a series)."""
    return {key: text for key, text in table.items() if text not in ("0",)}


@pytest.fixture
def seeded(app, client, auth):
    ids = seed()
    auth.login(ids["staff"])
    return ids


def test_every_number_on_the_page_matches_the_seeded_data(client, seeded):
    page = client.get("/office/dashboard", query_string=RANGE)
    assert page.status_code == 200
    found = parse(page.get_data(as_text=True))
    assert found.facts == FACTS
    for chart, cells in expected(seeded).items():
        assert nonzero(found.cells[chart]) == nonzero(cells), chart
    # every chart drawn, each with its CSV for the same period
    assert found.svgs == len(CHARTS)
    assert sorted(found.csv_links) == sorted(f"/office/dashboard/{c}.csv?from={FIRST}&to={LAST}" for c in CHARTS)


def test_the_page_is_indonesian_with_months_in_wita(client, seeded):
    html = client.get("/office/dashboard", query_string=RANGE).get_data(as_text=True)
    assert "Dasbor kantor" in html
    assert "Desember 2025" in html and "Januari 2026" in html  # the tables' months
    assert "Des 25" in html  # the axis
    assert "1 November 2025" in html and "31 Januari 2026" in html  # the period in words


@pytest.mark.parametrize("chart", CHARTS)
def test_each_csv_holds_the_chart_table(client, seeded, chart):
    answer = client.get(f"/office/dashboard/{chart}.csv", query_string=RANGE)
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == f'attachment; filename="koin-{chart}-{FIRST}-{LAST}.csv"'
    body = answer.get_data(as_text=True)
    assert body.startswith("\ufeff")  # Excel reads UTF-8 only with its byte order mark
    header, *rows = list(csv.reader(io.StringIO(body[1:])))
    page = parse(client.get("/office/dashboard", query_string=RANGE).get_data(as_text=True)).cells[chart]
    # The same rows and numbers as the page's table, written as plain numbers.
    columns = []
    for _row, column in page:
        if column not in columns:
            columns.append(column)
    assert len(header) == len(columns) + 1
    for row in rows:
        for column, value in zip(columns, row[1:], strict=True):
            shown = page[(row[0], column)]
            written = value.removeprefix("'")
            assert written == _as_csv(shown), (chart, row[0], column)
    if chart not in ("top-assets", "top-communities"):
        assert [row[0] for row in rows] == list(dashboard_seed.MONTHS)


def _as_csv(shown: str) -> str:
    """A number as the page shows it (Indonesian) as the CSV writes it."""
    if shown == "–":
        return ""
    if shown.endswith("%"):
        return shown.removesuffix("%").replace(",", ".")
    return shown.replace(".", "").replace(",", ".") if any(c.isdigit() for c in shown[:1]) else shown


def test_csv_cells_never_run_as_formulas(client, seeded):
    rows = list(
        csv.reader(
            io.StringIO(client.get("/office/dashboard/top-assets.csv", query_string=RANGE).get_data(as_text=True)[1:])
        )
    )
    assert rows[1][1] == '\'=HYPERLINK("http://contoh.id","klik")'
    assert rows[2][1] == "Tenun Sukarara"


def test_csv_headers_are_in_the_readers_language(client, seeded):
    rows = list(
        csv.reader(
            io.StringIO(client.get("/office/dashboard/no-shows.csv", query_string=RANGE).get_data(as_text=True)[1:])
        )
    )
    assert rows[0] == ["Bulan", "Tidak hadir", "Kunjungan dengan hasil diketahui", "Tingkat ketidakhadiran"]
    assert rows[2] == ["2025-12", "1", "2", "50.0"]


def test_the_default_period_is_the_last_twelve_months(client, factory, auth):
    auth.login(factory.user("staff"))
    html = client.get("/office/dashboard").get_data(as_text=True)
    found = parse(html)
    # today is in the last month; its first day eleven months before
    months = [row for row, column in found.cells["students"]]
    assert len(months) == 12
    today = utcnow() + timedelta(hours=8)
    assert months[-1] == today.strftime("%Y-%m")
    assert found.facts["visits"] == "0" and found.facts["review-median"] == "–"
    assert "Tidak ada apa pun pada periode ini." in html  # an empty chart says so


def test_review_time_counts_decisions_made_through_the_services(client, factory, auth):
    """The audit events the moderation services write are the ones the dashboard reads: an
    upload's decision counts from its submission, a published asset's edit does not."""
    staff, creator = factory.user("staff"), factory.user("creator")
    upload = approved_asset(creator, "Pantai Kuta", approved_at=None)
    upload.status, upload.submitted_at = PENDING_REVIEW, utcnow() - timedelta(hours=5)
    db.session.commit()
    asset_services.approve(upload, staff)
    edited = approved_asset(creator, "Sade", submitted_at=utcnow() - timedelta(days=40))
    asset_services.update_details(edited, {"title": "Desa Sade"}, creator)
    asset_services.approve(edited, staff, edit_version=edited.pending_edit_version)
    auth.login(staff)
    found = parse(client.get("/office/dashboard").get_data(as_text=True))
    assert found.facts["review-median"] == "5,0"  # the edit's 40 days are not in it
    assert found.facts["waiting"] == "0"


@pytest.mark.parametrize(
    "query, message",
    [
        ({"from": "2026-13-01"}, "Isi tanggal dengan format YYYY-MM-DD"),
        ({"to": "kemarin"}, "Isi tanggal dengan format YYYY-MM-DD"),
        ({"from": "2026-02-01", "to": "2026-01-31"}, "Tanggal akhir tidak boleh sebelum tanggal mulai."),
        ({"from": "2020-01-01", "to": "2025-12-31"}, "Pilih periode paling lama lima tahun."),
        # Well written but out of bounds: the years are wrong, not the format.
        ({"from": "1999-12-31", "to": "2000-01-31"}, "Pilih tanggal antara tahun 2000 dan 2099."),
        ({"from": "1900-01-01", "to": "2100-12-31"}, "Pilih tanggal antara tahun 2000 dan 2099."),
        ({"from": "2025-01-01", "to": "2100-01-01"}, "Pilih tanggal antara tahun 2000 dan 2099."),
        ({"from": "19000101"}, "Isi tanggal dengan format YYYY-MM-DD"),
    ],
)
def test_a_period_that_cannot_be_shown_is_a_400_with_the_reason(client, factory, auth, query, message):
    auth.login(factory.user("staff"))
    page = client.get("/office/dashboard", query_string=query)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert message in html
    assert 'name="from"' in html  # the form again, to correct it
    export = client.get("/office/dashboard/students.csv", query_string=query)
    assert export.status_code == 400 and message in export.get_data(as_text=True)


def test_five_years_is_the_longest_period(client, factory, auth):
    auth.login(factory.user("staff"))
    page = client.get("/office/dashboard", query_string={"from": "2021-01-01", "to": "2025-12-31"})
    assert page.status_code == 200
    assert len({row for row, _column in parse(page.get_data(as_text=True)).cells["students"]}) == 60


def test_an_unknown_chart_is_not_found(client, factory, auth):
    auth.login(factory.user("staff"))
    assert client.get("/office/dashboard/passwords.csv").status_code == 404


@pytest.mark.parametrize(
    "role, status",
    [("creator", 403), ("ikm", 403), ("school", 403), ("venue_manager", 403), ("staff", 200), ("admin", 200)],
)
def test_only_staff_and_admins_see_the_dashboard(client, factory, auth, role, status):
    auth.login(factory.user(role))
    assert client.get("/office/dashboard").status_code == status
    assert client.get("/office/dashboard/visits-venue.csv").status_code == status
    menu = client.get("/").get_data(as_text=True)
    assert ('href="/office/dashboard"' in menu) == (status == 200)


def test_visitors_are_sent_to_log_in(client):
    for path in ("/office/dashboard", "/office/dashboard/students.csv"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def _more_of_everything(round_: int) -> None:
    """Another venue, schools, assets in another community, downloads and decisions: rows
    the page's queries group, none of which may cost a query of its own."""
    factory = dashboard_seed.Factory()
    creator = factory.user("creator", email=f"besiru{round_}@contoh.id", community=dashboard_seed.community("besiru"))
    venue = dashboard_seed.make_venue(slug=f"bukit-merese-{round_}", name=f"Bukit Merese {round_}")
    program = dashboard_seed.make_program(venue)
    for n in range(6):
        school = dashboard_seed.school(f"5030{round_}{n:03d}", f"SDN {n} Praya", "lombok-tengah")
        dashboard_seed.visit(program, school, "SD", "completed", dashboard_seed.wita(2025, 12, 2 + n, 9), attended=20)
        asset = dashboard_seed.media(
            creator, f"Foto {round_}-{n}", "besiru", submitted_at=dashboard_seed.utc(2025, 12, 1)
        )
        dashboard_seed.downloads(asset, creator, dashboard_seed.wita(2026, 1, 3 + n, 9), times=2)
        dashboard_seed.decision(asset, creator, "asset.approve", dashboard_seed.utc(2025, 12, 2 + n))
    db.session.commit()


def test_the_query_count_does_not_grow_with_the_data(client, seeded):
    def count() -> int:
        db.session.expire_all()
        return len(statements_of(lambda: client.get("/office/dashboard", query_string=RANGE)))

    before = count()
    _more_of_everything(1)
    _more_of_everything(2)
    assert count() == before
    assert before <= 20  # a handful of grouped queries, plus the page's session and menu


# A period inside one calendar month has a single month bucket (``Period.month_index`` is then
# a constant): every query must still name its FROM and joins itself. December 2025 is the
# seeded December column; 1 December 2025 (WITA) holds one row of each kind.
DECEMBER = {"from": "2025-12-01", "to": "2025-12-31"}
FIRST_OF_DECEMBER = {"from": "2025-12-01", "to": "2025-12-01"}


def _december(ids: dict) -> tuple[dict, dict]:
    cells = {
        chart: {key: text for key, text in table.items() if key[0] == "2025-12"}
        for chart, table in expected(ids).items()
        if chart not in ("top-assets", "top-communities")
    }
    # One download each, a tie: by the asset's id (Tenun Sukarara was made first).
    cells["top-assets"] = {
        ("1", "name"): "Tenun Sukarara",
        ("1", "community"): "Lombok Phonegraphy",
        ("1", "downloads"): "1",
        ("2", "name"): "Kopi Sembalun",
        ("2", "community"): "Lombok Phonegraphy",
        ("2", "downloads"): "1",
    }
    cells["top-communities"] = {("1", "name"): "Lombok Phonegraphy", ("1", "downloads"): "2"}
    facts = {
        "visits": "2",
        "students": "15",
        "no-shows": "1",
        "no-show-rate": "50,0%",
        "downloads": "2",
        "waiting": "2",
        "review-median": "14,0",
        "review-mean": "14,0",
    }
    return cells, facts


def _first_of_december(ids: dict) -> tuple[dict, dict]:
    """The confirmed visit at 00:30 WITA, the download at midnight WITA by an account without a
    sector, and the rejection 4 hours after its submission (12:00 WITA)."""
    day = "2025-12"
    cells = {
        "visits-venue": {(day, str(ids["mandalika"])): "1", (day, "total"): "1"},
        "visits-regency": {(day, str(ids["lombok_timur"])): "1", (day, "total"): "1"},
        "visits-level": {(day, "SMA"): "1", (day, "total"): "1"},
        "students": {(day, "students"): "0"},
        "no-shows": {(day, "no_shows"): "0", (day, "known"): "0", (day, "rate"): "–"},
        "downloads-sector": {(day, ""): "1", (day, "total"): "1"},
        "downloads-community": {(day, str(ids["phonegraphy"])): "1", (day, "total"): "1"},
        "top-assets": {
            ("1", "name"): "Tenun Sukarara",
            ("1", "community"): "Lombok Phonegraphy",
            ("1", "downloads"): "1",
        },
        "top-communities": {("1", "name"): "Lombok Phonegraphy", ("1", "downloads"): "1"},
        "review-time": {(day, "decisions"): "1", (day, "median"): "4,0", (day, "mean"): "4,0"},
    }
    facts = {
        "visits": "1",
        "students": "0",
        "no-shows": "0",
        "no-show-rate": "–",
        "downloads": "1",
        "waiting": "2",
        "review-median": "4,0",
        "review-mean": "4,0",
    }
    return cells, facts


@pytest.mark.parametrize("query, worked_out", [(DECEMBER, _december), (FIRST_OF_DECEMBER, _first_of_december)])
def test_a_period_within_one_month_shows_every_number(client, seeded, query, worked_out):
    cells, facts = worked_out(seeded)
    page = client.get("/office/dashboard", query_string=query)
    assert page.status_code == 200
    found = parse(page.get_data(as_text=True))
    assert found.facts == facts
    assert set(found.cells) == set(CHARTS)
    for chart in CHARTS:
        assert nonzero(found.cells[chart]) == nonzero(cells[chart]), chart
        if chart not in ("top-assets", "top-communities"):
            assert {row for row, _column in found.cells[chart]} == {"2025-12"}, chart


@pytest.mark.parametrize("query, worked_out", [(DECEMBER, _december), (FIRST_OF_DECEMBER, _first_of_december)])
@pytest.mark.parametrize("chart", CHARTS)
def test_each_csv_of_a_period_within_one_month(client, seeded, query, worked_out, chart):
    cells = worked_out(seeded)[0][chart]
    answer = client.get(f"/office/dashboard/{chart}.csv", query_string=query)
    assert answer.status_code == 200
    header, *rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True)[1:])))
    # The CSV's columns in the page's order (the page's cells are keyed by column).
    page = parse(client.get("/office/dashboard", query_string=query).get_data(as_text=True)).cells[chart]
    columns = list(dict.fromkeys(column for _row, column in page))
    assert len(header) == len(columns) + 1
    assert [row[0] for row in rows] == list(dict.fromkeys(row for row, _column in cells))
    for row in rows:
        for column, value in zip(columns, row[1:], strict=True):
            assert value.removeprefix("'") == _as_csv(cells.get((row[0], column), "0")), (chart, row[0], column)
