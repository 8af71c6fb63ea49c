"""The dashboard's charts: each one a table of numbers (what the page lists under the chart and
the CSV exports, so the two never differ) and the plot drawn from it.

Charts are grouped by the figures they need (``AREAS``): the page reads all three areas, a
CSV export only its chart's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..i18n import format_count
from . import charts, figures
from .months import Period

COUNT, PERCENT, HOURS, TEXT = "count", "percent", "hours", "text"


@dataclass
class Column:
    key: str
    label: str
    kind: str = COUNT


@dataclass
class Row:
    key: str  # the CSV's first cell: a month as YYYY-MM, a rank
    label: str  # the page's first cell: "Januari 2026", a name
    cells: list  # a number (None: no value) per column


@dataclass
class Chart:
    slug: str
    title: str
    note: str  # what is counted
    first_column: str
    columns: list[Column]
    rows: list[Row]
    plot: charts.Plot
    legend: list[tuple[str, str]] = field(default_factory=list)  # css class, name
    legend_title: str = ""

    @property
    def empty(self) -> bool:
        """Nothing to draw: no row, or no number above zero in any."""
        return not any(
            cell
            for row in self.rows
            for column, cell in zip(self.columns, row.cells, strict=True)
            if column.kind != TEXT
        )

    @property
    def summary(self) -> str:
        """The picture in one sentence: the SVG's accessible name."""
        return _("%(title)s. The numbers are in the table below the chart.", title=self.title)


@dataclass
class Fact:
    """One key figure above the charts (``key`` names it for tests and styles)."""

    key: str
    label: str
    value: object
    kind: str = COUNT


@dataclass
class Area:
    charts: list[Chart]
    facts: list[Fact]


def cell_text(value, kind: str) -> str:
    """A number as the page shows it, in the reader's language (12.345; 12,5%; 5,5)."""
    if value is None:
        return "–"
    if kind == TEXT:
        return str(value)
    if kind == PERCENT:
        return format_percent(value, "#,##0.0%")
    if kind == HOURS:
        return format_decimal(value, "#,##0.0")
    return format_count(int(value))


def csv_value(value, kind: str):
    """A number as the CSV writes it: plain digits, a point before decimals, no thousands
    separator, whatever the language (a spreadsheet reads it as a number)."""
    if value is None:
        return ""
    if kind == TEXT:
        return value
    if kind == PERCENT:
        return f"{value * 100:.1f}"
    if kind == HOURS:
        return f"{value:.1f}"
    return int(value)


def _month_rows(months: list[date], columns: list[list]) -> list[Row]:
    return [
        Row(month.strftime("%Y-%m"), format_date(month, "LLLL y"), [column[i] for column in columns])
        for i, month in enumerate(months)
    ]


def _axis_labels(months: list[date]) -> list[str]:
    return [format_date(month, "MMM yy") for month in months]


def _by_series(slug: str, title, note, months: list[date], table: figures.MonthTable, series_label) -> Chart:
    """A stacked bar chart of a MonthTable, its table a column per series and a total."""
    keys = table.keys
    columns = [Column(str(key), str(table.names[key])) for key in keys] + [Column("total", _("Total"))]
    values = [table.values[key] for key in keys] + [table.month_totals]
    drawn = charts.colour_series(keys, table.names, table.values, _("Others"))
    return Chart(
        slug=slug,
        title=str(title),
        note=str(note),
        first_column=_("Month"),
        columns=columns,
        rows=_month_rows(months, values),
        plot=charts.stacked_bars(_axis_labels(months), drawn, format_count),
        legend=[(css, name) for css, name, _values in drawn],
        legend_title=str(series_label),
    )


def _visits(period: Period) -> Area:
    months, visits = period.months, figures.visits(period)
    note = _l("Confirmed, checked-in and completed visits, by the month of their session.")
    students = Chart(
        slug="students",
        title=_("Students reached per month"),
        note=_("Students checked in at the gate, of checked-in and completed visits."),
        first_column=_("Month"),
        columns=[Column("students", _("Students reached"))],
        rows=_month_rows(months, [visits.students]),
        plot=charts.stacked_bars(_axis_labels(months), [("s0", _("Students reached"), visits.students)], format_count),
    )
    rates = [n / known if known else None for n, known in zip(visits.no_shows, visits.outcomes, strict=True)]
    no_shows = Chart(
        slug="no-shows",
        title=_("No-shows per month"),
        note=_(
            "Share of the visits with a known outcome (checked in, completed or did not come) whose group did not come."
        ),
        first_column=_("Month"),
        columns=[
            Column("no_shows", _("Did not come")),
            Column("known", _("Visits with a known outcome")),
            Column("rate", _("No-show rate"), PERCENT),
        ],
        rows=_month_rows(months, [visits.no_shows, visits.outcomes, rates]),
        plot=charts.line(_axis_labels(months), rates, lambda v: cell_text(v, PERCENT), percent=True),
    )
    charts_ = [
        _by_series("visits-venue", _l("Visits per month by venue"), note, months, visits.by_venue, _l("Venue")),
        _by_series(
            "visits-regency",
            _l("Visits per month by regency of the school"),
            note,
            months,
            visits.by_regency,
            _l("Regency"),
        ),
        _by_series("visits-level", _l("Visits per month by school level"), note, months, visits.by_level, _l("Level")),
        students,
        no_shows,
    ]
    facts = [
        Fact("visits", _("Visits"), visits.by_venue.grand_total),
        Fact("students", _("Students reached"), sum(visits.students)),
        Fact("no-shows", _("Did not come"), sum(visits.no_shows)),
        Fact("no-show-rate", _("No-show rate"), visits.no_show_rate, PERCENT),
    ]
    return Area(charts_, facts)


def _ranking(slug: str, title: str, note: str, name_label: str, ranked: list[tuple[str, int]], extra=None) -> Chart:
    columns = [Column("name", name_label, TEXT)]
    if extra:
        columns.append(Column(extra[0], extra[1], TEXT))
    columns.append(Column("downloads", _("Downloads")))
    rows = []
    for rank, entry in enumerate(ranked, start=1):
        rows.append(Row(str(rank), str(rank), list(entry)))
    return Chart(
        slug=slug,
        title=title,
        note=note,
        first_column=_("Rank"),
        columns=columns,
        rows=rows,
        plot=charts.ranking([(str(entry[0]), entry[-1]) for entry in ranked], format_count),
    )


def _downloads(period: Period) -> Area:
    months, downloads = period.months, figures.downloads(period)
    note = _l("Downloads of media in the period, by the month they were made.")
    charts_ = [
        _by_series(
            "downloads-sector",
            _l("Downloads per month by sector of the business"),
            note,
            months,
            downloads.by_sector,
            _l("Sector"),
        ),
        _by_series(
            "downloads-community",
            _l("Downloads per month by community"),
            _l("Downloads in the period by the community the media belongs to (its creator's by default)."),
            months,
            downloads.by_community,
            _l("Community"),
        ),
        _ranking(
            "top-assets",
            _("Most downloaded media"),
            _("The %(n)d media downloaded most in the period.", n=figures.TOP),
            _("Title"),
            [(title, community, n) for _id, title, community, n in downloads.top_assets],
            extra=("community", _("Community")),
        ),
        _ranking(
            "top-communities",
            _("Communities whose media were downloaded most"),
            _("Downloads in the period of each community's media; the %(n)d highest.", n=figures.TOP),
            _("Community"),
            downloads.top_communities,
        ),
    ]
    return Area(charts_, [Fact("downloads", _("Downloads"), downloads.by_sector.grand_total)])


def _reviews(period: Period) -> Area:
    months, reviews = period.months, figures.reviews(period)
    medians = [reviews.median(hours) for hours in reviews.hours]
    chart = Chart(
        slug="review-time",
        title=_("Time to review per month"),
        note=_(
            "Hours from an upload's submission to the decision to publish or reject it, by the month "
            "of the decision (median and average). Changes to published media are not counted."
        ),
        first_column=_("Month"),
        columns=[
            Column("decisions", _("Decisions")),
            Column("median", _("Median (hours)"), HOURS),
            Column("mean", _("Average (hours)"), HOURS),
        ],
        rows=_month_rows(months, [[len(h) for h in reviews.hours], medians, [reviews.mean(h) for h in reviews.hours]]),
        plot=charts.line(_axis_labels(months), medians, lambda v: cell_text(v, HOURS), axis_fmt=format_count),
    )
    every = reviews.all_hours
    facts = [
        Fact("waiting", _("Waiting for review now"), reviews.waiting),
        Fact("review-median", _("Median time to review (hours)"), reviews.median(every), HOURS),
        Fact("review-mean", _("Average time to review (hours)"), reviews.mean(every), HOURS),
    ]
    return Area([chart], facts)


AREAS: dict[str, Callable[[Period], Area]] = {"visits": _visits, "downloads": _downloads, "reviews": _reviews}
# The area of each chart, for exporting one chart without reading the others' figures.
CHART_AREAS = {
    "visits-venue": "visits",
    "visits-regency": "visits",
    "visits-level": "visits",
    "students": "visits",
    "no-shows": "visits",
    "downloads-sector": "downloads",
    "downloads-community": "downloads",
    "top-assets": "downloads",
    "top-communities": "downloads",
    "review-time": "reviews",
}


def all_areas(period: Period) -> dict[str, Area]:
    return {name: build(period) for name, build in AREAS.items()}


def one_chart(period: Period, slug: str) -> Chart | None:
    area = CHART_AREAS.get(slug)
    if area is None:
        return None
    return next(chart for chart in AREAS[area](period).charts if chart.slug == slug)


def csv_rows(chart: Chart):
    """The chart's table as CSV rows: the header, then a row per month (or rank)."""
    yield [chart.first_column, *(column.label for column in chart.columns)]
    for row in chart.rows:
        yield [row.key, *(csv_value(cell, column.kind) for column, cell in zip(chart.columns, row.cells, strict=True))]
