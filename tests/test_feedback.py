"""Feedback after a visit: the school is asked by mail once the visit is completed, rates it
(1 to 5, a comment) once, may change it for a while, only its coordinators may; venue managers
and staff read it per program with the right average."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from koin_media.booking import visits
from koin_media.booking.problems import BookingRefused
from koin_media.database import utcnow, write_intent
from koin_media.extensions import db
from koin_media.notifications.models import FEEDBACK_REQUEST, OutboxMessage
from koin_media.visits import feedback
from koin_media.visits.after_models import VisitFeedback

from .after_visit_helpers import completed_visit, confirmed_visit
from .booking_helpers import make_program, make_slot, make_venue, school_user, school_users
from .conftest import PASSWORD, Auth, csrf_token
from .query_count import statements_of

PUBLIC = "https://koin.contoh.id"


@pytest.fixture
def site(make_app):
    app = make_app(PUBLIC_URL=PUBLIC)
    with app.app_context():
        yield app


@pytest.fixture
def scene(site, factory):
    venue = make_venue()
    slot = make_slot(make_program(venue), starts_in=timedelta(days=5))
    manager = factory.user("venue_manager")
    venue.managers.append(manager)
    db.session.commit()
    school = school_user()
    return {"venue": venue, "slot": slot, "manager": manager, "school": school}


@pytest.fixture
def visit(scene):
    return completed_visit(scene["school"], scene["slot"], scene["manager"])


def signed_in(app, user):
    client = app.test_client()
    assert Auth(client).login(user).status_code == 302
    return client


def bearer(app, user, language="id") -> dict:
    answer = app.test_client().post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.get_json()['token']}", "Accept-Language": language}


def send_form(client, booking_id, **fields):
    path = f"/bookings/{booking_id}/feedback"
    return client.post(path, data={"csrf_token": csrf_token(client, path), **fields})


def stored() -> list[VisitFeedback]:
    db.session.rollback()
    return db.session.scalars(select(VisitFeedback).order_by(VisitFeedback.id)).all()


# -- the request, by mail ---------------------------------------------------------------------


def test_completing_a_visit_asks_its_coordinators_for_feedback_in_their_language(site, scene, factory):
    english = factory.user("school", npsn=scene["school"].school.npsn, coordinator_status="approved", locale="en")
    waiting = factory.user("school", npsn=scene["school"].school.npsn)  # not approved: hears nothing
    booking = confirmed_visit(scene["school"], scene["slot"], scene["manager"])
    with write_intent():
        visits.check_in(booking, scene["manager"], 27, 1, now=scene["slot"].starts_at)
    asking = select(OutboxMessage).where(OutboxMessage.kind == FEEDBACK_REQUEST)
    assert db.session.scalars(asking).all() == []  # at the gate the visit has only begun
    with write_intent():
        visits.complete(booking, scene["manager"], now=scene["slot"].ends_at)
    mails = {m.to_address: m for m in db.session.scalars(asking)}
    assert set(mails) == {scene["school"].email, english.email} and waiting.email not in mails
    indonesian, in_english = mails[scene["school"].email], mails[english.email]
    assert indonesian.booking_id == booking.id and indonesian.locale == "id"
    assert indonesian.subject.startswith("Terima kasih atas kunjungan ke Pertamina Mandalika")
    assert in_english.subject.startswith("Thank you for visiting Pertamina Mandalika")
    for mail in (indonesian, in_english):
        assert f"{PUBLIC}/bookings/{booking.id}/feedback" in mail.body_text
        assert f"{PUBLIC}/bookings/{booking.id}/certificate.pdf" in mail.body_text
        assert booking.school.name in mail.body_text  # the visit's facts (mail/_visit)
    assert "27 siswa dan 1 guru" in indonesian.body_text and "27 students and 1 teachers" in in_english.body_text


def test_the_job_completing_a_visit_asks_too_and_a_no_show_is_not_asked(site, scene, factory):
    booking = confirmed_visit(scene["school"], scene["slot"], scene["manager"])
    absent = confirmed_visit(school_user(start=960), scene["slot"], scene["manager"])
    with write_intent():
        visits.check_in(booking, scene["manager"], 20, 2, now=scene["slot"].starts_at)
        visits.mark_no_show(absent, scene["manager"], now=scene["slot"].ends_at)
        visits.complete_finished(now=scene["slot"].ends_at)
    asked = db.session.scalars(select(OutboxMessage.booking_id).where(OutboxMessage.kind == FEEDBACK_REQUEST)).all()
    assert asked == [booking.id]


# -- giving it --------------------------------------------------------------------------------


def test_the_school_rates_the_visit_once_and_may_change_it_for_a_while(site, scene, visit):
    client = signed_in(site, scene["school"])
    form = client.get(f"/bookings/{visit.id}/feedback")
    assert form.status_code == 200 and 'name="rating"' in form.get_data(as_text=True)
    sent = send_form(client, visit.id, rating="4", comment="Pemandu ramah, anak-anak senang.")
    assert sent.status_code == 302 and sent.headers["Location"] == f"/bookings/{visit.id}"
    changed = send_form(client, visit.id, rating="5", comment="Luar biasa.")
    assert changed.status_code == 302
    [given] = stored()
    assert (given.rating, given.comment, given.author_id) == (5, "Luar biasa.", scene["school"].id)

    # The time to change it ends FEEDBACK_EDIT_DAYS after it was first sent; then it stands.
    given.created_at = utcnow() - timedelta(days=site.config["FEEDBACK_EDIT_DAYS"], minutes=1)
    db.session.commit()
    late = send_form(client, visit.id, rating="1", comment="Diubah")
    assert late.status_code == 409 and "waktu itu sudah lewat" in late.get_data(as_text=True)
    api = site.test_client().post(
        f"/api/v1/bookings/{visit.id}/feedback", json={"rating": 1}, headers=bearer(site, scene["school"])
    )
    assert api.status_code == 409 and api.get_json()["error"] == "feedback_closed"
    [given] = stored()
    assert (given.rating, given.comment) == (5, "Luar biasa.")
    page = client.get(f"/bookings/{visit.id}/feedback").get_data(as_text=True)
    assert 'id="feedback-closed"' in page and 'name="rating"' not in page


def test_the_api_answers_201_then_200_with_the_feedback(site, scene, visit):
    headers = bearer(site, scene["school"])
    client = site.test_client()
    first = client.post(
        f"/api/v1/bookings/{visit.id}/feedback", json={"rating": 3, "comment": " Cukup. "}, headers=headers
    )
    assert first.status_code == 201
    body = first.get_json()
    assert (body["booking_id"], body["rating"], body["comment"]) == (visit.id, 3, "Cukup.")
    assert body["editable_until"].endswith("Z")
    again = client.post(f"/api/v1/bookings/{visit.id}/feedback", json={"rating": 4}, headers=headers)
    assert again.status_code == 200 and again.get_json()["rating"] == 4 and again.get_json()["comment"] == ""
    assert len(stored()) == 1


@pytest.mark.parametrize("rating", [0, 6, -1, 100, 3.5, "lima", True, None, [4]])
def test_a_rating_outside_1_to_5_is_refused(site, scene, visit, rating):
    answer = site.test_client().post(
        f"/api/v1/bookings/{visit.id}/feedback", json={"rating": rating}, headers=bearer(site, scene["school"], "en")
    )
    assert answer.status_code == 422, answer.get_json()
    assert list(answer.get_json()["errors"]) == ["rating"]
    assert stored() == []


def test_the_page_shows_a_refused_rating_next_to_the_field(site, scene, visit):
    client = signed_in(site, scene["school"])
    for rating in ("6", "0", ""):
        page = send_form(client, visit.id, rating=rating, comment="x")
        assert page.status_code == 422, rating
        assert "Pilih nilai dari 1 sampai 5." in page.get_data(as_text=True), rating
    assert stored() == []


def test_the_range_has_one_home_and_the_database_guards_it(site, scene, visit):
    with pytest.raises(BookingRefused) as refused:
        feedback.give(visit, scene["school"], 6, "")
    assert refused.value.code == "rating_invalid" and refused.value.field == "rating"
    db.session.add(VisitFeedback(booking_id=visit.id, rating=9, comment=""))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_long_comment_is_refused_and_hostile_text_is_shown_as_text(site, scene, visit):
    headers = bearer(site, scene["school"])
    client = site.test_client()
    too_long = client.post(
        f"/api/v1/bookings/{visit.id}/feedback", json={"rating": 3, "comment": "a" * 2001}, headers=headers
    )
    assert too_long.status_code == 422 and too_long.get_json()["error"] == "comment_too_long"
    control = client.post(
        f"/api/v1/bookings/{visit.id}/feedback", json={"rating": 3, "comment": "a\x00b"}, headers=headers
    )
    assert control.status_code == 422
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert (
        client.post(
            f"/api/v1/bookings/{visit.id}/feedback", json={"rating": 2, "comment": hostile}, headers=headers
        ).status_code
        == 201
    )
    for user, path in (
        (scene["manager"], f"/venues/{scene['venue'].slug}/feedback"),
        (scene["school"], f"/bookings/{visit.id}/feedback"),
    ):
        html = signed_in(site, user).get(path).get_data(as_text=True)
        assert hostile not in html and str(escape(hostile)) in html


def test_no_feedback_before_the_visit_is_completed(site, scene):
    booking = confirmed_visit(scene["school"], scene["slot"], scene["manager"])
    api = site.test_client().post(
        f"/api/v1/bookings/{booking.id}/feedback", json={"rating": 5}, headers=bearer(site, scene["school"], "en")
    )
    assert api.status_code == 409
    assert api.get_json() == {"error": "not_completed", "message": "This is available once the visit is completed."}
    client = signed_in(site, scene["school"])
    assert 'id="feedback-not-yet"' in client.get(f"/bookings/{booking.id}/feedback").get_data(as_text=True)
    assert send_form(client, booking.id, rating="5").status_code == 409
    assert stored() == []


def test_only_the_schools_coordinators_give_feedback(site, scene, visit, factory):
    npsn = scene["school"].school.npsn
    second = factory.user("school", npsn=npsn, coordinator_status="approved")
    outcomes = {
        "manager": (scene["manager"], 403),
        "staff": (factory.user("staff"), 403),
        "admin": (factory.user("admin"), 403),
        "other school": (school_user(start=970), 404),
        "waiting coordinator": (factory.user("school", npsn=npsn), 404),
        "business": (factory.user("ikm"), 403),
    }
    for who, (user, status) in outcomes.items():
        api = site.test_client().post(
            f"/api/v1/bookings/{visit.id}/feedback", json={"rating": 5}, headers=bearer(site, user)
        )
        page = signed_in(site, user).get(f"/bookings/{visit.id}/feedback")
        assert (api.status_code, page.status_code) == (status, status), who
    assert site.test_client().post(f"/api/v1/bookings/{visit.id}/feedback", json={"rating": 5}).status_code == 401
    assert stored() == []
    # Another approved coordinator of the same school speaks for it: the one feedback, changed.
    assert (
        signed_in(site, scene["school"])
        and send_form(signed_in(site, scene["school"]), visit.id, rating="2").status_code == 302
    )
    assert send_form(signed_in(site, second), visit.id, rating="3").status_code == 302
    [given] = stored()
    assert (given.rating, given.author_id) == (3, second.id)


def test_two_coordinators_sending_the_first_feedback_at_once_leave_one(site, scene, visit, factory):
    second = factory.user("school", npsn=scene["school"].school.npsn, coordinator_status="approved")
    users = {scene["school"].id: 4, second.id: 2}
    booking_id = visit.id
    db.session.remove()
    start = threading.Barrier(len(users))
    failures = []

    def send(user_id, rating):
        with site.app_context():
            try:
                start.wait()
                with write_intent():
                    feedback.give(
                        db.session.get(type(visit), booking_id),
                        db.session.get(type(scene["school"]), user_id),
                        rating,
                        "",
                    )
            except Exception as error:  # reported below
                failures.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=send, args=pair) for pair in users.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    [given] = stored()
    assert given.rating == users[given.author_id]  # the later one stands, whole


# -- reading it, per program ------------------------------------------------------------------


def test_managers_and_staff_see_feedback_per_program_with_the_right_average(site, scene, factory):
    venue, manager = scene["venue"], scene["manager"]
    racing = scene["slot"].program
    biking = make_program(venue, title="Bersepeda Gunung Aman")
    quiet = make_program(venue, title="Program Tanpa Penilaian")
    other_venue = make_venue(slug="meninting", name="Meninting Bike Park")
    elsewhere = make_program(other_venue, title="Di Tempat Lain")
    schools = school_users(5, start=800)
    plan = [
        (racing, schools[0], 5, "Sangat seru"),
        (racing, schools[1], 4, ""),
        (racing, schools[2], 2, "Terlalu panas"),
        (biking, schools[3], 1, "Sepeda kurang"),
        (elsewhere, schools[4], 5, "Tidak boleh terlihat"),
    ]
    for day, (program, school, rating, comment) in enumerate(plan, start=30):
        slot = make_slot(program, starts_in=timedelta(days=day))
        booking = completed_visit(school, slot, factory.user("staff"))
        feedback.give(booking, school, rating, comment)

    client = signed_in(site, manager)
    assert 'href="/venues/sirkuit-mandalika/feedback"' in client.get("/venues/sirkuit-mandalika/manage").get_data(
        as_text=True
    )
    page = client.get("/venues/sirkuit-mandalika/feedback")
    assert page.status_code == 200
    html = page.get_data(as_text=True)

    def row(program):
        match = re.search(rf'<tr id="program-{program.id}" data-average="([^"]*)">(.*?)</tr>', html, re.S)
        return match.group(1), " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())

    assert row(racing) == ("3.7", "Mengenal Teknologi Balap 3 3,7 / 5")  # (5 + 4 + 2) / 3, in Indonesian
    assert row(biking) == ("1.0", "Bersepeda Gunung Aman 1 1,0 / 5")
    assert row(quiet) == ("", "Program Tanpa Penilaian 0 belum ada penilaian")
    assert "Di Tempat Lain" not in html and "Tidak boleh terlihat" not in html
    for comment in ("Sangat seru", "Terlalu panas", "Sepeda kurang"):
        assert comment in html
    assert schools[2].school.name in html  # each comment with its school and date

    only_racing = client.get(f"/venues/sirkuit-mandalika/feedback?program={racing.id}").get_data(as_text=True)
    assert "Terlalu panas" in only_racing and "Sepeda kurang" not in only_racing
    assert client.get(f"/venues/sirkuit-mandalika/feedback?program={elsewhere.id}").status_code == 404
    assert client.get("/venues/sirkuit-mandalika/feedback?program=abc").status_code == 404
    assert signed_in(site, factory.user("staff")).get("/venues/sirkuit-mandalika/feedback").status_code == 200
    other_manager = factory.user("venue_manager")
    other_venue.managers.append(other_manager)
    db.session.commit()
    assert signed_in(site, other_manager).get("/venues/sirkuit-mandalika/feedback").status_code == 403
    assert signed_in(site, schools[0]).get("/venues/sirkuit-mandalika/feedback").status_code == 403
    assert site.test_client().get("/venues/sirkuit-mandalika/feedback").status_code == 302


def test_the_venue_page_asks_the_database_the_same_for_two_comments_or_six(site, scene, factory):
    """Counts and averages come grouped from the database, each comment with its school, program
    and date in the same query: no query per comment (N+1)."""
    staff = factory.user("staff")
    client = signed_in(site, scene["manager"])

    def rate(schools, first_day):
        for day, school in enumerate(schools, start=first_day):
            booking = completed_visit(school, make_slot(scene["slot"].program, starts_in=timedelta(days=day)), staff)
            feedback.give(booking, school, 1 + day % 5, f"Komentar {day}")

    def page_statements():
        db.session.expire_all()
        return len(statements_of(lambda: client.get("/venues/sirkuit-mandalika/feedback").get_data()))

    rate(school_users(2, start=600), 10)
    two = page_statements()
    rate(school_users(4, start=610), 20)
    assert page_statements() == two
    assert [row.count for row in feedback.program_summary(scene["venue"].id)] == [6]
