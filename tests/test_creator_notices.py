"""Creators are told what happened: a moderation decision reaches them as an e-mail in their
language and as a notice on the site (/my/notices, the API, a count in the navigation); a
weekly digest says which businesses downloaded what, once per week even when two workers send
it; the credit line names the community once and has a copy button."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from koin_media.accounts.services import create_token
from koin_media.assets import services
from koin_media.assets.models import PENDING_REVIEW, Asset, AssetDownload
from koin_media.database import utcnow, write_intent
from koin_media.extensions import db
from koin_media.localtime import LOCAL
from koin_media.notifications import digest, jobs
from koin_media.notifications.models import (
    ASSET_APPROVED,
    ASSET_DIGEST,
    ASSET_REJECTED,
    DownloadDigest,
    Notice,
    OutboxMessage,
)
from koin_media.notifications.notices import add_notice
from koin_media.reference.models import Community

from .asset_helpers import approved_asset
from .conftest import PASSWORD, csrf_token

PUBLIC = "https://koin.test"


@pytest.fixture
def notice_app(make_app):
    app = make_app(PUBLIC_URL=PUBLIC)
    with app.app_context():
        yield app


def pending_asset(owner, title: str = "Tenun Sukarara di Pagi Hari") -> Asset:
    asset = approved_asset(owner, title)
    asset.status, asset.approved_at, asset.submitted_at = PENDING_REVIEW, None, utcnow()
    db.session.commit()
    return asset


def mails(kind: str | None = None, to: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    if to:
        query = query.where(OutboxMessage.to_address == to)
    return list(db.session.scalars(query))


def notices_of(user) -> list[Notice]:
    return list(db.session.scalars(select(Notice).where(Notice.user_id == user.id).order_by(Notice.id)))


def log_in(client, user):
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client, "/login")}
    )
    assert response.status_code in (302, 303), response.status_code


# -- the decision reaches the creator ---------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "subject", "line"),
    [
        (None, "Aset Anda sudah tayang: Tenun Sukarara di Pagi Hari", "Staf KOIN Media telah menyetujui"),
        ("en", "Your asset is published: Tenun Sukarara di Pagi Hari", "KOIN Media staff have approved"),
    ],
)
def test_approval_mails_the_creator_in_their_language_and_leaves_a_notice(notice_app, factory, locale, subject, line):
    creator = factory.user("creator", locale=locale)
    asset = pending_asset(creator)
    services.approve(asset, factory.user("staff"))

    [mail] = mails(ASSET_APPROVED)
    assert (mail.to_address, mail.subject, mail.locale) == (creator.email, subject, locale or "id")
    assert line in mail.body_text and f"{PUBLIC}/assets/{asset.id}" in mail.body_text
    [notice] = notices_of(creator)
    assert (notice.kind, notice.asset_id, notice.read_at) == (ASSET_APPROVED, asset.id, None)
    assert notice.params["title"] == "Tenun Sukarara di Pagi Hari"


@pytest.mark.parametrize(
    ("locale", "subject", "reason_line"),
    [
        (None, "Aset Anda belum dapat ditayangkan: Tenun Sukarara di Pagi Hari", "Alasan: Wajah anak terlihat jelas."),
        ("en", "Your asset could not be published: Tenun Sukarara di Pagi Hari", "Reason: Wajah anak terlihat jelas."),
    ],
)
def test_rejection_mails_the_reason_and_the_notice_shows_it(notice_app, factory, locale, subject, reason_line):
    creator = factory.user("creator", locale=locale)
    asset = pending_asset(creator)
    services.reject(asset, factory.user("staff"), "Wajah anak terlihat jelas.")

    [mail] = mails(ASSET_REJECTED)
    assert (mail.to_address, mail.subject) == (creator.email, subject)
    assert reason_line in mail.body_text and f"{PUBLIC}/assets/{asset.id}" in mail.body_text
    [notice] = notices_of(creator)
    assert (notice.kind, notice.params["reason"]) == (ASSET_REJECTED, "Wajah anak terlihat jelas.")

    client = notice_app.test_client()
    log_in(client, creator)
    page = client.get("/my/notices").get_data(as_text=True)
    expected = (
        "“Tenun Sukarara di Pagi Hari” was not published. Reason: Wajah anak terlihat jelas."
        if locale == "en"
        else "“Tenun Sukarara di Pagi Hari” tidak ditayangkan. Alasan: Wajah anak terlihat jelas."
    )
    assert expected in page and f'href="/assets/{asset.id}"' in page


def test_a_decision_on_an_edit_says_the_published_version_stays(notice_app, factory):
    creator = factory.user("creator")
    asset = approved_asset(creator, "Pantai Mawun")
    staff = factory.user("staff")
    asset.pending_changes, asset.edit_submitted_at = {"title": "Pantai Mawun Senja"}, utcnow()
    db.session.commit()
    services.approve(asset, staff, edit_version=asset.pending_edit_version)
    asset.pending_changes, asset.edit_submitted_at = {"title": "Mawun"}, utcnow()
    db.session.commit()
    services.reject(asset, staff, "Judul terlalu pendek.", edit_version=asset.pending_edit_version)

    approved, rejected = mails()
    assert approved.subject == "Perubahan aset Anda sudah tayang: Pantai Mawun Senja"
    assert rejected.subject == "Perubahan aset Anda tidak diterima: Pantai Mawun Senja"
    assert (
        "Versi yang sudah tayang tetap tampil" in rejected.body_text
        and "Alasan: Judul terlalu pendek." in rejected.body_text
    )
    client = notice_app.test_client()
    log_in(client, creator)
    page = client.get("/my/notices").get_data(as_text=True)
    assert "Perubahan Anda pada “Pantai Mawun Senja” disetujui dan sudah tayang." in page
    refused = "Perubahan Anda pada “Pantai Mawun Senja” tidak diterima; versi yang sudah tayang tetap."
    assert f"{refused} Alasan: Judul terlalu pendek." in page


def test_a_refused_decision_tells_nobody(notice_app, factory):
    """Only a decision that happens is announced: a second decision on a decided asset is refused
    and writes neither a notice nor a mail."""
    creator = factory.user("creator")
    asset = pending_asset(creator)
    staff = factory.user("staff")
    services.approve(asset, staff)
    with pytest.raises(services.NotWaitingForReview):
        services.reject(asset, staff, "terlambat")
    db.session.rollback()
    assert [m.kind for m in mails()] == [ASSET_APPROVED] and len(notices_of(creator)) == 1


def test_a_deactivated_creator_gets_the_notice_but_no_mail(notice_app, factory):
    creator = factory.user("creator", active=False)
    services.approve(pending_asset(creator), factory.user("staff"))
    assert mails() == [] and [n.kind for n in notices_of(creator)] == [ASSET_APPROVED]


def test_the_api_decision_notifies_too(notice_app, factory):
    creator = factory.user("creator")
    asset = pending_asset(creator)
    _token, plain = create_token(factory.user("staff"), "staff")
    client = notice_app.test_client()
    response = client.post(
        f"/api/v1/assets/{asset.id}/reject",
        json={"reason": "Tanpa izin lokasi."},
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert response.status_code == 200, response.get_json()
    assert [m.kind for m in mails(to=creator.email)] == [ASSET_REJECTED]
    assert notices_of(creator)[0].params["reason"] == "Tanpa izin lokasi."


# -- the notices page --------------------------------------------------------------------------


def test_notices_need_a_signed_in_user(notice_app):
    client = notice_app.test_client()
    response = client.get("/my/notices")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/api/v1/notices").status_code == 401
    stranger = {"Authorization": "Bearer koin_not-a-token"}
    assert notice_app.test_client().post("/api/v1/notices/read", headers=stranger).status_code == 401


def test_each_person_sees_only_their_own_notices(notice_app, factory):
    mine, theirs = factory.user("creator"), factory.user("creator")
    approved_mine = approved_asset(mine, "Sasak Ende")
    approved_theirs = approved_asset(theirs, "Rahasia Dapur Bu Inaq")
    add_notice(mine, ASSET_APPROVED, approved_mine, title="Sasak Ende")
    add_notice(theirs, ASSET_REJECTED, approved_theirs, title="Rahasia Dapur Bu Inaq", reason="Alasan pribadi")
    db.session.commit()

    client = notice_app.test_client()
    log_in(client, mine)
    page = client.get("/my/notices").get_data(as_text=True)
    assert "Sasak Ende" in page and "Rahasia Dapur" not in page and "Alasan pribadi" not in page
    _token, plain = create_token(mine, "phone")
    listed = client.get("/api/v1/notices", headers={"Authorization": f"Bearer {plain}"}).get_json()
    assert [item["text"] for item in listed["items"]] == [
        "“Sasak Ende” sudah tayang: kini ada di katalog dan dapat ditemukan semua orang."
    ]
    # Marking "all" read marks only the caller's: the other creator's notice stays unread.
    client.post("/my/notices/read", data={"csrf_token": csrf_token(client, "/my/notices")})
    client.post("/api/v1/notices/read", headers={"Authorization": f"Bearer {plain}"})
    assert notices_of(theirs)[0].read_at is None


def test_viewing_marks_read_and_the_navigation_counts_what_is_left(notice_app, factory):
    creator = factory.user("creator")
    asset = approved_asset(creator, "Bau Nyale")
    base = utcnow() - timedelta(days=1)
    for number in range(25):
        add_notice(creator, ASSET_APPROVED, asset, now=base + timedelta(minutes=number), title=f"Aset {number}")
    db.session.commit()

    client = notice_app.test_client()
    log_in(client, creator)
    assert 'href="/my/notices">Pemberitahuan <span class="badge"' in client.get("/my/assets").get_data(as_text=True)
    assert ">25</span>" in client.get("/my/assets").get_data(as_text=True)

    first = client.get("/my/notices").get_data(as_text=True)
    assert first.count('class="notice unread"') == 20  # still shown as new on this view
    assert "Aset 24" in first and "Aset 4”" not in first  # newest first, 20 a page
    assert ">5</span>" in first  # the badge already counts only what this view did not show
    again = client.get("/my/notices").get_data(as_text=True)
    assert 'class="notice unread"' not in again

    second = client.get("/my/notices?page=2").get_data(as_text=True)
    assert second.count('class="notice unread"') == 5 and "Aset 0”" in second
    assert 'class="badge"' not in client.get("/my/notices").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Notice).where(Notice.read_at.is_(None))) == 0


def test_mark_all_read_stops_at_the_newest_notice_the_page_knew(notice_app, factory):
    creator = factory.user("creator")
    asset = approved_asset(creator, "Gendang Beleq")
    older = [add_notice(creator, ASSET_APPROVED, asset, title=f"Lama {n}") for n in range(22)]
    db.session.commit()

    client = notice_app.test_client()
    log_in(client, creator)
    page = client.get("/my/notices?page=2").get_data(as_text=True)  # 2 read here, 20 left
    assert f'name="up_to" value="{older[-1].id}"' in page
    newer = add_notice(creator, ASSET_REJECTED, asset, title="Baru", reason="x")  # arrives meanwhile
    db.session.commit()
    response = client.post(
        "/my/notices/read", data={"up_to": str(older[-1].id), "csrf_token": csrf_token(client, "/my/notices?page=2")}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/my/notices")
    db.session.expire_all()
    assert [n.id for n in notices_of(creator) if n.read_at is None] == [newer.id]
    # Without the page's CSRF token nothing changes.
    assert client.post("/my/notices/read", data={"up_to": str(newer.id)}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Notice, newer.id).read_at is None


def test_a_notice_reads_in_the_language_chosen_now_and_survives_its_asset(notice_app, factory):
    creator = factory.user("creator")
    asset = pending_asset(creator, "Peresean")
    services.reject(asset, factory.user("staff"), "Gambar buram.")
    services.delete_asset(asset, creator)

    client = notice_app.test_client()
    log_in(client, creator)
    client.post("/language", data={"locale": "en", "next": "/my/notices", "csrf_token": csrf_token(client)})
    page = client.get("/my/notices").get_data(as_text=True)
    assert "“Peresean” was not published. Reason: Gambar buram." in page
    assert "/assets/" not in page.split('id="notices"')[1].split("</ol>")[0]  # no link to a deleted asset


def test_api_lists_without_marking_and_marks_on_request(notice_app, factory):
    creator = factory.user("creator", locale="en")
    asset = pending_asset(creator, "Pantai Pink")
    services.approve(asset, factory.user("staff"))
    _token, plain = create_token(creator, "phone")
    headers = {"Authorization": f"Bearer {plain}"}
    client = notice_app.test_client()

    listed = client.get("/api/v1/notices", headers=headers).get_json()
    assert listed["unread"] == 1 and listed["total"] == 1 and listed["page"] == 1
    [item] = listed["items"]
    assert item["kind"] == ASSET_APPROVED and item["url"] == f"http://localhost/assets/{asset.id}"
    assert item["text"] == "“Pantai Pink” is published: it is in the catalogue for everyone to find."
    assert item["read_at"] is None and item["created_at"].endswith("Z")
    assert client.get("/api/v1/notices", headers=headers).get_json()["unread"] == 1  # listing marks nothing
    assert client.get("/api/v1/notices?per_page=0", headers=headers).status_code == 400

    assert client.post("/api/v1/notices/read", headers=headers).get_json() == {"unread": 0}
    assert client.get("/api/v1/notices", headers=headers).get_json()["items"][0]["read_at"].endswith("Z")


# -- the weekly digest -------------------------------------------------------------------------


def week_day(week_start: date, days: int, hour: int = 10) -> datetime:
    """A moment ``days`` after the Monday ``week_start``, at ``hour`` WITA, in UTC."""
    return datetime.combine(week_start + timedelta(days=days), time(hour), tzinfo=LOCAL).astimezone(UTC)


def download(asset, user, when: datetime, business: str | None = None) -> None:
    db.session.add(
        AssetDownload(asset_id=asset.id, user_id=user.id, business_name=business, variant="web", created_at=when)
    )
    db.session.commit()


@pytest.fixture
def week():
    return digest.last_week()


def test_digest_names_businesses_and_counts_for_last_week_only(notice_app, factory, week):
    creator = factory.user("creator", name="Baiq Nurul")
    tenun, kopi = approved_asset(creator, "Tenun Sukarara"), approved_asset(creator, "Kopi Sembalun")
    sukarara = factory.user("ikm", business_name="Tenun Sukarara Jaya")
    sembalun = factory.user("ikm", business_name="Kopi Sembalun Lestari")
    school = factory.user("school")
    for _ in range(2):
        download(kopi, sembalun, week_day(week, 0, hour=0), "Kopi Sembalun Lestari")  # Monday just after midnight WITA
    download(kopi, sukarara, week_day(week, 6, hour=23), "Tenun Sukarara Jaya")  # Sunday late
    download(kopi, school, week_day(week, 3))  # someone signed in without a business
    download(tenun, sukarara, week_day(week, 2), "Tenun Sukarara Jaya")
    download(tenun, sukarara, week_day(week, -1), "Tenun Sukarara Jaya")  # the Sunday before: another week
    download(tenun, sukarara, week_day(week, 7, hour=0), "Tenun Sukarara Jaya")  # this week: not yet
    download(tenun, creator, week_day(week, 4))  # the creator's own download does not count

    report = digest.send_digests(week)
    assert (report.sent, report.already_sent) == (1, 0)
    [mail] = mails(ASSET_DIGEST)
    assert mail.to_address == creator.email and mail.subject.startswith("Unduhan aset Anda minggu lalu: 5 kali (")
    body = mail.body_text
    assert "“Kopi Sembalun”: 4 unduhan" in body and "“Tenun Sukarara”: 1 unduhan" in body
    assert body.index("Kopi Sembalun”") < body.index("Tenun Sukarara”")  # most downloaded first
    kopi_part = body.split("“Kopi Sembalun”")[1].split("“Tenun Sukarara”")[0]
    assert "- Kopi Sembalun Lestari: 2" in kopi_part and "- Tenun Sukarara Jaya: 1" in kopi_part
    assert "- Pengguna lain yang masuk (tanpa nama usaha): 1" in kopi_part
    assert f"{PUBLIC}/assets/{kopi.id}/downloads" in kopi_part
    row = db.session.scalar(select(DownloadDigest))
    assert (row.user_id, row.week_start, row.downloads) == (creator.id, week, 5)


def test_digest_is_in_the_creator_language(notice_app, factory, week):
    creator = factory.user("creator", locale="en")
    asset = approved_asset(creator, "Pantai Kuta")
    download(asset, factory.user("ikm", business_name="Warung Kopi Kuta"), week_day(week, 1), "Warung Kopi Kuta")
    digest.send_digests(week)
    [mail] = mails(ASSET_DIGEST)
    assert mail.subject.startswith("Downloads of your assets last week: 1 (") and mail.locale == "en"
    assert "“Pantai Kuta”: 1 download\n  - Warung Kopi Kuta: 1" in mail.body_text


def test_a_week_without_downloads_sends_nothing(notice_app, factory, week):
    creator = factory.user("creator")
    asset = approved_asset(creator, "Sepi")
    download(asset, factory.user("ikm"), week_day(week, -2), "Tenun Sukarara")  # the week before
    assert digest.send_digests(week).sent == 0
    assert mails() == [] and db.session.scalar(select(func.count()).select_from(DownloadDigest)) == 0


def test_digest_goes_once_per_week_and_only_for_finished_weeks(notice_app, factory, week):
    creator = factory.user("creator")
    asset = approved_asset(creator, "Mandalika")
    ikm = factory.user("ikm")
    download(asset, ikm, week_day(week, 1), "Tenun Sukarara")
    assert digest.send_digests(week).sent == 1
    again = digest.send_digests(week)
    assert (again.sent, again.already_sent) == (0, 1) and len(mails(ASSET_DIGEST)) == 1
    # The periodic job sends last week's (already sent) and nothing else.
    assert jobs.send_weekly_digests.call_local() == 0 and len(mails(ASSET_DIGEST)) == 1
    with pytest.raises(digest.WeekNotOver):
        digest.send_digests(week + timedelta(days=7))  # the current week is not over


def test_two_workers_at_once_send_one_digest(notice_app, factory, week):
    creator = factory.user("creator")
    asset = approved_asset(creator, "Gili Trawangan")
    download(asset, factory.user("ikm"), week_day(week, 2), "Tenun Sukarara")
    barrier = threading.Barrier(2)

    def run(_n):
        with notice_app.app_context():
            try:
                barrier.wait()
                with write_intent():
                    report = digest.send_digests(week)
                return (report.sent, report.already_sent)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = sorted(pool.map(run, range(2)))
    assert results == [(0, 1), (1, 0)]
    db.session.expire_all()
    assert len(mails(ASSET_DIGEST)) == 1
    assert db.session.scalar(select(func.count()).select_from(DownloadDigest)) == 1


def test_send_digest_command(notice_app, factory, week):
    creator = factory.user("creator")
    asset = approved_asset(creator, "Rinjani")
    download(asset, factory.user("ikm"), week_day(week, 5), "Tenun Sukarara")
    runner = notice_app.test_cli_runner()
    result = runner.invoke(args=["send-digest"])
    assert result.exit_code == 0, result.output
    assert (
        f"Download digest for {week:%Y-%m-%d} to {week + timedelta(days=6):%Y-%m-%d}: 1 sent, 0 had it" in result.output
    )
    result = runner.invoke(args=["send-digest", "--week", f"{week + timedelta(days=3):%Y-%m-%d}"])
    assert "0 sent, 1 had it already" in result.output
    this_week = runner.invoke(args=["send-digest", "--week", utcnow().astimezone(LOCAL).date().isoformat()])
    assert this_week.exit_code != 0 and "not over yet" in this_week.output
    assert len(mails(ASSET_DIGEST)) == 1


# -- the credit line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credit", "expected"),
    [
        ("Baiq / Lombok Phonegraphy", "Baiq / Lombok Phonegraphy"),
        ("Baiq / lombok  PHONEGRAPHY", "Baiq / lombok PHONEGRAPHY"),
        ("Baiq, Lombok Phonegraphy", "Baiq, Lombok Phonegraphy"),
        ("Lombok Phonegraphy", "Lombok Phonegraphy"),
        ("Baiq", "Baiq / Lombok Phonegraphy"),
        ("Lombok Phonegraphy Crew", "Lombok Phonegraphy Crew / Lombok Phonegraphy"),  # whole parts only
        ("", "Baiq Nurul / Lombok Phonegraphy"),  # no credit: the creator's name
    ],
)
def test_credit_line_names_the_community_once(notice_app, factory, credit, expected):
    creator = factory.user("creator", name="Baiq Nurul")
    asset = approved_asset(creator, "Tenun", credit=credit)
    assert asset.credit_line == f"Tenun — {expected}, CC-BY-4.0 (KOIN Media NTB)"


def test_credit_line_without_a_community(notice_app, factory):
    creator = factory.user("creator")
    asset = approved_asset(creator, "Tenun", credit="Baiq", community=None)
    assert asset.credit_line == "Tenun — Baiq, CC-BY-4.0 (KOIN Media NTB)"


def test_asset_page_shows_the_credit_as_text_with_a_copy_button(notice_app, factory):
    community = db.session.scalar(select(Community).where(Community.slug == "lombok-phonegraphy"))
    asset = approved_asset(factory.user("creator"), "Tenun", credit=f"Baiq / {community.name}")
    page = notice_app.test_client().get(f"/assets/{asset.id}").get_data(as_text=True)
    assert (
        '<p class="credit-text" id="credit-line">Tenun — Baiq / Lombok Phonegraphy, CC-BY-4.0 (KOIN Media NTB)</p>'
        in page
    )
    assert 'data-copy="credit-line"' in page and ">Salin</button>" in page and 'data-copied="Tersalin"' in page
    assert "js/copy.js" in page


@pytest.mark.browser
def test_copy_button_copies_the_credit_line_on_a_phone(make_app, live_server, browser, factory):
    app = make_app()
    with app.app_context():
        asset = approved_asset(factory.user("creator"), "Tenun Sukarara", credit="Baiq / Lombok Phonegraphy")
        asset_id, credit_line = asset.id, asset.credit_line
    server = live_server(app)
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="id-ID", permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}/assets/{asset_id}")

    button = page.locator("button[data-copy=credit-line]")
    assert button.is_visible() and button.inner_text() == "Salin"
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    button.click()
    page.locator("#copied-line", has_text="Tersalin").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == credit_line
    assert credit_line.count("Lombok Phonegraphy") == 1
    assert errors == []
    context.close()
