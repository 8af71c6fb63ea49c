"""Anonymous catalogue pages are computed once and shared (koin_media/pagecache.py): what must
hold for that to be safe — a change shows at once, nobody's own page is shared, one host's or
language's page is never served for another — and what it must give (304s, gzip, no cookie)."""

from __future__ import annotations

import gzip

import pytest
from sqlalchemy import event, text

from koin_media import pagecache
from koin_media.assets import services
from koin_media.extensions import db

from .asset_helpers import approved_asset


@pytest.fixture
def creator(factory):
    return factory.user("creator", name="Baiq Nurul")


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc):
        event.remove(db.engine, "before_cursor_execute", self._count)

    def _count(self, *_args):
        self.count += 1


PAGES = ("/assets", "/api/v1/assets", "/assets?q=kopi", "/api/v1/assets?kind=image")


@pytest.mark.parametrize("path", PAGES)
def test_an_anonymous_page_is_computed_once_then_served_from_memory(client, creator, path):
    approved_asset(creator, "Kopi Sembalun")
    first = client.get(path)
    assert first.status_code == 200 and "Set-Cookie" not in first.headers
    assert first.headers["Cache-Control"] == "no-cache" and first.headers["ETag"]
    assert "Cookie" in first.headers["Vary"]
    with QueryCounter() as queries:
        again = client.get(path)
    assert again.get_data() == first.get_data()
    # At most the generation check (once a second), never the page's own queries.
    assert queries.count <= 1


def test_a_repeat_visit_with_the_etag_is_a_304_without_a_body(client, creator):
    approved_asset(creator, "Kopi Sembalun")
    first = client.get("/assets")
    repeat = client.get("/assets", headers={"If-None-Match": first.headers["ETag"]})
    assert repeat.status_code == 304 and repeat.get_data() == b""


def test_clients_that_accept_gzip_get_the_page_compressed(client, creator):
    approved_asset(creator, "Kopi Sembalun")
    plain = client.get("/assets")
    packed = client.get("/assets", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert packed.headers["ETag"] != plain.headers["ETag"]  # each encoding its own validator
    assert "Accept-Encoding" in packed.headers["Vary"]


def test_anonymous_pages_carry_no_csrf_token_and_set_no_cookie(client, creator):
    asset = approved_asset(creator, "Kopi Sembalun")
    for path in ("/assets", f"/assets/{asset.id}"):
        page = client.get(path)
        assert 'name="csrf-token"' not in page.get_data(as_text=True)
        assert "Set-Cookie" not in page.headers
    # The language switch still works for them (a forged switch changes nobody's account).
    switched = client.post("/language", data={"locale": "en", "next": "/assets"})
    assert switched.status_code == 302
    assert "Media catalog" in client.get("/assets").get_data(as_text=True)


def test_approving_rejecting_and_editing_show_at_once(client, creator, factory):
    staff = factory.user("staff")
    shown = approved_asset(creator, "Kopi Sembalun")
    assert "Kopi Sembalun" in client.get("/assets").get_data(as_text=True)
    waiting = approved_asset(creator, "Tenun Sukarara")
    waiting.status = "pending_review"
    db.session.commit()
    client.get("/assets")  # kept without it
    services.approve(waiting, staff)
    db.session.commit()
    assert "Tenun Sukarara" in client.get("/assets").get_data(as_text=True)
    assert client.get(f"/api/v1/assets/{shown.id}").status_code == 200
    services.update_details(shown, {"description": "Dari lereng Rinjani"}, creator)  # live at once
    assert "Dari lereng Rinjani" in client.get(f"/api/v1/assets/{shown.id}").get_data(as_text=True)
    services.update_details(shown, {"title": "Kopi Arabika Sembalun"}, creator)  # waits for review
    assert "Kopi Arabika" not in client.get("/assets").get_data(as_text=True)
    services.approve(shown, staff, edit_version=shown.pending_edit_version)  # the edit
    assert "Kopi Arabika Sembalun" in client.get("/assets").get_data(as_text=True)
    services.delete_asset(shown, staff)
    assert client.get(f"/api/v1/assets/{shown.id}").status_code == 404
    waiting.title = "Tenun Songket Sukarara"
    db.session.commit()
    assert "Tenun Songket Sukarara" in client.get("/api/v1/assets").get_data(as_text=True)


def test_another_process_change_shows_within_the_check_interval(client, creator, monkeypatch):
    asset = approved_asset(creator, "Kopi Sembalun")
    assert "Kopi Sembalun" in client.get("/assets").get_data(as_text=True)
    # Another web process edits the asset: its own connection and transaction, bumping the
    # generation as its flush would. This process learns of it at its next check.
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE assets SET title = 'Pantai Pink' WHERE id = :id"), {"id": asset.id})
        connection.execute(text("UPDATE catalog_state SET generation = generation + 1"))
    monkeypatch.setattr(pagecache, "CHECK_SECONDS", 3600.0)
    assert "Kopi Sembalun" in client.get("/assets").get_data(as_text=True)  # within the interval
    monkeypatch.setattr(pagecache, "CHECK_SECONDS", 0.0)  # the interval has passed
    page = client.get("/assets").get_data(as_text=True)
    assert "Pantai Pink" in page and "Kopi Sembalun" not in page


def test_signed_in_pages_are_never_shared(client, creator, auth):
    asset = approved_asset(creator, "Kopi Sembalun")
    log_in, edit = f"/login?next=/assets/{asset.id}", f"/assets/{asset.id}/edit"
    anonymous = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert log_in in anonymous and edit not in anonymous
    auth.login(creator)
    client.get("/")  # shows (and so ends) the welcome message: nothing else sets the user apart
    mine = client.get(f"/assets/{asset.id}")
    assert mine.headers["Cache-Control"] == "no-store"
    page = mine.get_data(as_text=True)
    assert edit in page and log_in not in page
    auth.logout()
    assert edit not in client.get(f"/assets/{asset.id}").get_data(as_text=True)


def test_a_bearer_call_is_never_served_a_shared_answer(client, creator):
    from koin_media.accounts.services import create_token

    asset = approved_asset(creator, "Kopi Sembalun")
    anonymous = client.get(f"/api/v1/assets/{asset.id}").get_json()
    assert "rejection_reason" not in anonymous  # kept for anybody
    _token, plain = create_token(creator)
    db.session.commit()
    own = client.get(f"/api/v1/assets/{asset.id}", headers={"Authorization": f"Bearer {plain}"})
    assert "rejection_reason" in own.get_json()  # the owner's view, not the shared one
    assert own.headers["Cache-Control"] == "no-store"


def test_a_visitor_with_a_message_waiting_gets_a_fresh_page(client, creator):
    approved_asset(creator, "Kopi Sembalun")
    client.get("/assets")
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Pesan untuk Anda")]
    assert "Pesan untuk Anda" in client.get("/assets").get_data(as_text=True)


def test_one_host_or_language_never_gets_another_ones_page(client, creator):
    approved_asset(creator, "Kopi Sembalun")
    via_localhost = client.get("/api/v1/assets", base_url="http://localhost").get_json()
    via_address = client.get("/api/v1/assets", base_url="http://127.0.0.1").get_json()
    assert via_localhost["items"][0]["url"].startswith("http://localhost/")
    assert via_address["items"][0]["url"].startswith("http://127.0.0.1/")
    english = client.get("/api/v1/assets?page=99", headers={"Accept-Language": "en"})
    indonesian = client.get("/api/v1/assets?page=99", headers={"Accept-Language": "id"})
    assert english.status_code == indonesian.status_code == 400
    assert english.get_json()["message"] != indonesian.get_json()["message"]
    en_list = client.get("/api/v1/assets", headers={"Accept-Language": "en"})
    id_list = client.get("/api/v1/assets", headers={"Accept-Language": "id"})
    assert en_list.status_code == id_list.status_code == 200


def test_switched_off_every_request_is_computed(make_app, factory):
    app = make_app(PAGE_CACHE_SECONDS=0)
    with app.app_context():
        approved_asset(factory.user("creator"), "Kopi Sembalun")
        client = app.test_client()
        client.get("/api/v1/assets")
        with QueryCounter() as queries:
            assert client.get("/api/v1/assets").status_code == 200
        assert queries.count >= 1
        assert client.get("/api/v1/assets").headers["Cache-Control"] == "no-store"


def test_work_outside_the_catalogue_keeps_what_is_kept(client, creator):
    """Uploads and processing never touch the public pages, so they leave the generation be."""
    asset = approved_asset(creator, "Kopi Sembalun")
    asset.status = "pending_review"
    db.session.commit()
    before = pagecache.generation()
    asset.status = "draft"  # an expired object: the old status is loaded to compare
    db.session.commit()
    asset.title = "Kopi Sembalun Arabika"
    db.session.commit()
    assert pagecache.generation() == before
    asset.status = "approved"
    db.session.commit()
    assert pagecache.generation() == before + 1


def test_visitors_arriving_together_at_a_cold_page_compute_it_once(app, creator, monkeypatch):
    """The first computes, the others wait for its answer (no stampede on a cold search)."""
    import threading
    import time

    from koin_media.assets import routes

    approved_asset(creator, "Kopi Sembalun")
    real_page, calls, statuses = routes.catalog_page, [], []

    def slow_page(*args, **kwargs):
        calls.append(1)
        time.sleep(0.3)  # long enough for the other visitors to arrive while it computes
        return real_page(*args, **kwargs)

    monkeypatch.setattr(routes, "catalog_page", slow_page)
    visitors = [
        threading.Thread(target=lambda: statuses.append(app.test_client().get("/assets?q=kopi").status_code))
        for _ in range(4)
    ]
    for visitor in visitors:
        visitor.start()
    for visitor in visitors:
        visitor.join()
    assert statuses == [200] * 4
    assert len(calls) == 1


def test_the_language_switch_asks_a_token_only_of_cookies_that_sign_someone_in(client, creator, auth):
    from koin_media.accounts.services import create_token

    _token, plain = create_token(creator)
    db.session.commit()
    bearer = {"Authorization": f"Bearer {plain}"}
    assert client.post("/language", data={"locale": "en"}, headers=bearer).status_code == 302  # no cookie
    auth.login(creator)
    assert client.post("/language", data={"locale": "id"}).status_code == 400  # a signed-in cookie
