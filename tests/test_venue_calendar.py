"""Availability: the month calendar of a venue's free sessions and GET /api/v1/slots."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from koin_media.database import utcnow
from koin_media.extensions import db

from .booking_helpers import make_program, make_venue
from .query_count import statements_of

DAY = re.compile(r'data-date="([0-9-]+)"(.*?)</li>\s*(?=<li class="day|</ol>)', re.S)
SLOT = re.compile(r'data-slot="([0-9]+)"')
NEXT_YEAR = utcnow().year + 1


def slot_at(program, starts_at: datetime, capacity=100, held=0, hours=2, **fields):
    from koin_media.booking.models import Slot

    slot = Slot(
        program=program,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        capacity=capacity,
        held=held,
        **fields,
    )
    db.session.add(slot)
    db.session.commit()
    return slot


def calendar_days(html: str) -> dict[str, list[int]]:
    """{date in WITA: [slot ids listed that day]} as the page shows it."""
    return {day: [int(i) for i in SLOT.findall(body)] for day, body in DAY.findall(html)}


@pytest.fixture
def venue(app):
    return make_venue()


@pytest.fixture
def program(venue):
    return make_program(venue, min_students=10, max_students=60)


def test_sessions_are_listed_on_their_day_in_wita(client, program):
    late = slot_at(program, datetime(NEXT_YEAR, 3, 1, 23, 30, tzinfo=UTC))  # 2 March, 07:30 WITA
    month_end = slot_at(program, datetime(NEXT_YEAR, 3, 31, 20, 0, tzinfo=UTC))  # 1 April, 04:00 WITA
    first = slot_at(program, datetime(NEXT_YEAR, 2, 28, 16, 0, tzinfo=UTC), held=58)  # 1 March, 00:00 WITA
    page = client.get(f"/venues/sirkuit-mandalika/calendar?month={NEXT_YEAR}-03")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    days = calendar_days(html)
    assert days[f"{NEXT_YEAR}-03-02"] == [late.id]
    assert days[f"{NEXT_YEAR}-03-01"] == [first.id]
    assert month_end.id not in sum(days.values(), [])
    assert calendar_days(client.get(f"/venues/sirkuit-mandalika/calendar?month={NEXT_YEAR}-04").get_data(as_text=True))[
        f"{NEXT_YEAR}-04-01"
    ] == [month_end.id]
    # Weeks run Monday to Sunday: the grid starts on the Monday on or before the 1st.
    first_shown = datetime.fromisoformat(next(iter(days))).date()
    assert first_shown.weekday() == 0 and first_shown <= datetime(NEXT_YEAR, 3, 1).date()
    assert len(days) % 7 == 0
    assert "07.30" in html  # the start time in WITA (Indonesian time format)
    assert "42 tempat tersisa" in html or "42 places left" in html
    assert f'href="/slots/{late.id}/book"' in html  # each session links to the booking form


def test_only_open_future_sessions_of_active_programs_at_this_venue(client, venue, program):
    now = utcnow()
    shown = slot_at(program, now + timedelta(days=2))
    closed = slot_at(program, now + timedelta(days=2, hours=3), is_open=False)
    started = slot_at(program, now - timedelta(minutes=30))
    retired = slot_at(make_program(venue, title="Program Lama", active=False), now + timedelta(days=2))
    elsewhere = slot_at(make_program(make_venue(slug="meninting-bike-park", name="Meninting")), now + timedelta(days=2))
    listed = set()
    for month in {now.strftime("%Y-%m"), (now + timedelta(days=2)).strftime("%Y-%m")}:
        html = client.get(f"/venues/sirkuit-mandalika/calendar?month={month}").get_data(as_text=True)
        listed |= set(sum(calendar_days(html).values(), []))
    assert shown.id in listed
    assert not listed & {closed.id, started.id, retired.id, elsewhere.id}


def test_group_and_program_filters(client, venue, program):
    roomy = slot_at(program, datetime(NEXT_YEAR, 5, 4, 0, 0, tzinfo=UTC), capacity=100, held=50)
    tight = slot_at(program, datetime(NEXT_YEAR, 5, 5, 0, 0, tzinfo=UTC), capacity=100, held=80)
    other_program = make_program(venue, title="Tur Paddock")
    other = slot_at(other_program, datetime(NEXT_YEAR, 5, 6, 0, 0, tzinfo=UTC))

    def listed(**args):
        query = "&".join(f"{k}={v}" for k, v in {"month": f"{NEXT_YEAR}-05", **args}.items())
        response = client.get(f"/venues/sirkuit-mandalika/calendar?{query}")
        assert response.status_code == 200
        return set(sum(calendar_days(response.get_data(as_text=True)).values(), []))

    assert listed() == {roomy.id, tight.id, other.id}
    assert listed(group=32) == {roomy.id, other.id}  # 30 students and 2 teachers do not fit in 20 places
    assert listed(group=20) == {roomy.id, tight.id, other.id}
    assert listed(program=program.id) == {roomy.id, tight.id}
    assert listed(program=program.id, group=50) == {roomy.id}
    html = client.get(f"/venues/sirkuit-mandalika/calendar?month={NEXT_YEAR}-05&program={program.id}&group=32")
    html = html.get_data(as_text=True)
    # The month links keep the filters.
    assert f"month={NEXT_YEAR}-06" in html and f"program={program.id}" in html and "group=32" in html


def test_month_navigation(client, program):
    today = utcnow() + timedelta(hours=8)
    this_month = client.get("/venues/sirkuit-mandalika/calendar").get_data(as_text=True)
    assert 'rel="prev"' not in this_month and 'rel="next"' in this_month  # no free sessions in the past
    later = client.get(f"/venues/sirkuit-mandalika/calendar?month={NEXT_YEAR}-01").get_data(as_text=True)
    assert f"month={NEXT_YEAR - 1}-12" in later and f"month={NEXT_YEAR}-02" in later
    assert f'data-date="{today:%Y-%m-%d}"' in this_month


@pytest.mark.parametrize(
    "query",
    [
        "month=2026-13",
        "month=Desember",
        "month=2026",
        "group=abc",
        "group=0",
        "group=-3",
        "program=999999",
        "program=x",
    ],
)
def test_calendar_refuses_bad_parameters(client, program, query):
    response = client.get(f"/venues/sirkuit-mandalika/calendar?{query}")
    assert response.status_code == 400


def test_calendar_costs_the_same_queries_however_many_sessions(app, client, venue, program):
    second = make_program(venue, title="Tur Paddock")

    def queries():
        page, path = [], f"/venues/sirkuit-mandalika/calendar?month={NEXT_YEAR}-07"
        sent = statements_of(lambda: page.append(client.get(path)))
        assert page[0].status_code == 200
        return len(sent)

    slot_at(program, datetime(NEXT_YEAR, 7, 1, 0, 0, tzinfo=UTC))
    few = queries()
    for day in range(2, 29):
        slot_at(program if day % 2 else second, datetime(NEXT_YEAR, 7, day, 0, 0, tzinfo=UTC))
    assert queries() == few <= 4


# -- GET /api/v1/slots ------------------------------------------------------------------------


def test_slots_json(client, venue, program):
    late = slot_at(program, datetime(NEXT_YEAR, 3, 1, 23, 30, tzinfo=UTC), capacity=120, held=20)  # 2 March WITA
    early = slot_at(program, datetime(NEXT_YEAR, 3, 1, 0, 0, tzinfo=UTC), capacity=150)  # 1 March WITA
    slot_at(program, datetime(NEXT_YEAR, 3, 3, 0, 0, tzinfo=UTC), is_open=False)
    bike = make_program(make_venue(slug="meninting-bike-park", name="Meninting Bike Park"))
    elsewhere = slot_at(bike, datetime(NEXT_YEAR, 3, 2, 0, 0, tzinfo=UTC))

    body = client.get("/api/v1/slots").get_json()
    assert set(body) == {"items", "page", "per_page", "total"}
    assert [item["id"] for item in body["items"]] == [early.id, late.id, elsewhere.id]
    item = body["items"][1]
    assert item == {
        "id": late.id,
        "program_id": program.id,
        "venue_id": venue.id,
        "venue_slug": venue.slug,  # what ?venue= takes
        "starts_at": f"{NEXT_YEAR}-03-01T23:30:00Z",
        "ends_at": f"{NEXT_YEAR}-03-02T01:30:00Z",
        "capacity": 120,
        "remaining": 100,
    }

    def ids(query):
        response = client.get(f"/api/v1/slots?{query}")
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert ids("venue=sirkuit-mandalika") == [early.id, late.id]
    assert ids("venue=meninting-bike-park") == [elsewhere.id]
    assert ids(f"program={program.id}") == [early.id, late.id]
    assert ids(f"from={NEXT_YEAR}-03-02") == [late.id, elsewhere.id]  # days in WITA
    assert ids(f"to={NEXT_YEAR}-03-01") == [early.id]
    assert ids(f"from={NEXT_YEAR}-03-02&to={NEXT_YEAR}-03-02&venue=sirkuit-mandalika") == [late.id]
    assert ids("group=101") == [early.id]
    assert ids("group=100&venue=sirkuit-mandalika") == [early.id, late.id]
    assert ids("per_page=1&page=2") == [late.id]


def test_slots_json_hides_started_sessions(client, program):
    slot_at(program, utcnow() - timedelta(minutes=5))
    assert client.get("/api/v1/slots").get_json()["total"] == 0


@pytest.mark.parametrize(
    "query",
    [
        "venue=tidak-ada",
        "program=abc",
        "program=0",
        "program=999999",
        "from=2026-13-01",
        "from=20261201",
        "to=besok",
        "from=2027-02-01&to=2027-01-01",
        "group=-1",
        "group=abc",
        "page=x",
    ],
)
def test_slots_json_refuses_bad_parameters(client, program, query):
    response = client.get(f"/api/v1/slots?{query}", headers={"Accept-Language": "en"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "bad_request" and body["message"]


def test_slots_json_refuses_a_program_of_another_venue(client, program):
    make_venue(slug="meninting-bike-park", name="Meninting Bike Park")
    response = client.get(f"/api/v1/slots?venue=meninting-bike-park&program={program.id}")
    assert response.status_code == 400


def test_without_a_month_the_calendar_opens_on_the_first_month_with_free_sessions(client):
    program = make_program()
    later = slot_at(program, datetime(NEXT_YEAR, 3, 10, 0, 0, tzinfo=UTC))  # 08:00 WITA
    html = client.get(f"/venues/{program.venue.slug}/calendar").get_data(as_text=True)
    assert calendar_days(html)[f"{NEXT_YEAR}-03-10"] == [later.id]
