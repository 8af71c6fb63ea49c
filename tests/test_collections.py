"""Collections (promo/collections.py, the pages and /api/v1/collections): only the owner sees or
changes one (another account's id is a 404), the limits, only published assets go in and an
asset that leaves the catalogue is hidden (not deleted) until it is published again, adding
twice changes nothing, reordering (buttons without JS, a whole order through the API), the
version a kit takes, the read-only link and its end, hostile names, and a page whose query
count does not grow with its length."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from koin_media.accounts.services import create_token
from koin_media.assets.models import APPROVED, ARCHIVED, PENDING_REVIEW
from koin_media.extensions import db
from koin_media.localtime import local_today
from koin_media.promo import collections as rules
from koin_media.promo.models import Collection, CollectionItem

from .asset_helpers import approved_asset
from .conftest import Auth, csrf_token
from .query_count import statements_of


def bearer(user) -> dict:
    return {"Authorization": f"Bearer {create_token(user, 'tests')[1]}"}


def signed_in(app, user):
    client = app.test_client()
    assert Auth(client).login(user).status_code == 302
    return client


@pytest.fixture
def creator(factory):
    return factory.user("creator", name="Baiq Nurul")


@pytest.fixture
def ikm(factory):
    return factory.user("ikm", business_name="Kopi Sembalun Lestari")


@pytest.fixture
def assets(creator):
    return [approved_asset(creator, title) for title in ("Tenun Sukarara", "Kopi Sembalun", "Gendang Beleq")]


def make_collection(user, assets=(), name="Kampanye Lebaran") -> Collection:
    collection = rules.create_collection(user, name)
    for asset in assets:
        rules.add_asset(collection, asset, user)
    return collection


def titles(collection) -> list[str]:
    db.session.expire_all()
    return [item.asset.title for item in rules.visible_items(collection)]


def post(client, path, data=None, page="/collections"):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **(data or {})})


# -- only the owner ---------------------------------------------------------------------------


def test_another_account_gets_404_for_every_page_and_call(app, factory, ikm, assets):
    collection = make_collection(ikm, assets[:2])
    rules.share(collection)
    item = rules.visible_items(collection)[0]
    stranger = factory.user("ikm", business_name="Tenun Lain")
    client = signed_in(app, stranger)
    base = f"/collections/{collection.id}"
    assert client.get(base).status_code == 404
    for action, data in [
        ("/rename", {"name": "Punyaku"}),
        ("/share", {}),
        ("/unshare", {}),
        (f"/items/{item.id}/move", {"direction": "down"}),
        (f"/items/{item.id}/variant", {"variant": "original"}),
        (f"/items/{item.id}/remove", {}),
        ("/delete", {}),
    ]:
        assert post(client, base + action, data).status_code == 404, action
    adding = post(client, "/collections/add", {"asset": assets[2].id, "collection": collection.id})
    assert adding.status_code == 404

    headers, api = bearer(stranger), f"/api/v1/collections/{collection.id}"
    assert client.get(api, headers=headers).status_code == 404
    assert client.post(api, json={"name": "x"}, headers=headers).status_code == 404
    assert client.post(f"{api}/items", json={"asset_id": assets[2].id}, headers=headers).status_code == 404
    assert client.post(f"{api}/items/{item.id}", json={"variant": "original"}, headers=headers).status_code == 404
    assert client.put(f"{api}/order", json={"item_ids": []}, headers=headers).status_code == 404
    assert client.delete(f"{api}/share", headers=headers).status_code == 404
    assert client.delete(f"{api}/items/{item.id}", headers=headers).status_code == 404
    assert client.delete(api, headers=headers).status_code == 404
    assert client.get("/api/v1/collections", headers=headers).get_json()["items"] == []

    db.session.expire_all()
    assert collection.name == "Kampanye Lebaran" and collection.share_token is not None
    assert titles(collection) == ["Tenun Sukarara", "Kopi Sembalun"]


def test_an_item_of_another_collection_is_a_404(app, ikm, assets):
    mine, other = make_collection(ikm, assets[:1]), make_collection(ikm, assets[1:2], name="Lain")
    foreign = rules.visible_items(other)[0]
    client = signed_in(app, ikm)
    response = post(client, f"/collections/{mine.id}/items/{foreign.id}/remove")
    assert response.status_code == 404 and titles(other) == ["Kopi Sembalun"]


def test_visitors_are_sent_to_log_in_and_the_api_answers_401(app, client, ikm, assets):
    collection = make_collection(ikm, assets[:1])
    for path in ("/collections", f"/collections/{collection.id}", f"/collections/add?asset={assets[0].id}"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    assert client.get("/api/v1/collections").status_code == 401
    assert client.get(f"/api/v1/collections/{collection.id}").status_code == 401


def test_the_menu_shows_collections_to_signed_in_people_only(app, client, ikm):
    assert 'href="/collections"' not in client.get("/").get_data(as_text=True)
    page = signed_in(app, ikm).get("/").get_data(as_text=True)
    assert '<a href="/collections">Koleksi</a>' in page


# -- limits -----------------------------------------------------------------------------------


def test_collections_per_user_are_limited(make_app, factory):
    app = make_app(COLLECTIONS_PER_USER=2)
    with app.app_context():
        ikm = factory.user("ikm")
        client = signed_in(app, ikm)
        for name in ("Satu", "Dua"):
            assert post(client, "/collections", {"name": name}).status_code == 303
        refused = post(client, "/collections", {"name": "Tiga"})
        assert refused.status_code == 422
        assert "Anda sudah punya 2 koleksi" in refused.get_data(as_text=True)
        api = client.post("/api/v1/collections", json={"name": "Tiga"}, headers=bearer(ikm))
        assert api.status_code == 422 and api.get_json()["error"] == "too_many_collections"
        assert api.get_json()["message"].startswith("Anda sudah punya 2 koleksi")
        assert db.session.scalar(select(func.count()).select_from(Collection)) == 2


def test_items_per_collection_are_limited_and_hidden_ones_do_not_count(make_app, factory):
    app = make_app(COLLECTION_MAX_ITEMS=2)
    with app.app_context():
        creator, ikm = factory.user("creator"), factory.user("ikm")
        one, two, three = (approved_asset(creator, title) for title in ("Satu", "Dua", "Tiga"))
        collection = make_collection(ikm, [one, two])
        client = signed_in(app, ikm)
        page = post(client, "/collections/add", {"asset": three.id, "collection": collection.id})
        assert page.status_code == 409 and "sudah berisi 2 media" in page.get_data(as_text=True)
        api = client.post(
            f"/api/v1/collections/{collection.id}/items", json={"asset_id": three.id}, headers=bearer(ikm)
        )
        assert api.status_code == 409 and api.get_json()["error"] == "collection_full"
        one.status = ARCHIVED  # leaves the catalogue: hidden, and no longer counted
        db.session.commit()
        api = client.post(
            f"/api/v1/collections/{collection.id}/items", json={"asset_id": three.id}, headers=bearer(ikm)
        )
        assert api.status_code == 201 and api.get_json()["item_count"] == 2


def test_two_adds_at_once_cannot_pass_the_limit(make_app, factory):
    """Real threads, each its own request and transaction, all past a barrier together."""
    app = make_app(COLLECTION_MAX_ITEMS=2)
    with app.app_context():
        creator, ikm = factory.user("creator"), factory.user("ikm")
        ids = [approved_asset(creator, f"Foto {n}").id for n in range(6)]
        collection_id = make_collection(ikm).id
        headers = bearer(ikm)
    barrier, codes = threading.Barrier(len(ids)), []

    def add(asset_id):
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/api/v1/collections/{collection_id}/items", json={"asset_id": asset_id}, headers=headers
        )
        codes.append(response.status_code)

    threads = [threading.Thread(target=add, args=(asset_id,)) for asset_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [201, 201, 409, 409, 409, 409]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CollectionItem)) == 2


# -- what may go in, and what shows -----------------------------------------------------------


def test_only_published_assets_are_added(app, creator, ikm, assets):
    collection = make_collection(ikm)
    waiting = approved_asset(creator, "Belum terbit", approved_at=None)
    waiting.status = PENDING_REVIEW
    db.session.commit()
    # Its owner sees it, but even they cannot put an unpublished asset in a collection.
    own = make_collection(creator, name="Milik kreator")
    client = signed_in(app, creator)
    page = client.get(f"/collections/add?asset={waiting.id}")
    assert page.status_code == 200 and "Hanya media yang sudah terbit" in page.get_data(as_text=True)
    refused = post(client, "/collections/add", {"asset": waiting.id, "collection": own.id})
    assert refused.status_code == 422 and "Hanya media yang sudah terbit" in refused.get_data(as_text=True)
    new = post(client, "/collections/add", {"asset": waiting.id, "collection": "new", "name": "Baru"})
    assert new.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Collection)) == 2  # no empty "Baru" was made
    api = client.post(f"/api/v1/collections/{own.id}/items", json={"asset_id": waiting.id}, headers=bearer(creator))
    assert api.status_code == 422 and api.get_json()["error"] == "not_published"
    # Anyone else does not even learn that it exists.
    other = signed_in(app, ikm)
    assert other.get(f"/collections/add?asset={waiting.id}").status_code == 404
    api = other.post(f"/api/v1/collections/{collection.id}/items", json={"asset_id": waiting.id}, headers=bearer(ikm))
    assert api.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(CollectionItem)) == 0


@pytest.mark.parametrize("leaves", ["archived", "unpublished", "usage_ended"])
def test_an_asset_that_leaves_the_catalogue_is_hidden_everywhere_and_returns(app, ikm, assets, leaves):
    collection = make_collection(ikm, assets)
    rules.share(collection)
    gone = assets[1]
    if leaves == "usage_ended":  # its date passed; the daily job has not moved it to EXPIRED yet
        gone.usable_until = local_today() - timedelta(days=1)
    else:
        gone.status = ARCHIVED if leaves == "archived" else PENDING_REVIEW
    db.session.commit()

    assert titles(collection) == ["Tenun Sukarara", "Gendang Beleq"]
    client = signed_in(app, ikm)
    page = client.get(f"/collections/{collection.id}").get_data(as_text=True)
    assert "Kopi Sembalun" not in page and "2 media" in page
    listing = client.get("/collections").get_data(as_text=True)
    assert "2 media" in listing
    body = client.get(f"/api/v1/collections/{collection.id}", headers=bearer(ikm)).get_json()
    assert [item["title"] for item in body["items"]] == ["Tenun Sukarara", "Gendang Beleq"]
    assert body["item_count"] == 2
    assert client.get("/api/v1/collections", headers=bearer(ikm)).get_json()["items"][0]["item_count"] == 2
    shared = app.test_client().get(f"/c/{collection.share_token}").get_data(as_text=True)
    assert "Kopi Sembalun" not in shared and "Tenun Sukarara" in shared
    hidden = db.session.scalar(select(CollectionItem).where(CollectionItem.asset_id == gone.id))
    assert hidden is not None  # kept, never deleted
    assert post(client, f"/collections/{collection.id}/items/{hidden.id}/remove").status_code == 404

    gone.status, gone.usable_until = APPROVED, None  # published again: back in its place
    db.session.commit()
    assert titles(collection) == ["Tenun Sukarara", "Kopi Sembalun", "Gendang Beleq"]


def test_adding_twice_changes_nothing_and_says_so(app, ikm, assets):
    collection = make_collection(ikm, assets[:1])
    client = signed_in(app, ikm)
    again = post(client, "/collections/add", {"asset": assets[0].id, "collection": collection.id, "next": "/assets"})
    assert again.status_code == 303 and again.headers["Location"] == "/assets"
    assert "sudah ada di" in client.get("/assets").get_data(as_text=True)
    api = client.post(
        f"/api/v1/collections/{collection.id}/items",
        json={"asset_id": assets[0].id, "variant": "original"},
        headers=bearer(ikm),
    )
    assert api.status_code == 200 and api.get_json()["added"] is False
    assert "sudah ada di" in api.get_json()["message"]
    assert db.session.scalar(select(func.count()).select_from(CollectionItem)) == 1


def test_the_add_page_adds_to_a_chosen_or_new_collection_and_goes_back_safely(app, ikm, assets):
    existing = make_collection(ikm, assets[:1])
    client = signed_in(app, ikm)
    page = client.get(f"/collections/add?asset={assets[0].id}&next=/assets").get_data(as_text=True)
    assert "sudah ada di dalamnya" in page and 'name="next" value="/assets"' in page
    chosen = post(
        client, "/collections/add", {"asset": assets[1].id, "collection": existing.id, "next": "/assets?q=kopi"}
    )
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/assets?q=kopi"
    new = post(
        client,
        "/collections/add",
        {"asset": assets[2].id, "collection": "new", "name": "  Festival  ", "next": "//evil.example/x"},
    )
    assert new.status_code == 303 and new.headers["Location"] == f"/assets/{assets[2].id}"  # not another site
    made = db.session.scalar(select(Collection).where(Collection.name == "Festival"))
    assert titles(made) == ["Gendang Beleq"] and titles(existing) == ["Tenun Sukarara", "Kopi Sembalun"]
    nameless = post(client, "/collections/add", {"asset": assets[2].id, "collection": "new", "name": " "})
    assert nameless.status_code == 422 and "Beri nama koleksi" in nameless.get_data(as_text=True)


def test_cards_and_the_asset_page_link_to_the_add_page_without_a_token(app, client, assets):
    catalogue = client.get("/assets").get_data(as_text=True)
    assert f'href="/collections/add?asset={assets[0].id}&amp;next=/assets"' in catalogue
    assert "csrf" not in catalogue.lower()  # still one page for every visitor
    page = client.get(f"/assets/{assets[0].id}").get_data(as_text=True)
    assert f'href="/collections/add?asset={assets[0].id}&amp;next=/assets/{assets[0].id}"' in page


# -- order and versions -----------------------------------------------------------------------


def test_up_and_down_buttons_reorder_without_a_script(app, ikm, assets):
    collection = make_collection(ikm, assets)
    first, second, third = rules.visible_items(collection)
    client = signed_in(app, ikm)
    page = f"/collections/{collection.id}"
    moved = post(client, f"{page}/items/{third.id}/move", {"direction": "up"}, page=page)
    assert moved.status_code == 303 and moved.headers["Location"].endswith(f"#item-{third.id}")
    assert titles(collection) == ["Tenun Sukarara", "Gendang Beleq", "Kopi Sembalun"]
    post(client, f"{page}/items/{first.id}/move", {"direction": "down"}, page=page)
    assert titles(collection) == ["Gendang Beleq", "Tenun Sukarara", "Kopi Sembalun"]
    post(client, f"{page}/items/{third.id}/move", {"direction": "up"}, page=page)  # already first
    post(client, f"{page}/items/{second.id}/move", {"direction": "down"}, page=page)  # already last
    post(client, f"{page}/items/{second.id}/move", {"direction": "sideways"}, page=page)
    assert titles(collection) == ["Gendang Beleq", "Tenun Sukarara", "Kopi Sembalun"]


def test_a_whole_order_must_name_every_item_once(app, ikm, assets, factory):
    collection = make_collection(ikm, assets)
    other = make_collection(factory.user("ikm"), assets[:1], name="Orang lain")
    a, b, c = (item.id for item in rules.visible_items(collection))
    foreign = rules.visible_items(other)[0].id
    client, headers = app.test_client(), bearer(ikm)
    url = f"/api/v1/collections/{collection.id}/order"
    for wrong in (
        [a, b],
        [a, b, c, c],
        [a, b, foreign],
        [c, b, a, foreign],
        [a, b, True],
        [str(a), b, c],
        "1,2,3",
        None,
        {"a": 1},
    ):
        response = client.put(url, json={"item_ids": wrong}, headers=headers)
        assert response.status_code == 422, wrong
        assert response.get_json()["error"] == "order_mismatch" and "item_ids" in response.get_json()["errors"]
    assert client.put(url, data="c,b,a", headers=headers).status_code == 415
    assert titles(collection) == ["Tenun Sukarara", "Kopi Sembalun", "Gendang Beleq"]
    response = client.put(url, json={"item_ids": [c, a, b]}, headers=headers)
    assert response.status_code == 200
    assert [item["title"] for item in response.get_json()["items"]] == [
        "Gendang Beleq",
        "Tenun Sukarara",
        "Kopi Sembalun",
    ]


def test_a_hidden_item_keeps_its_place_while_the_others_move(app, ikm, assets, creator):
    fourth = approved_asset(creator, "Pantai Kuta")
    collection = make_collection(ikm, [*assets, fourth])
    a, b, c, d = rules.visible_items(collection)
    assets[1].status = ARCHIVED  # b hides
    db.session.commit()
    rules.set_order(collection, [d.id, c.id, a.id])
    assets[1].status = APPROVED
    db.session.commit()
    assert titles(collection) == ["Pantai Kuta", "Kopi Sembalun", "Gendang Beleq", "Tenun Sukarara"]


def test_each_item_takes_a_version_the_asset_offers(app, ikm, assets):
    assets[0].preview_key = f"assets/{assets[0].uuid}/preview.jpg"  # a photo's web size
    db.session.commit()
    collection = make_collection(ikm, assets[:2])
    photo, plain = rules.visible_items(collection)
    client = signed_in(app, ikm)
    page = f"/collections/{collection.id}"
    html = client.get(page).get_data(as_text=True)
    assert f'<select id="variant-{photo.id}" name="variant">' in html and 'value="web"' in html
    assert post(client, f"{page}/items/{photo.id}/variant", {"variant": "web"}, page=page).status_code == 303
    db.session.expire_all()
    assert photo.variant == "web"
    refused = post(client, f"{page}/items/{plain.id}/variant", {"variant": "web"}, page=page)  # it has no web size yet
    assert refused.status_code == 303
    assert "tidak punya versi" in client.get(page).get_data(as_text=True)
    headers = bearer(ikm)
    api = client.post(
        f"/api/v1/collections/{collection.id}/items/{plain.id}", json={"variant": "crop_1x1"}, headers=headers
    )
    assert api.status_code == 422 and api.get_json()["error"] == "unknown_variant"
    api = client.post(
        f"/api/v1/collections/{collection.id}/items/{plain.id}", json={"variant": ["web"]}, headers=headers
    )
    assert api.status_code == 422
    db.session.expire_all()
    assert plain.variant == "original"
    item = client.get(f"/api/v1/collections/{collection.id}", headers=headers).get_json()["items"][0]
    assert item["variant"] == "web" and item["variants"] == ["original", "web"]


# -- the read-only link -----------------------------------------------------------------------


def test_the_add_page_without_collections_asks_for_a_new_one(app, ikm, assets):
    page = signed_in(app, ikm).get(f"/collections/add?asset={assets[0].id}").get_data(as_text=True)
    assert "<legend>Buat koleksi baru</legend>" in page and "Atau buat" not in page
    make_collection(ikm)
    page = signed_in(app, ikm).get(f"/collections/add?asset={assets[0].id}").get_data(as_text=True)
    assert "<legend>Atau buat koleksi baru</legend>" in page


def test_a_full_collection_is_shown_disabled_on_the_add_page(make_app, factory):
    app = make_app(COLLECTION_MAX_ITEMS=2)
    with app.app_context():
        creator, ikm = factory.user("creator"), factory.user("ikm")
        one, two, three = (approved_asset(creator, title) for title in ("Satu", "Dua", "Tiga"))
        full, roomy = make_collection(ikm, [one, two], name="Penuh sekali"), make_collection(ikm, [one], name="Longgar")
        page = signed_in(app, ikm).get(f"/collections/add?asset={three.id}").get_data(as_text=True)
        assert re.search(r'<button type="button"[^>]* disabled[^>]*>Penuh sekali <span[^>]*>· penuh</span>', page)
        assert f'name="collection" value="{full.id}"' not in page  # nothing to tap that then fails
        assert f'name="collection" value="{roomy.id}"' in page


def test_a_shared_link_opens_for_anyone_until_sharing_stops(app, ikm, assets):
    collection = make_collection(ikm, assets[:2])
    client = signed_in(app, ikm)
    page = f"/collections/{collection.id}"
    assert post(client, f"{page}/share", page=page).status_code == 303
    db.session.expire_all()
    token = collection.share_token
    assert token and len(token) >= 32
    assert f"http://127.0.0.1:8000/c/{token}" in client.get(page).get_data(as_text=True)

    visitor = app.test_client()
    shared = visitor.get(f"/c/{token}")
    html = shared.get_data(as_text=True)
    assert shared.status_code == 200 and "Set-Cookie" not in shared.headers
    assert shared.headers["X-Robots-Tag"] == "noindex"
    assert "Kampanye Lebaran" in html and "Tenun Sukarara" in html and "Kopi Sembalun" in html
    assert 'action="/collections' not in html and "csrf" not in html.lower()  # read-only, no forms of the owner's
    assert post(client, f"{page}/share", page=page).status_code == 303  # sharing again keeps the link
    db.session.expire_all()
    assert collection.share_token == token

    assert post(client, f"{page}/unshare", page=page).status_code == 303
    assert visitor.get(f"/c/{token}").status_code == 404
    again = client.post(f"/api/v1/collections/{collection.id}/share", headers=bearer(ikm)).get_json()
    assert again["shared"] and not again["share_url"].endswith(token)
    assert visitor.get(f"/c/{token}").status_code == 404  # the old link stays dead
    assert visitor.get(again["share_url"].removeprefix("http://127.0.0.1:8000")).status_code == 200
    stopped = client.delete(f"/api/v1/collections/{collection.id}/share", headers=bearer(ikm)).get_json()
    assert stopped["shared"] is False and stopped["share_url"] is None
    for guess in ("x", "a" * 65, "%00", token):
        assert visitor.get(f"/c/{guess}").status_code == 404


# -- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Beri nama koleksi"),
        ("   ", "Beri nama koleksi"),
        ("x" * 121, "paling banyak 120 karakter"),
        ("Kopi\x00Sembalun", "Hapus karakter kontrol"),
        ("Kopi\u202eSembalun", "Hapus karakter kontrol"),
        ("Kopi\u2028Sembalun", "Hapus karakter kontrol"),
        ("Kopi\nSembalun", "Hapus karakter kontrol"),
        ("\u200b", "Beri nama koleksi"),  # nothing visible
        ("\u200b \u2060", "Beri nama koleksi"),
        ("Kopi\u200bSembalun", "Hapus karakter kontrol"),
        ("\u2067Kopi", "Hapus karakter kontrol"),
    ],
)
def test_hostile_names_are_refused_with_a_reason(app, ikm, name, message):
    client = signed_in(app, ikm)
    page = post(client, "/collections", {"name": name})
    assert page.status_code == 422 and message in page.get_data(as_text=True)
    assert page.get_data(as_text=True).count(message) == 1
    api = client.post("/api/v1/collections", json={"name": name}, headers=bearer(ikm))
    assert api.status_code == 422 and message in api.get_json()["errors"]["name"][0]
    collection = make_collection(ikm)
    renamed = client.post(f"/api/v1/collections/{collection.id}", json={"name": name}, headers=bearer(ikm))
    assert renamed.status_code == 422
    db.session.expire_all()
    assert collection.name == "Kampanye Lebaran"
    assert db.session.scalar(select(func.count()).select_from(Collection)) == 1


@pytest.mark.parametrize("name", [True, False, 123, 1.5])
def test_the_api_takes_a_name_as_json_text_only(app, ikm, name):
    """JSON true would have become the name "y", 123 the name "123"."""
    client = app.test_client()
    made = client.post("/api/v1/collections", json={"name": name}, headers=bearer(ikm))
    assert made.status_code == 422, made.get_json()
    words = "Kirim nama koleksi sebagai teks dengan setidaknya satu karakter yang terlihat."
    assert made.get_json()["errors"]["name"] == [words]
    collection = make_collection(ikm)
    renamed = client.post(f"/api/v1/collections/{collection.id}", json={"name": name}, headers=bearer(ikm))
    assert renamed.status_code == 422 and "name" in renamed.get_json()["errors"]
    assert db.session.scalar(select(func.count()).select_from(Collection)) == 1


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("  Kopi  Sembalun  ", "Kopi  Sembalun"),
        ("x" * 120, "x" * 120),
        ("Keluarga 👩‍👩‍👧 Sasak", "Keluarga 👩‍👩‍👧 Sasak"),
    ],
)
def test_names_are_trimmed_and_kept(app, ikm, name, kept):
    response = app.test_client().post("/api/v1/collections", json={"name": name}, headers=bearer(ikm))
    assert response.status_code == 201 and response.get_json()["name"] == kept


def test_a_name_with_markup_is_shown_as_text(app, ikm, assets):
    collection = make_collection(ikm, assets[:1], name='<script>alert("x")</script>')
    rules.share(collection)
    client = signed_in(app, ikm)
    for html in (
        client.get(f"/collections/{collection.id}").get_data(as_text=True),
        client.get("/collections").get_data(as_text=True),
        app.test_client().get(f"/c/{collection.share_token}").get_data(as_text=True),
    ):
        assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)" in html


def test_renaming_and_deleting(app, ikm, assets):
    collection = make_collection(ikm, assets[:2])
    client = signed_in(app, ikm)
    page = f"/collections/{collection.id}"
    assert post(client, f"{page}/rename", {"name": " Pameran Tenun "}, page=page).status_code == 303
    db.session.expire_all()
    assert collection.name == "Pameran Tenun"
    refused = post(client, f"{page}/rename", {"name": ""}, page=page)
    assert refused.status_code == 422 and "Beri nama koleksi" in refused.get_data(as_text=True)
    assert post(client, f"{page}/delete", page=page).status_code == 303
    assert client.get(page).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(CollectionItem)) == 0
    assert all(db.session.get(type(asset), asset.id) is not None for asset in assets)  # the media stay


# -- the API's shape --------------------------------------------------------------------------


def test_the_api_makes_lists_adds_and_removes(app, ikm, assets):
    client, headers = app.test_client(), bearer(ikm)
    made = client.post("/api/v1/collections", json={"name": "Pameran"}, headers=headers)
    assert made.status_code == 201 and made.headers["Location"].endswith(f"/api/v1/collections/{made.get_json()['id']}")
    url = f"/api/v1/collections/{made.get_json()['id']}"
    added = client.post(f"{url}/items", json={"asset_id": assets[0].id}, headers=headers)
    assert added.status_code == 201 and added.get_json()["added"] is True
    item = added.get_json()["items"][0]
    assert item["asset_id"] == assets[0].id and item["variant"] == "original"
    assert (
        item["credit_line"] == assets[0].credit_line and item["asset_url"] == f"http://localhost/assets/{assets[0].id}"
    )
    for wrong in ({"asset_id": "abc"}, {"asset_id": 0}, {"asset_id": 2**40}, {"asset_id": [1]}, {}):
        assert client.post(f"{url}/items", json=wrong, headers=headers).status_code == 422, wrong
    assert client.post(f"{url}/items", json={"asset_id": 999_999}, headers=headers).status_code == 404
    listing = client.get("/api/v1/collections", headers=headers).get_json()
    assert listing["total"] == 1 and listing["items"][0]["item_count"] == 1
    assert client.delete(f"{url}/items/{item['id']}", headers=headers).status_code == 204
    assert client.get(url, headers=headers).get_json()["items"] == []
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404


def test_the_collection_page_costs_the_same_queries_for_2_and_12_items(app, ikm, creator):
    photos = [approved_asset(creator, f"Foto nomor {n}") for n in range(12)]

    def statements(count: int) -> list[str]:
        collection = make_collection(ikm, photos[:count], name=f"Koleksi {count}")
        client = signed_in(app, ikm)
        client.get(f"/collections/{collection.id}")  # the first request of a session may write its last use
        return statements_of(lambda: client.get(f"/collections/{collection.id}"))

    few, many = statements(2), statements(12)
    assert len(few) == len(many), "\n".join(many)
