"""Calls for content (issue 11, point 5): staff make, edit, open and close calls (no one else),
hostile input is refused, a draft is staff's alone, the list puts open calls first, a call's page
shows only its published contributions with one query for the cards, the fields a call requires
keep an upload a draft until they are filled, and the export makes a kit of exactly the
published contributions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from koin_media.assets import models as models_module
from koin_media.assets import services
from koin_media.assets.calls import save_call
from koin_media.assets.models import (
    APPROVED,
    CALL_CLOSED,
    CALL_DRAFT,
    CALL_OPEN,
    DRAFT,
    PENDING_REVIEW,
    STATUSES,
    Asset,
    Call,
)
from koin_media.assets.pipeline import finish_processing
from koin_media.audit import AuditEvent
from koin_media.extensions import db
from koin_media.promo.models import Kit
from koin_media.reference.models import Regency
from koin_media.venues.models import Venue

from .asset_helpers import approved_asset
from .conftest import csrf_token
from .query_count import statements_of

# 2027-02-14 12:00 WITA: the clock of every test here (models_module.utcnow is fixed).
NOW = datetime(2027, 2, 14, 4, 0, tzinfo=UTC)
DEADLINE = date(2027, 2, 14)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(models_module, "utcnow", lambda: NOW)


@pytest.fixture
def staff(app, factory):
    return factory.user("staff", name="Staf Disperin")


@pytest.fixture
def venue(app):
    regency = db.session.scalar(select(Regency).where(Regency.slug == "lombok-tengah"))
    place = Venue(slug="pantai-seger", name="Pantai Seger", regency=regency)
    db.session.add(place)
    db.session.commit()
    return place


def make_call(staff, title="Bau Nyale 2027", status=CALL_OPEN, deadline=DEADLINE, **values) -> Call:
    fields = {"title": title, "brief": "", "deadline": deadline, "tags": "baunyale2027", "license": "NTB-PROMO"}
    call = save_call(None, {**fields, **values}, staff)
    call.status = status  # any status, whatever the date (the rules of opening are tested below)
    db.session.commit()
    return call


def form_data(client, **values) -> dict:
    data = {
        "title": "Bau Nyale 2027",
        "brief": "Foto dan video tradisi Bau Nyale di Pantai Seger.\nFajar, 20 Februari.",
        "deadline": "2027-02-20",
        "tags": "baunyale2027, Lombok Tengah",
        "venue": "",
        "regency": "lombok-tengah",
        "license": "NTB-PROMO",
        "required_fields": ["description", "tags"],
        "csrf_token": csrf_token(client, "/calls"),
    }
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


# -- staff only ------------------------------------------------------------------------------


def test_staff_create_a_call_as_a_draft_with_a_slug_from_its_title(client, auth, staff, venue):
    auth.login(staff)
    answer = client.post("/calls/new", data=form_data(client, venue="pantai-seger"))
    assert answer.status_code == 303
    call = db.session.scalar(select(Call))
    assert answer.headers["Location"].endswith("/calls/bau-nyale-2027")
    assert (call.slug, call.status, call.license, call.venue, call.regency.slug) == (
        "bau-nyale-2027",
        CALL_DRAFT,
        "NTB-PROMO",
        venue,
        "lombok-tengah",
    )
    assert call.tag_list == ["baunyale2027", "Lombok Tengah"] and call.required == ["description", "tags"]
    # A second call of the same title gets its own slug; "new" and "manage" are paths, not slugs.
    client.post("/calls/new", data=form_data(client))
    client.post("/calls/new", data=form_data(client, title="New"))
    slugs = set(db.session.scalars(select(Call.slug)))
    assert slugs == {"bau-nyale-2027", "bau-nyale-2027-2", "new-2"}
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "calls")).all()
    assert events == ["call.create"] * 3


def test_staff_edit_open_and_close_a_call_and_each_step_is_audited(client, auth, staff):
    call = make_call(staff, status=CALL_DRAFT, deadline=date(2027, 2, 20))
    auth.login(staff)
    page = client.get(f"/calls/{call.slug}/edit")
    assert page.status_code == 200 and "Bau Nyale 2027" in page.get_data(as_text=True)
    answer = client.post(f"/calls/{call.slug}/edit", data=form_data(client, title="Bau Nyale 2027 di Seger"))
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/calls/bau-nyale-2027")  # kept
    token = csrf_token(client, "/calls")
    assert client.post(f"/calls/{call.slug}/status", data={"status": "open", "csrf_token": token}).status_code == 303
    assert call.status == CALL_OPEN
    client.post(f"/calls/{call.slug}/status", data={"status": "closed", "csrf_token": token})
    db.session.refresh(call)
    assert (call.title, call.status) == ("Bau Nyale 2027 di Seger", CALL_CLOSED)
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["call.create", "call.update", "call.open", "call.closed"]
    assert db.session.scalars(select(AuditEvent.detail)).all()[1]["changed"] == [
        "brief",
        "regency",
        "required_fields",
        "tags",
        "title",
    ]


@pytest.mark.parametrize("role", ["creator", "ikm", "school", "venue_manager"])
def test_no_one_but_staff_makes_or_changes_a_call(client, auth, factory, staff, role):
    call = make_call(staff)
    auth.login(factory.user(role))
    token = csrf_token(client, "/calls")
    assert client.get("/calls/new").status_code == 403
    assert client.get("/calls/manage").status_code == 403
    assert client.post("/calls/new", data=form_data(client)).status_code == 403
    assert client.post(f"/calls/{call.slug}/edit", data=form_data(client, title="Diganti")).status_code == 403
    assert client.post(f"/calls/{call.slug}/status", data={"status": "closed", "csrf_token": token}).status_code == 403
    assert client.post(f"/calls/{call.slug}/kit", data={"purpose": "social", "csrf_token": token}).status_code == 403
    db.session.refresh(call)
    assert (db.session.query(Call).count(), call.title, call.status) == (1, "Bau Nyale 2027", CALL_OPEN)
    # The page shows them no staff controls.
    page = client.get(f"/calls/{call.slug}").get_data(as_text=True)
    assert 'id="call-staff"' not in page and "/status" not in page


def test_a_visitor_is_sent_to_log_in(client, staff):
    call = make_call(staff)
    for path in ("/calls/new", "/calls/manage", f"/calls/{call.slug}/edit"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]


# -- hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"title": "ab"}, "title", "3 sampai 120 karakter"),
        ({"title": "x" * 121}, "title", "3 sampai 120 karakter"),
        ({"title": "   "}, "title", "Beri judul"),
        ({"title": "Bau\x00Nyale"}, "title", "karakter kontrol"),
        ({"title": "\u202eBau Nyale"}, "title", "Judul harus memiliki karakter yang terlihat"),
        ({"title": "Bau\u2028Nyale"}, "title", "Judul harus memiliki karakter yang terlihat"),
        ({"title": "\u200b\u200b\u200b"}, "title", "Judul harus memiliki karakter yang terlihat"),
        ({"brief": "Pantai\x07Seger"}, "brief", "karakter kontrol"),
        ({"license": "GPL-3.0"}, "license", "Pilih salah satu lisensi"),
        ({"license": ""}, "license", "Pilih salah satu lisensi"),
        ({"deadline": "2027-02-30"}, "deadline", ""),
        ({"deadline": "1999-12-31"}, "deadline", "antara tahun 2000 dan 2099"),
        ({"deadline": None}, "deadline", "Pilih hari terakhir"),
        ({"required_fields": ["description", "password"]}, "required_fields", ""),
        ({"venue": "venue-yang-tidak-ada"}, "venue", "Pilih salah satu"),
        ({"tags": ", ".join(f"{n:02d}" + "x" * 38 for n in range(15))}, "tags", "tidak boleh lebih dari 500 karakter"),
    ],
)
def test_hostile_input_is_refused_in_words_and_saves_nothing(client, auth, staff, values, field, words):
    auth.login(staff)
    answer = client.post("/calls/new", data=form_data(client, **values))
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert 'class="field has-error"' in page or "checkboxes has-error" in page
    assert f'id="{field}-error"' in page or (field == "required_fields" and "checkboxes has-error" in page)
    assert words in page
    assert db.session.query(Call).count() == 0


def test_markup_in_a_call_is_shown_as_text(client, auth, staff):
    auth.login(staff)
    client.post("/calls/new", data=form_data(client, title="<script>alert(1)</script>", brief="<img src=x onerror=1>"))
    call = db.session.scalar(select(Call))
    assert call.slug == "script-alert-1-script"
    page = client.get(f"/calls/{call.slug}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_an_open_call_keeps_a_deadline_that_is_not_over(client, auth, staff):
    """Opening (and editing an open call's deadline) needs a deadline not over in WITA; the
    office may still fix the brief of an open call whose deadline has passed."""
    auth.login(staff)
    token = csrf_token(client, "/calls")
    past = make_call(staff, title="Festival Pesona Khazanah", status=CALL_DRAFT, deadline=date(2027, 2, 13))
    client.post(f"/calls/{past.slug}/status", data={"status": "open", "csrf_token": token})
    db.session.refresh(past)
    assert past.status == CALL_DRAFT
    today = make_call(staff, title="Produk tenun Sukarara", status=CALL_DRAFT, deadline=DEADLINE)
    client.post(f"/calls/{today.slug}/status", data={"status": "open", "csrf_token": token})
    db.session.refresh(today)
    assert today.status == CALL_OPEN  # the deadline day itself is not over

    answer = client.post(f"/calls/{today.slug}/edit", data=form_data(client, deadline="2027-02-13"))
    assert answer.status_code == 422 and "Batas waktu sudah lewat" in answer.get_data(as_text=True)
    ended = make_call(staff, title="Lebaran Topat", status=CALL_OPEN, deadline=date(2027, 2, 1))
    answer = client.post(
        f"/calls/{ended.slug}/edit", data=form_data(client, title="Lebaran Topat", deadline="2027-02-01")
    )
    assert answer.status_code == 303


# -- who sees what ---------------------------------------------------------------------------


def test_a_draft_is_seen_by_staff_only(client, auth, factory, staff):
    draft = make_call(staff, title="Rahasia Kantor", status=CALL_DRAFT)
    make_call(staff, title="Bau Nyale 2027")
    assert client.get(f"/calls/{draft.slug}").status_code == 404
    assert "Rahasia Kantor" not in client.get("/calls").get_data(as_text=True)
    for role in ("creator", "ikm"):
        auth.login(factory.user(role))
        assert client.get(f"/calls/{draft.slug}").status_code == 404
        listing = client.get("/calls").get_data(as_text=True)
        assert "Rahasia Kantor" not in listing and "Bau Nyale 2027" in listing
        auth.logout()
    auth.login(staff)
    assert client.get(f"/calls/{draft.slug}").status_code == 200
    assert "Rahasia Kantor" in client.get("/calls").get_data(as_text=True)


def test_the_list_shows_open_calls_first_with_their_deadline(client, staff):
    make_call(staff, title="Closed Earlier", status=CALL_CLOSED, deadline=date(2027, 1, 10))
    make_call(staff, title="Ended Lately", status=CALL_OPEN, deadline=date(2027, 2, 10))
    make_call(staff, title="Open Later", deadline=date(2027, 3, 1))
    make_call(staff, title="Open Sooner", deadline=DEADLINE)
    page = client.get("/calls").get_data(as_text=True)
    order = [page.index(title) for title in ("Open Sooner", "Open Later", "Ended Lately", "Closed Earlier")]
    assert order == sorted(order)
    assert "Batas 14 Feb 2027" in page and "Batas waktu lewat" in page and "Ditutup" in page


def test_the_call_page_offers_the_upload_to_creators_while_the_call_is_open(client, auth, factory, staff):
    call = make_call(staff)
    page = client.get(f"/calls/{call.slug}").get_data(as_text=True)
    assert "Masuk sebagai kreator untuk mengunggah" in page and "Batas 14 Feb 2027" in page
    auth.login(factory.user("creator"))
    page = client.get(f"/calls/{call.slug}").get_data(as_text=True)
    assert "Unggah untuk panggilan ini" in page and f"/upload?call={call.slug}" in page
    auth.logout()
    auth.login(factory.user("ikm"))
    assert "Unggah untuk panggilan ini" not in client.get(f"/calls/{call.slug}").get_data(as_text=True)
    call.status = CALL_CLOSED
    db.session.commit()
    auth.logout()
    auth.login(factory.user("creator"))
    page = client.get(f"/calls/{call.slug}").get_data(as_text=True)
    assert "Unggah untuk panggilan ini" not in page and "tidak menerima unggahan lagi" in page


# -- contributions ---------------------------------------------------------------------------


def test_the_call_page_lists_only_published_contributions(client, factory, staff):
    call = make_call(staff)
    creator = factory.user("creator")
    published = approved_asset(creator, "Nyale di Pantai Seger", call_id=call.id)
    approved_asset(creator, "Bukan untuk panggilan")  # published, but not sent to the call
    hidden = []
    for status in STATUSES:
        if status != APPROVED:
            hidden.append(in_status(approved_asset(creator, f"Tersembunyi {status}", call_id=call.id), status))
    hidden.append(approved_asset(creator, "Masa pakai habis", call_id=call.id, usable_until=date(2020, 1, 1)))
    assert len(hidden) == len(STATUSES)  # every other status, and a published one whose use ended

    page = client.get(f"/calls/{call.slug}").get_data(as_text=True)
    assert f"/assets/{published.id}" in page and "Nyale di Pantai Seger" in page
    assert "Bukan untuk panggilan" not in page
    for asset in hidden:
        assert asset.title not in page and f'/assets/{asset.id}"' not in page
    assert "Kontribusi yang disetujui" in page and "(1)" in page


def test_the_cards_of_a_call_page_take_one_query(client, factory, staff):
    call = make_call(staff)
    creator = factory.user("creator")
    for n in range(3):
        approved_asset(creator, f"Nyale {n}", call_id=call.id)
    few = [s for s in statements_of(lambda: client.get(f"/calls/{call.slug}")) if "FROM assets" in s]
    for n in range(3, 12):
        approved_asset(creator, f"Nyale {n}", call_id=call.id)
    many = [s for s in statements_of(lambda: client.get(f"/calls/{call.slug}")) if "FROM assets" in s]
    assert len(few) == len(many) == 2  # the count and the cards, however many cards


def test_the_list_of_calls_takes_as_many_queries_for_8_calls_as_for_2(client, staff):
    regencies = db.session.scalars(select(Regency).order_by(Regency.id)).all()
    assert len(regencies) >= 8

    def add_calls(numbers):
        for n in numbers:  # each with its own venue and regency, so that nothing is cached
            place = Venue(slug=f"tempat-{n}", name=f"Tempat {n}", regency=regencies[n])
            db.session.add(place)
            make_call(staff, f"Panggilan {n}", venue=place, regency=regencies[n])
        db.session.expire_all()

    def count(path):
        statements = statements_of(lambda: client.get(path))
        return len(statements)

    add_calls(range(2))
    few = (count("/calls"), count("/api/v1/calls"))
    add_calls(range(2, 8))
    page = client.get("/calls").get_data(as_text=True)
    assert "Tempat 7" in page and "Tempat 0" in page
    assert (count("/calls"), count("/api/v1/calls")) == few


def test_contributions_are_paged(client, factory, staff, monkeypatch):
    from koin_media.promo import call_routes

    monkeypatch.setattr(call_routes, "CARDS_PER_PAGE", 2)
    call = make_call(staff)
    creator = factory.user("creator")
    for n, day in enumerate((1, 2, 3)):
        approved_asset(creator, f"Nyale hari {n}", call_id=call.id, approved_at=datetime(2027, 2, day, tzinfo=UTC))
    first = client.get(f"/calls/{call.slug}").get_data(as_text=True)
    second = client.get(f"/calls/{call.slug}?page=2").get_data(as_text=True)
    assert "Nyale hari 2" in first and "Nyale hari 1" in first and "Nyale hari 0" not in first
    assert "Nyale hari 0" in second and "Halaman 2 dari 2" in second


# -- what an upload into a call must have ----------------------------------------------------


def in_status(asset: Asset, status: str) -> Asset:
    asset.status = status
    db.session.commit()
    return asset


def call_asset(creator, call, status=DRAFT, **fields) -> Asset:
    asset = Asset(owner=creator, original_filename="nyale.jpg", status=status, kind="image", call=call, **fields)
    asset.storage_key = f"assets/{asset.uuid}/original"
    db.session.add(asset)
    db.session.commit()
    return asset


def test_the_fields_a_call_requires_keep_an_upload_a_draft(client, auth, factory, staff, venue):
    call = make_call(staff, required_fields=["description", "tags", "venue", "credit"], tags="")
    creator = factory.user("creator")
    complete = {"title": "Nyale di Seger", "license": "NTB-PROMO", "consent": True}
    asset = call_asset(creator, call, **complete)
    assert asset.missing_details == ["description", "tags", "venue", "credit"]
    finish_processing(asset)
    assert asset.status == DRAFT  # what review needs is there; what the call asks for is not

    auth.login(creator)
    page = client.get(f"/assets/{asset.id}/edit").get_data(as_text=True)
    assert (
        "Perlu rincian sebelum aset ini dikirim ke peninjauan: Deskripsi, Tag, Venue yang tampil, Baris kredit." in page
    )
    assert "Bau Nyale 2027" in page
    mine = client.get("/my/assets").get_data(as_text=True)
    assert "Perlu rincian: Deskripsi, Tag, Venue yang tampil, Baris kredit" in mine

    assert services.update_details(asset, {"description": "Warga menangkap nyale", "tags": "nyale"}, creator) == (
        services.DETAILS_NEEDED
    )
    assert (asset.status, asset.missing_details) == (DRAFT, ["venue", "credit"])
    outcome = services.update_details(asset, {"venue": venue, "credit": "Foto: Baiq / Lombok Phonegraphy"}, creator)
    assert (outcome, asset.status) == (services.SENT_FOR_REVIEW, PENDING_REVIEW)


def test_without_a_call_review_needs_only_title_licence_and_consent(app, factory):
    asset = call_asset(factory.user("creator"), None, title="Pantai Pink", license="CC-BY-4.0", consent=True)
    assert asset.details_complete and asset.missing_details == []
    finish_processing(asset)
    assert asset.status == PENDING_REVIEW


# -- the export --------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["local"])
def test_the_export_makes_a_kit_of_exactly_the_published_contributions(storage_app, factory, backend):
    from .kit_helpers import stored_asset

    client = storage_app.test_client()
    staff = factory.user("staff")
    call = make_call(staff)
    creator = factory.user("creator", name="Baiq Nurul")
    ours = [stored_asset(creator, f"Nyale {n}", 2048, call_id=call.id)[0] for n in range(3)]
    stored_asset(creator, "Di luar panggilan", 2048)
    for status in (DRAFT, PENDING_REVIEW, "rejected", "archived"):
        in_status(stored_asset(creator, f"Belum terbit {status}", 2048, call_id=call.id)[0], status)

    from .conftest import Auth

    Auth(client).login(staff)
    token = csrf_token(client, "/calls")
    answer = client.post(
        f"/calls/{call.slug}/kit", data={"purpose": "social", "accept_license": "y", "csrf_token": token}
    )
    assert answer.status_code == 303
    kit = db.session.scalar(select(Kit))
    assert answer.headers["Location"].endswith(f"/kits/{kit.token}")
    assert sorted(entry["asset_id"] for entry in kit.entries) == sorted(asset.id for asset in ours)
    assert (kit.title, kit.status, kit.file_count, kit.user_id) == ("Bau Nyale 2027", "ready", 3, staff.id)
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "call.export"

    # Without a purpose, or with nothing published, no kit and the reason in words.
    answer = client.post(
        f"/calls/{call.slug}/kit", data={"accept_license": "y", "csrf_token": token}, follow_redirects=True
    )
    assert "Pilih untuk apa berkas-berkas ini dipakai." in answer.get_data(as_text=True)
    # Staff accept the licence too: without it, no kit.
    answer = client.post(
        f"/calls/{call.slug}/kit", data={"purpose": "social", "csrf_token": token}, follow_redirects=True
    )
    assert "Setujui lisensinya untuk mengunduh." in answer.get_data(as_text=True)
    assert 'name="accept_license" value="y" required' in client.get(f"/calls/{call.slug}").get_data(as_text=True)
    empty = make_call(staff, title="Belum ada kiriman")
    answer = client.post(
        f"/calls/{empty.slug}/kit", data={"purpose": "print", "accept_license": "y", "csrf_token": token}
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/calls/{empty.slug}#call-export")
    assert "tidak ada kit yang bisa dibuat" in client.get(f"/calls/{empty.slug}").get_data(as_text=True)
    assert db.session.query(Kit).count() == 1


def test_the_staff_queues_link_to_the_calls(client, auth, staff):
    auth.login(staff)
    page = client.get("/staff").get_data(as_text=True)
    assert 'id="call-queue"' in page and "/calls/manage" in page
    manage = client.get("/calls/manage")
    assert manage.status_code == 200


def test_the_navigation_links_to_the_calls(client):
    assert 'href="/calls"' in client.get("/").get_data(as_text=True)


def test_deadline_helpers_use_wita(staff):
    call = make_call(staff)
    assert call.closes_at == datetime(2027, 2, 14, 16, 0, tzinfo=UTC)  # midnight WITA after the 14th
    assert call.takes_uploads(NOW) and call.takes_uploads(call.closes_at - timedelta(seconds=1))
    assert not call.takes_uploads(call.closes_at)
