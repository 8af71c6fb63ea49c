from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from flask_babel import force_locale

from koin_media.i18n import wita_datetime

from .conftest import csrf_token


def test_home_page_is_indonesian_by_default(client):
    response = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="id">' in html
    assert "Media promosi untuk industri NTB" in html


def test_english_is_one_click_away_and_remembered(client):
    response = client.post("/language", data={"locale": "en", "next": "/register", "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/register"
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Promotion media for the industries of NTB" in html


def test_language_choice_is_kept_on_the_account(app, auth, factory):
    user = factory.user("ikm")
    client = app.test_client()
    from .conftest import Auth

    Auth(client).login(user)
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client)})
    assert user.locale == "en"
    other_device = app.test_client()
    Auth(other_device).login(user)
    assert "My account" in other_device.get("/account").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    client.post("/language", data={"locale": "fr", "csrf_token": csrf_token(client)})
    assert '<html lang="id">' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("locale", "title"),
    [("id", "Halaman tidak ditemukan"), ("en", "Page not found")],
)
def test_error_pages_in_both_languages(client, locale, title):
    client.post("/language", data={"locale": locale, "csrf_token": csrf_token(client)})
    response = client.get("/tidak-ada-di-sini")
    assert response.status_code == 404
    assert title in response.get_data(as_text=True)


def test_json_errors_follow_accept_language(client):
    indonesian = client.get("/api/v1/me").get_json()["message"]
    english = client.get("/api/v1/me", headers={"Accept-Language": "en"}).get_json()["message"]
    assert indonesian == "Anda perlu masuk untuk melakukan ini."
    assert english == "You need to log in to do this."


def test_times_are_shown_in_wita(app):
    moment = datetime(2026, 11, 28, 16, 30, tzinfo=UTC)  # 00:30 the next day in Lombok
    with app.test_request_context("/"), force_locale("id"):
        shown = wita_datetime(moment)
    assert "29 Nov 2026" in shown and "00.30" in shown and shown.endswith("WITA")


def test_every_message_in_the_code_is_translated_to_indonesian():
    """Extract the messages from the code now and look each up in the committed catalogue."""
    root = Path(__file__).resolve().parent.parent
    with (root / "koin_media/translations/id/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    method_map = [("koin_media/**.py", "python"), ("templates/**.html", "jinja2")]
    in_code = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(root), method_map, keywords={**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
        )
    }
    untranslated = []
    for msgid in sorted(in_code):
        entry = catalog.get(msgid)
        strings = entry.string if entry and isinstance(entry.string, tuple) else (entry.string if entry else "",)
        if entry is None or entry.fuzzy or not all(strings):
            untranslated.append(msgid)
    assert not untranslated, untranslated
