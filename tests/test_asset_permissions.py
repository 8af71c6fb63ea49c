"""Who may see, manage, review and download an asset: one home (``Asset.visible_to``,
``managed_by``, ``reviewable_by``, ``downloadable_by``) that the page, its buttons, the API and
the lookup all follow."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from koin_media.assets import services
from koin_media.assets.models import Asset
from koin_media.audit import AuditEvent
from koin_media.extensions import db

from .conftest import Auth, csrf_token
from .test_trust_small import bearer, stored_asset

STATUSES = ["approved", "pending_review", "rejected", "draft", "failed", "archived"]
PEOPLE = ["anonymous", "owner", "other creator", "ikm", "staff", "admin"]


def expected(status: str, who: str) -> dict:
    manages = who in ("owner", "staff", "admin")
    return {
        "visible": status == "approved" or manages,
        "manage": manages,
        "review": who in ("staff", "admin") and status == "pending_review",
        "download": status == "approved" and who != "anonymous",
    }


@pytest.fixture
def people(factory):
    owner = factory.user("creator")
    return {
        "anonymous": None,
        "owner": owner,
        "other creator": factory.user("creator", email="other@example.id"),
        "ikm": factory.user("ikm"),
        "staff": factory.user("staff"),
        "admin": factory.user("admin"),
    }


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("who", PEOPLE)
def test_the_page_the_api_and_the_model_agree(app, people, status, who):
    asset = stored_asset(people["owner"], status=status)
    user, want = people[who], expected(status, who)
    anonymous = app.login_manager.anonymous_user()
    subject = user or anonymous
    assert {
        "visible": asset.visible_to(subject),
        "manage": asset.managed_by(subject),
        "review": asset.reviewable_by(subject),
        "download": asset.downloadable_by(subject),
    } == want

    client = app.test_client()
    if user:
        Auth(client).login(user)
    page = client.get(f"/assets/{asset.id}")
    api = client.get(f"/api/v1/assets/{asset.id}", headers=bearer(user) if user else {})
    assert page.status_code == api.status_code == (200 if want["visible"] else 404)
    edit = client.get(f"/assets/{asset.id}/edit")
    assert edit.status_code == (200 if want["manage"] else 302 if user is None else 404)
    if not want["visible"]:
        return
    html = page.get_data(as_text=True)
    assert (f'href="/assets/{asset.id}/edit"' in html) == want["manage"]
    assert (f'href="/moderation/{asset.id}"' in html) == want["review"]
    assert ('name="accept_license"' in html) == want["download"]
    assert ("rejection_reason" in api.get_json()) == want["manage"]


def test_the_lookup_hides_what_a_user_may_not_manage(app, people):
    """A creator's POST to delete another's asset is a 404 and deletes nothing."""
    asset = stored_asset(people["owner"], status="approved")
    client = app.test_client()
    Auth(client).login(people["other creator"])
    token = csrf_token(client, f"/assets/{asset.id}")
    assert client.post(f"/assets/{asset.id}/delete", data={"csrf_token": token}).status_code == 404
    assert db.session.get(type(asset), asset.id) is not None


@pytest.mark.parametrize("status", ["approved", "rejected", "draft"])
def test_a_decision_on_an_asset_not_waiting_for_review_is_refused_by_the_service(app, people, status):
    """The page, the API and any other caller meet the same refusal: nothing changes."""
    asset = stored_asset(people["owner"], status=status)
    staff = people["staff"]
    for decide in (lambda: services.approve(asset, staff), lambda: services.reject(asset, staff, "x")):
        with pytest.raises(services.NotWaitingForReview):
            decide()
        db.session.rollback()
        assert db.session.get(Asset, asset.id).status == status
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_only_staff_decide_even_through_the_service(app, people):
    asset = stored_asset(people["owner"], status="pending_review")
    with pytest.raises(services.NotWaitingForReview):
        services.approve(asset, people["owner"])
    db.session.rollback()
    assert db.session.get(Asset, asset.id).status == "pending_review"
