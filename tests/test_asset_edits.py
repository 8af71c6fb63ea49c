"""Editing a published asset keeps it published: changes that matter (title, licence, credit,
consent) wait for review as a pending edit while the live version stays in the catalogue, search,
the venue page, the API and downloads; the rest goes live at once. Staff approve or reject the
edit from the moderation queue; the owner can withdraw it; staff edits apply at once."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from koin_media.accounts.services import create_token
from koin_media.assets import review_queue, services
from koin_media.assets.models import Asset
from koin_media.audit import AuditEvent
from koin_media.extensions import db
from koin_media.venues.models import Venue

from .asset_helpers import approved_asset
from .booking_helpers import make_venue
from .conftest import Auth, csrf_token

ID = {"Accept-Language": "id"}


@pytest.fixture
def venue(app) -> Venue:
    return make_venue()


@pytest.fixture
def published(app, factory, venue) -> Asset:
    owner = factory.user("creator", name="Baiq Nurul")
    return approved_asset(
        owner, "Sunrise Bukit Merese", description="Pagi di bukit", tags="pantai", venue=venue, credit="Foto: Baiq"
    )


def signed_in(app, user):
    client = app.test_client()
    Auth(client).login(user)
    return client


def form_of(asset: Asset, **changes) -> dict:
    """The edit form as the page sends it: every field, as it stands, with ``changes``."""
    values = {
        "title": asset.title,
        "description": asset.description,
        "tags": asset.tags,
        "community": asset.community.slug if asset.community else "",
        "regency": asset.regency.slug if asset.regency else "",
        "venue": asset.venue.slug if asset.venue else "",
        "license": asset.license or "",
        "credit": asset.credit,
        "consent": "y" if asset.consent else "",
    }
    values.update(changes)
    return {name: value for name, value in values.items() if value is not False}


def post_edit(client, asset: Asset, **changes):
    page = f"/assets/{asset.id}/edit"
    return client.post(page, data={**form_of(asset, **changes), "csrf_token": csrf_token(client, page)}, headers=ID)


class _EditForm(HTMLParser):
    """What the edit page's form sends as it stands: its inputs, textareas and selected options."""

    def __init__(self):
        super().__init__()
        self.data, self.depth, self.field, self.select = {}, 0, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self.depth and attrs.get("class") == "form" and "action" not in attrs:
            self.depth = 1
        elif not self.depth:
            return
        if tag == "input" and attrs.get("type") != "checkbox" or tag == "input" and "checked" in attrs:
            self.data[attrs["name"]] = attrs.get("value", "")
        elif tag == "textarea":
            self.field = attrs["name"]
            self.data[self.field] = ""
        elif tag == "select":
            self.select = attrs["name"]
            self.data.setdefault(self.select, "")
        elif tag == "option" and self.select and "selected" in attrs:
            self.data[self.select] = attrs.get("value", "")

    def handle_data(self, data):
        if self.field:
            self.data[self.field] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.field = None
        elif tag == "select":
            self.select = None
        elif tag == "form":
            self.depth = 0


def edit_form_on(html: str) -> dict:
    parser = _EditForm()
    parser.feed(html)
    return parser.data


def public_text(app, *paths) -> str:
    visitor = app.test_client()
    return "".join(visitor.get(path, headers=ID).get_data(as_text=True) for path in paths)


def bearer(user) -> dict:
    return {"Authorization": f"Bearer {create_token(user, 'tests')[1]}"}


# -- what goes live at once, what waits -------------------------------------------------------


def test_a_description_change_goes_live_at_once_and_stays_published(app, published, venue):
    client = signed_in(app, published.owner)
    response = post_edit(client, published, description="Matahari terbit di bukit Merese, Kuta")
    assert response.status_code == 302
    flashed = client.get(response.headers["Location"], headers=ID).get_data(as_text=True)
    assert "Perubahan sudah tayang sekarang." in flashed
    db.session.refresh(published)
    assert published.status == "approved" and not published.has_pending_edit
    assert published.description == "Matahari terbit di bukit Merese, Kuta"
    # Searchable by the new words at once, and still on the venue page.
    assert "Sunrise Bukit Merese" in public_text(app, "/assets?q=matahari", f"/venues/{venue.slug}")
    assert review_queue.waiting_count() == 0


def test_a_title_change_waits_for_review_while_the_live_version_stays_everywhere(app, published, venue):
    client = signed_in(app, published.owner)
    response = post_edit(client, published, title="Fajar di Merese", description="Pagi yang cerah")
    assert response.status_code == 302
    flashed = client.get(response.headers["Location"], headers=ID).get_data(as_text=True)
    assert "Versi yang terbit tetap tayang tanpa perubahan" in flashed and "Judul" in flashed
    db.session.refresh(published)
    assert published.status == "approved" and published.title == "Sunrise Bukit Merese"
    assert published.description == "Pagi yang cerah"  # what does not matter went live at once
    assert published.pending_changes == {"title": "Fajar di Merese"} and published.edit_submitted_at is not None

    pages = public_text(app, "/assets", "/assets?q=sunrise", f"/assets/{published.id}", f"/venues/{venue.slug}")
    assert pages.count("Sunrise Bukit Merese") >= 4 and "Fajar" not in pages
    assert "Fajar" not in public_text(app, "/assets?q=fajar")  # the proposed title is not searchable
    api = app.test_client().get(f"/api/v1/assets/{published.id}").get_json()
    assert api["title"] == "Sunrise Bukit Merese" and "pending_edit" not in api
    assert api["credit_line"].startswith("Sunrise Bukit Merese")

    # The owner sees it waiting on the edit page, which goes on from what they asked.
    edit_page = client.get(f"/assets/{published.id}/edit", headers=ID).get_data(as_text=True)
    assert 'id="pending-edit"' in edit_page and "Perubahan menunggu peninjauan" in edit_page
    assert 'value="Fajar di Merese"' in edit_page and "Sunrise Bukit Merese" in edit_page
    assert review_queue.waiting_count() == 1


def test_the_edit_page_of_a_published_asset_says_what_waits_before_saving(app, published, factory):
    owner_page = signed_in(app, published.owner).get(f"/assets/{published.id}/edit", headers=ID)
    html = owner_page.get_data(as_text=True)
    assert 'id="edit-rules"' in html and "tetap tayang selama Anda menyuntingnya" in html
    assert "Diperiksa kantor sebelum tayang" in html and "Langsung tayang begitu disimpan" in html
    staff_page = signed_in(app, factory.user("staff")).get(f"/assets/{published.id}/edit", headers=ID)
    staff_html = staff_page.get_data(as_text=True)
    assert "perubahan Anda langsung tayang" in staff_html and "Diperiksa kantor sebelum tayang" not in staff_html


def test_a_second_edit_replaces_the_pending_one_and_undoing_it_clears_it(app, published):
    client = signed_in(app, published.owner)
    post_edit(client, published, title="Fajar di Merese")
    db.session.refresh(published)
    first_sent = published.edit_submitted_at
    # The form shows the pending title; sending it again with a licence change replaces the edit.
    post_edit(client, published, title="Fajar di Merese", license="NTB-PROMO")
    db.session.refresh(published)
    assert published.pending_changes == {"title": "Fajar di Merese", "license": "NTB-PROMO"}
    assert published.edit_submitted_at >= first_sent
    # Saving the same edit again (a description fix) keeps its place in the queue.
    sent = published.edit_submitted_at
    post_edit(client, published, title="Fajar di Merese", license="NTB-PROMO", description="baru")
    db.session.refresh(published)
    assert published.edit_submitted_at == sent and published.description == "baru"
    # Back to the live values: nothing waits any more.
    post_edit(client, published, title="Sunrise Bukit Merese", license="CC-BY-4.0")
    db.session.refresh(published)
    assert not published.has_pending_edit and published.pending_changes is None
    assert review_queue.waiting_count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [({"title": " "}, "title"), ({"license": ""}, "license"), ({"consent": False}, "consent")],
)
def test_a_published_asset_cannot_lose_what_review_needs(app, published, change, field):
    client = signed_in(app, published.owner)
    response = post_edit(client, published, **change)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and "Aset yang sudah terbit" in html
    db.session.refresh(published)
    assert published.status == "approved" and not published.has_pending_edit


def test_a_rejected_asset_still_goes_back_to_review_when_its_owner_changes_it(app, published):
    published.status, published.rejection_reason = "rejected", "Buram"
    db.session.commit()
    client = signed_in(app, published.owner)
    assert post_edit(client, published, title="Lebih tajam").status_code == 302
    db.session.refresh(published)
    assert published.status == "pending_review" and published.title == "Lebih tajam"
    assert published.rejection_reason is None and not published.has_pending_edit


def test_the_services_say_what_an_edit_did(app, published, factory):
    owner, staff = published.owner, factory.user("staff")
    details = {"description": "Lebih panjang", "title": "Fajar", "consent": True}
    assert services.update_details(published, details, owner) == services.EDIT_PENDING_AND_LIVE
    assert published.pending_edit == [("title", "Sunrise Bukit Merese", "Fajar")]
    assert published.reviewable_by(staff) and not published.reviewable_by(owner)
    assert services.update_details(published, {"tags": "pantai, fajar"}, owner) == services.EDIT_PENDING_AND_LIVE
    assert published.pending_changes == {"title": "Fajar"}  # fields not sent keep what the edit asked
    # Nothing but the reviewed field: nothing to say is online.
    same = {"title": "Fajar", "description": "Lebih panjang", "tags": "pantai, fajar"}
    assert services.update_details(published, same, owner) == services.EDIT_PENDING
    with pytest.raises(services.NoPendingEdit):
        services.withdraw_edit(published, staff)
    with pytest.raises(services.EditChanged):
        services.approve(published, staff, edit_version="0" * 16)
    services.reject(published, staff, "Kurang jelas", edit_version=published.pending_edit_version)
    assert published.edit_rejected and published.title == "Sunrise Bukit Merese"
    with pytest.raises(services.NotWaitingForReview):
        services.approve(published, staff)  # nothing waits: a published asset is not approved again
    assert services.update_details(published, {"title": "Fajar"}, staff) == services.SAVED
    assert published.title == "Fajar" and not published.has_pending_edit


# -- moderation -------------------------------------------------------------------------------


def test_moderation_lists_the_edit_beside_new_uploads_and_approval_puts_it_live(app, published, factory):
    owner = published.owner
    new_upload = approved_asset(owner, "Tenun Sukarara")
    new_upload.status = "pending_review"
    db.session.commit()
    signed_in_owner = signed_in(app, owner)
    post_edit(signed_in_owner, published, title="Fajar di Merese", credit="Foto: Baiq Nurul")
    staff = factory.user("staff")
    client = signed_in(app, staff)

    queue = client.get("/moderation", headers=ID).get_data(as_text=True)
    assert "Tenun Sukarara" in queue and "Sunrise Bukit Merese" in queue
    assert queue.count('class="edit-kind">Perubahan<') == 1
    assert "Fajar di Merese" in queue and "Foto: Baiq Nurul" in queue  # old → new, per field
    assert f'href="/moderation/{published.id}">Tinjau perubahan' in queue

    page = f"/moderation/{published.id}"
    review = client.get(page, headers=ID).get_data(as_text=True)
    assert 'id="pending-edit"' in review and "Fajar di Merese" in review
    decision = {
        **edit_form_on(review.replace('class="form review-actions review-decide"', 'class="form"')),
        "decision": "approve",
    }
    assert decision["edit_version"] == published.pending_edit_version  # the page sends the edit it shows
    response = client.post(page, data=decision, headers=ID)
    assert response.status_code == 302
    db.session.refresh(published)
    assert (published.title, published.credit) == ("Fajar di Merese", "Foto: Baiq Nurul")
    assert published.status == "approved" and not published.has_pending_edit
    assert published.reviewed_by_id == staff.id
    assert "Fajar di Merese" in public_text(app, "/assets?q=fajar", f"/assets/{published.id}")
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.subject_id == published.id))
    assert event.action == "asset.approve" and event.actor_id == staff.id
    assert event.detail == {
        "edit": {"title": ["Sunrise Bukit Merese", "Fajar di Merese"], "credit": ["Foto: Baiq", "Foto: Baiq Nurul"]}
    }


def test_rejecting_an_edit_keeps_the_live_version_and_tells_the_owner_why(app, published, factory):
    post_edit(signed_in(app, published.owner), published, title="JUDUL HURUF BESAR")
    staff = factory.user("staff")
    client = signed_in(app, staff)
    page = f"/moderation/{published.id}"
    db.session.refresh(published)
    data = {"decision": "reject", "reason": "Judul ditulis huruf besar semua.", "csrf_token": csrf_token(client, page)}
    data["edit_version"] = published.pending_edit_version
    assert client.post(page, data=data).status_code == 302
    db.session.refresh(published)
    assert published.status == "approved" and published.title == "Sunrise Bukit Merese"
    assert not published.has_pending_edit and published.edit_rejected
    assert "Sunrise Bukit Merese" in public_text(app, "/assets")
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "asset.reject"))
    assert event.detail == {
        "reason": "Judul ditulis huruf besar semua.",
        "edit": {"title": ["Sunrise Bukit Merese", "JUDUL HURUF BESAR"]},
    }
    owner = signed_in(app, published.owner)
    edit_page = owner.get(f"/assets/{published.id}/edit", headers=ID).get_data(as_text=True)
    assert 'id="edit-rejected"' in edit_page and "Judul ditulis huruf besar semua." in edit_page
    # A new edit replaces the refused one and its reason.
    post_edit(owner, published, title="Judul Baru")
    db.session.refresh(published)
    assert published.has_pending_edit and published.rejection_reason is None


def test_approving_an_edit_the_owner_replaced_meanwhile_applies_nothing(app, published, factory):
    owner = signed_in(app, published.owner)
    post_edit(owner, published, title="Versi Satu")
    staff = signed_in(app, factory.user("staff"))
    page = f"/moderation/{published.id}"
    review = staff.get(page).get_data(as_text=True)
    db.session.refresh(published)
    seen = published.pending_edit_version
    assert f'value="{seen}"' in review
    post_edit(owner, published, title="Versi Dua")  # the owner changes it while staff read
    data = {"decision": "approve", "edit_version": seen, "csrf_token": csrf_token(staff, page)}
    response = staff.post(page, data=data, headers=ID)
    assert response.status_code == 303 and response.headers["Location"].endswith(page)
    db.session.refresh(published)
    assert published.title == "Sunrise Bukit Merese" and published.pending_changes == {"title": "Versi Dua"}
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "asset.approve")) is None
    assert "Kreator telah mengganti atau menarik" in staff.get(page, headers=ID).get_data(as_text=True)


def test_the_owner_withdraws_the_edit(app, published, factory):
    client = signed_in(app, published.owner)
    post_edit(client, published, title="Salah ketik")
    page = f"/assets/{published.id}/edit"
    response = client.post(f"{page}/withdraw", data={"csrf_token": csrf_token(client, page)})
    assert response.status_code == 303
    db.session.refresh(published)
    assert not published.has_pending_edit and published.title == "Sunrise Bukit Merese"
    assert "Perubahan ditarik" in client.get(page, headers=ID).get_data(as_text=True)
    again = client.post(f"{page}/withdraw", data={"csrf_token": csrf_token(client, page)})
    assert again.status_code == 303
    assert "Tidak ada perubahan Anda" in client.get(page, headers=ID).get_data(as_text=True)


def test_staff_saving_the_edit_page_leaves_the_owners_edit_waiting(app, published, factory):
    """Staff see the live values, not the owner's proposal: saving the page as it stands
    publishes nothing unreviewed, and the edit still waits, with a link to review it."""
    post_edit(signed_in(app, published.owner), published, title="Judul Usulan", license="CC-BY-NC-4.0")
    db.session.refresh(published)
    waiting = published.pending_changes
    assert waiting == {"title": "Judul Usulan", "license": "CC-BY-NC-4.0"}
    client = signed_in(app, factory.user("staff"))
    page = f"/assets/{published.id}/edit"
    html = client.get(page, headers=ID).get_data(as_text=True)
    assert f'href="/moderation/{published.id}">Tinjau perubahan' in html and 'id="pending-edit"' in html
    form = edit_form_on(html)
    assert (form["title"], form["license"]) == ("Sunrise Bukit Merese", "CC-BY-4.0")
    response = client.post(page, data={**form, "tags": "pantai, fajar"}, headers=ID)
    assert response.status_code == 302
    db.session.refresh(published)
    live = (published.title, published.license, published.tags)
    assert live == ("Sunrise Bukit Merese", "CC-BY-4.0", "pantai, fajar")
    assert published.has_pending_edit and published.pending_changes == waiting
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "asset.approve")) is None
    # The owner still goes on from what they asked, and sees no review link.
    owner_page = signed_in(app, published.owner).get(page, headers=ID).get_data(as_text=True)
    assert edit_form_on(owner_page)["title"] == "Judul Usulan" and 'id="pending-edit-review"' not in owner_page


def test_a_decision_that_did_not_see_the_waiting_edit_is_refused(app, published, factory):
    """A review page opened before the owner's edit existed sends no version: neither approving
    nor rejecting may act on an edit the reviewer never saw (page, API and service alike)."""
    staff_user = factory.user("staff")
    staff = signed_in(app, staff_user)
    page = f"/moderation/{published.id}"
    published.status = "pending_review"  # the page is opened while the upload itself waits
    db.session.commit()
    decision = {
        **edit_form_on(staff.get(page).get_data(as_text=True).replace("form review-actions review-decide", "form"))
    }
    assert decision["edit_version"] == ""
    published.status = "approved"  # another reviewer approves it, then the owner edits it
    db.session.commit()
    post_edit(signed_in(app, published.owner), published, title="Belum Dilihat")
    for choice in ({"decision": "approve"}, {"decision": "reject", "reason": "Tidak jelas"}):
        response = staff.post(page, data={**decision, **choice}, headers=ID)
        assert response.status_code == 303 and response.headers["Location"].endswith(page)
        assert "belum Anda lihat" in staff.get(page, headers=ID).get_data(as_text=True)
    db.session.refresh(published)
    assert published.title == "Sunrise Bukit Merese" and published.pending_changes == {"title": "Belum Dilihat"}

    client, headers = app.test_client(), {**bearer(staff_user), **ID}
    url = f"/api/v1/assets/{published.id}"
    for path, body in (("approve", {}), ("reject", {"reason": "x"})):
        refused = client.post(f"{url}/{path}", json=body, headers=headers)
        assert refused.status_code == 409 and refused.get_json()["error"] == "edit_changed"
        assert "belum Anda lihat" in refused.get_json()["message"]
    with pytest.raises(services.EditChanged):
        services.approve(published, staff_user)
    with pytest.raises(services.EditChanged):
        services.reject(published, staff_user, "x")
    db.session.rollback()
    assert published.has_pending_edit and published.title == "Sunrise Bukit Merese"
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.subject_id == published.id)) is None


def test_staff_edits_of_a_published_asset_apply_at_once(app, published, factory):
    post_edit(signed_in(app, published.owner), published, title="Fajar di Merese", credit="Foto: Baiq N.")
    client = signed_in(app, factory.user("staff"))
    db.session.refresh(published)
    # Staff set the title the owner asked for: that part no longer waits; the credit still does.
    response = post_edit(client, published, title="Fajar di Merese", license="NTB-PROMO")
    assert response.status_code == 302
    db.session.refresh(published)
    assert (published.title, published.license, published.status) == ("Fajar di Merese", "NTB-PROMO", "approved")
    assert published.pending_changes == {"credit": "Foto: Baiq N."}


# -- the API ----------------------------------------------------------------------------------


def test_api_edit_works_as_the_page_and_shows_the_pending_edit_to_owner_and_staff_only(app, published, factory):
    client, owner = app.test_client(), bearer(published.owner)
    url = f"/api/v1/assets/{published.id}"
    response = client.post(url, json={"title": "Fajar di Merese", "tags": ["pantai", "fajar"]}, headers=owner)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["title"] == "Sunrise Bukit Merese" and body["status"] == "approved"
    assert body["tags"] == ["pantai", "fajar"]  # live at once
    assert body["pending_edit"]["fields"] == {"title": "Fajar di Merese"}
    assert body["pending_edit"]["submitted_at"].endswith("Z")

    staff = bearer(factory.user("staff"))
    assert client.get(url, headers=staff).get_json()["pending_edit"]["fields"] == {"title": "Fajar di Merese"}
    for other in (bearer(factory.user("creator")), bearer(factory.user("ikm")), {}):
        assert "pending_edit" not in client.get(url, headers=other).get_json()
    assert client.post(url, json={"title": "x"}, headers=bearer(factory.user("creator"))).status_code == 404

    # Only JSON true confirms the consent: "no" would not keep a published asset's consent.
    refused = client.post(url, json={"consent": "no"}, headers=owner)
    assert refused.status_code == 422 and "consent" in refused.get_json()["errors"]
    refused = client.post(url, json={"license": "MIT"}, headers=owner)
    assert refused.status_code == 422 and "license" in refused.get_json()["errors"]

    version = body["pending_edit"]["version"]
    approved = client.post(f"{url}/approve", json={"edit_version": version}, headers=staff)
    assert approved.status_code == 200 and approved.get_json()["title"] == "Fajar di Merese"
    assert approved.get_json()["pending_edit"] is None
    again = client.post(f"{url}/approve", json={}, headers=staff)
    assert again.status_code == 409  # nothing waits any more


def test_api_withdraw_and_stale_decisions(app, published, factory):
    client, owner, staff = app.test_client(), bearer(published.owner), bearer(factory.user("staff"))
    url = f"/api/v1/assets/{published.id}"
    old = client.post(url, json={"credit": "Foto: Baiq Nurul"}, headers=owner).get_json()["pending_edit"]["version"]
    client.post(url, json={"credit": "Foto: B. Nurul"}, headers=owner)
    stale = client.post(f"{url}/reject", json={"reason": "x", "edit_version": old}, headers=staff)
    assert stale.status_code == 409 and stale.get_json()["error"] == "edit_changed"
    assert client.delete(f"{url}/pending-edit", headers=staff).status_code == 409  # staff reject instead
    withdrawn = client.delete(f"{url}/pending-edit", headers=owner)
    assert withdrawn.status_code == 200 and withdrawn.get_json()["pending_edit"] is None
    gone = client.delete(f"{url}/pending-edit", headers=owner)
    assert gone.status_code == 409 and gone.get_json()["error"] == "no_pending_edit"
    db.session.refresh(published)
    assert published.credit == "Foto: Baiq" and not published.has_pending_edit


def test_the_navigation_counts_edits_waiting(app, published, factory):
    client = signed_in(app, factory.user("staff"))
    post_edit(signed_in(app, published.owner), published, title="Fajar di Merese")
    html = client.get("/moderation", headers=ID).get_data(as_text=True)
    assert "1 aset menunggu" in html
    assert review_queue.waiting_count() == 1


def test_an_asset_id_beyond_the_database_is_not_found_for_every_method(app, factory):
    headers = bearer(factory.user("creator"))
    huge = "/api/v1/assets/7418941406854481182720"
    # The GET rule of the same path must not turn the edit's refused id into a 405.
    assert app.test_client().get(huge).status_code == 404
    assert app.test_client().post(huge, json={"title": "x"}, headers=headers).status_code == 404
