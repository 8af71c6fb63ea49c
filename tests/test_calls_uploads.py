"""Uploading into a call for content: the multipart protocol (as the page's script and the API
send it) and the plain form start from the call's presets and link each asset to the call; a
call that takes no uploads (past its WITA deadline day, closed, a draft) is refused in words,
an unknown one is a 404; an upload started in time finishes into the call."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from koin_media.assets import models as models_module
from koin_media.assets.calls import save_call
from koin_media.assets.models import CALL_CLOSED, CALL_DRAFT, CALL_OPEN, DRAFT, PENDING_REVIEW, Asset
from koin_media.extensions import db
from koin_media.reference.models import Regency
from koin_media.venues.models import Venue

from . import samples
from .conftest import Auth, csrf_token

DEADLINE = date(2027, 2, 14)
LAST_SECOND = datetime(2027, 2, 14, 15, 59, 59, tzinfo=UTC)  # 23:59:59 WITA on the deadline day
MIDNIGHT = datetime(2027, 2, 14, 16, 0, tzinfo=UTC)  # 00:00 WITA the day after


class Clock:
    """The calls' clock, fixed and moved by the test."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fixed = Clock(datetime(2027, 2, 10, 2, 0, tzinfo=UTC))
    monkeypatch.setattr(models_module, "utcnow", fixed)
    return fixed


@pytest.fixture
def call(storage_app, factory, clock):
    staff = factory.user("staff")
    regency = db.session.scalar(select(Regency).where(Regency.slug == "lombok-tengah"))
    venue = Venue(slug="pantai-seger", name="Pantai Seger", regency=regency)
    db.session.add(venue)
    db.session.commit()
    made = save_call(
        None,
        {
            "title": "Bau Nyale 2027",
            "brief": "Tradisi menangkap nyale.",
            "deadline": DEADLINE,
            "tags": "baunyale2027, Lombok Tengah",
            "venue": venue,
            "regency": regency,
            "license": "NTB-PROMO",
            "required_fields": [],
            "status": CALL_OPEN,
        },
        staff,
    )
    return made


def one_asset() -> Asset:
    db.session.expire_all()
    return db.session.scalar(select(Asset))


# -- the multipart protocol -----------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_a_multipart_upload_into_a_call_starts_from_its_presets(uploader, call, tmp_path, backend):
    photo = samples.jpeg(tmp_path)
    answer = uploader.upload(
        photo, {"title": "Nyale di Seger", "consent": "true", "tags": "nyale, lombok tengah", "call": call.slug}
    )
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["call"], body["details_complete"], body["missing_details"]) == (call.slug, True, [])
    asset = one_asset()
    assert asset.call_id == call.id
    assert (asset.license, asset.venue.slug, asset.regency.slug) == ("NTB-PROMO", "pantai-seger", "lombok-tengah")
    # The call's tags first, the upload's own after, each once (case aside).
    assert asset.tag_list == ["baunyale2027", "Lombok Tengah", "nyale"]
    assert asset.status == PENDING_REVIEW


@pytest.mark.parametrize("backend", ["local"])
def test_what_the_upload_sets_wins_over_a_preset(uploader, call, tmp_path, backend):
    photo = samples.jpeg(tmp_path)
    metadata = {
        "title": "Nyale",
        "consent": "true",
        "license": "CC-BY-4.0",
        "regency": "kota-mataram",
        "call": call.slug,
    }
    assert uploader.upload(photo, metadata).status_code == 200
    asset = one_asset()
    assert (asset.license, asset.regency.slug, asset.venue.slug) == ("CC-BY-4.0", "kota-mataram", "pantai-seger")


@pytest.mark.parametrize("backend", ["local"])
def test_the_deadline_is_the_end_of_its_day_in_wita(uploader, call, clock, tmp_path, backend):
    photo = samples.jpeg(tmp_path)
    clock.now = LAST_SECOND
    assert uploader.create(photo, {"title": "Tepat waktu", "call": call.slug}).status_code == 200
    clock.now = MIDNIGHT
    late = samples.jpeg(tmp_path / "late.jpg")
    answer = uploader.create(late, {"title": "Terlambat", "call": call.slug})
    assert answer.status_code == 409
    body = answer.get_json()
    assert body["error"] == "call_deadline_passed"
    assert body["message"] == (
        "Batas waktu panggilan “Bau Nyale 2027” adalah 14 Februari 2027; panggilan ini tidak menerima unggahan lagi."
    )
    assert db.session.query(Asset).count() == 1


@pytest.mark.parametrize("backend", ["local"])
def test_an_upload_started_in_time_finishes_into_the_call(uploader, call, clock, tmp_path, backend):
    photo = samples.jpeg(tmp_path)
    clock.now = LAST_SECOND
    created = uploader.create(photo, {"title": "Nyale", "consent": "true", "call": call.slug}).get_json()
    parts = uploader.send_parts(created, photo)
    clock.now = MIDNIGHT + timedelta(minutes=5)
    answer = uploader.client.post(
        f"/uploads/s3/multipart/{created['uploadId']}/complete",
        query_string={"key": created["key"]},
        json={"parts": parts, "metadata": {"title": "Nyale", "consent": "true", "call": call.slug, "license": ""}},
        headers=uploader.headers,
    )
    assert answer.status_code == 200, answer.get_json()
    asset = one_asset()
    assert (asset.call_id, asset.license, asset.status) == (call.id, "NTB-PROMO", PENDING_REVIEW)


@pytest.mark.parametrize("backend", ["local"])
def test_an_upload_started_in_time_resumes_after_the_deadline(uploader, call, clock, tmp_path, backend):
    photo = samples.jpeg(tmp_path)
    clock.now = LAST_SECOND
    created = uploader.create(photo, {"title": "Nyale", "call": call.slug}).get_json()
    clock.now = MIDNIGHT  # the connection dropped; the same file is added again
    again = uploader.create(photo, {"title": "Nyale", "call": call.slug})
    assert again.status_code == 200 and again.get_json()["resumed"] is True
    assert again.get_json()["uploadId"] == created["uploadId"]
    other = samples.jpeg(tmp_path / "other.jpg", size=(320, 240))
    assert uploader.create(other, {"title": "Baru", "call": call.slug}).status_code == 409


@pytest.mark.parametrize("backend", ["local"])
def test_a_closed_call_takes_no_upload(uploader, call, tmp_path, backend):
    call.status = CALL_CLOSED
    db.session.commit()
    answer = uploader.create(samples.jpeg(tmp_path), {"title": "Nyale", "call": call.slug})
    assert answer.status_code == 409
    assert answer.get_json()["error"] == "call_closed"
    assert "sudah ditutup dan tidak menerima unggahan lagi" in answer.get_json()["message"]
    assert db.session.query(Asset).count() == 0


@pytest.mark.parametrize("backend", ["local"])
def test_a_draft_call_is_not_found_by_its_slug_for_a_creator(uploader, call, tmp_path, backend):
    """A draft is the office's until it opens: its slug answers as no call at all, so an upload
    cannot tell that it exists."""
    call.status = CALL_DRAFT
    db.session.commit()
    answer = uploader.create(samples.jpeg(tmp_path), {"title": "Nyale", "call": call.slug})
    assert answer.status_code == 404 and "Bau Nyale" not in answer.get_data(as_text=True)
    assert db.session.query(Asset).count() == 0


@pytest.mark.parametrize("backend", ["local"])
def test_an_unknown_or_malformed_call_is_refused(uploader, call, tmp_path, backend):
    photo = samples.jpeg(tmp_path)
    assert uploader.create(photo, {"title": "Nyale", "call": "tidak-ada"}).status_code == 404
    assert uploader.create(photo, {"title": "Nyale", "call": "x" * 500}).status_code == 404
    for wrong in (7, ["bau-nyale-2027"], {"slug": "bau-nyale-2027"}, True):
        answer = uploader.create(photo, {"title": "Nyale", "call": wrong})
        assert answer.status_code == 422, wrong
        assert answer.get_json()["errors"] == {"call": ["Sebutkan panggilan dengan slug-nya, sebagai teks."]}
    assert db.session.query(Asset).count() == 0


@pytest.mark.parametrize("backend", ["local"])
def test_a_call_naming_another_at_complete_is_judged_afresh(uploader, call, tmp_path, backend):
    other = save_call(
        None,
        {"title": "Lebaran Topat", "deadline": date(2027, 1, 1), "license": "CC-BY-4.0", "status": None},
        call.created_by,
    )
    other.status = CALL_OPEN  # past its deadline
    db.session.commit()
    photo = samples.jpeg(tmp_path)
    created = uploader.create(photo, {"title": "Nyale", "call": call.slug}).get_json()
    parts = uploader.send_parts(created, photo)
    answer = uploader.client.post(
        f"/uploads/s3/multipart/{created['uploadId']}/complete",
        query_string={"key": created["key"]},
        json={"parts": parts, "metadata": {"call": other.slug}},
        headers=uploader.headers,
    )
    assert answer.status_code == 409 and answer.get_json()["error"] == "call_deadline_passed"
    assert one_asset().call_id == call.id


@pytest.mark.parametrize("backend", ["local"])
def test_required_fields_leave_an_upload_a_draft_and_complete_says_which(uploader, call, tmp_path, backend):
    call.required_fields = ["description", "credit"]
    db.session.commit()
    answer = uploader.upload(samples.jpeg(tmp_path), {"title": "Nyale", "consent": "true", "call": call.slug})
    body = answer.get_json()
    assert (body["details_complete"], body["missing_details"]) == (False, ["description", "credit"])
    assert one_asset().status == DRAFT


# -- the page and the plain form --------------------------------------------------------------


@pytest.fixture
def page_client(storage_app, creator):
    client = storage_app.test_client()
    Auth(client).login(creator)
    return client


@pytest.mark.parametrize("backend", ["local"])
def test_the_upload_page_starts_from_the_calls_presets(page_client, call, backend):
    page = page_client.get(f"/upload?call={call.slug}").get_data(as_text=True)
    assert 'id="call-note"' in page and "Untuk panggilan “Bau Nyale 2027”" in page and "Batas 14 Feb 2027" in page
    assert f'data-call="{call.slug}"' in page and 'data-call-tags="baunyale2027, Lombok Tengah"' in page
    assert '<option selected value="NTB-PROMO">' in page  # the batch licence and the plain form's
    assert '<option selected value="pantai-seger">' in page and '<option selected value="lombok-tengah">' in page
    assert f'action="/upload?call={call.slug}"' in page
    assert 'value="baunyale2027, Lombok Tengah"' in page  # the plain form's tags


@pytest.mark.parametrize("backend", ["local"])
def test_the_upload_page_of_a_call_that_takes_no_uploads_says_why(page_client, call, clock, backend):
    assert page_client.get("/upload?call=tidak-ada").status_code == 404
    clock.now = MIDNIGHT
    answer = page_client.get(f"/upload?call={call.slug}")
    assert answer.status_code == 409
    assert "tidak menerima unggahan lagi" in answer.get_data(as_text=True)


@pytest.mark.parametrize("backend", ["local"])
def test_the_plain_form_uploads_into_the_call(page_client, call, clock, tmp_path, backend):
    photo = samples.jpeg(tmp_path)

    def send(path: str):
        return page_client.post(
            path,
            data={
                "file": (photo.open("rb"), "nyale.jpg", "image/jpeg"),
                "title": "Nyale fajar",
                "tags": "fajar",
                "consent": "y",
                "license": "",
                "csrf_token": csrf_token(page_client, "/upload"),
            },
            content_type="multipart/form-data",
        )

    assert send(f"/upload?call={call.slug}").status_code == 302
    asset = one_asset()
    assert (asset.call_id, asset.license, asset.venue.slug, asset.status) == (
        call.id,
        "NTB-PROMO",
        "pantai-seger",
        PENDING_REVIEW,
    )
    assert asset.tag_list == ["baunyale2027", "Lombok Tengah", "fajar"]
    clock.now = MIDNIGHT
    late = send(f"/upload?call={call.slug}")
    assert late.status_code == 409 and "tidak menerima unggahan lagi" in late.get_data(as_text=True)
    assert db.session.query(Asset).count() == 1
