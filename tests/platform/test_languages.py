"""The language a page speaks: the person's setting, else the browser's, else the challenge's; the header picker."""

from __future__ import annotations

import pytest

from ultrathon.i18n import gettext, language_from_environment, speaking, supported, translations
from ultrathon.platform.extensions import db

from .terms_support import login


def test_a_page_speaks_the_language_the_browser_asks_for(client):
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
    danish = client.get("/", headers={"Accept-Language": "da-DK,da;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert 'lang="da"' in danish and "Spring til indholdet" in danish and "Skip to content" not in danish
    swedish = client.get("/", headers={"Accept-Language": "sv-SE"}).get_data(as_text=True)
    assert 'lang="sv"' in swedish and "Hoppa till innehållet" in swedish


def test_a_page_names_its_language_for_readers_and_caches(client):
    answer = client.get("/", headers={"Accept-Language": "sv"})
    assert answer.headers["Content-Language"] == "sv"
    assert {"Accept-Language", "Cookie"} <= set(answer.vary)


def test_a_browser_asking_for_none_of_ours_gets_the_challenge_language(client, make_challenge, tmp_path):
    import shutil

    import yaml

    from tests.conftest import DEMO_DIR

    folder = tmp_path / "dansk-udfordring"
    shutil.copytree(DEMO_DIR / "breast-cancer-diagnosis", folder)
    spec = yaml.safe_load((folder / "challenge.yaml").read_text())
    spec.update(slug="dansk-udfordring", language="da")
    (folder / "challenge.yaml").write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    make_challenge(folder=folder)

    page = client.get("/challenges/dansk-udfordring", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert 'lang="da"' in page
    # The browser's choice of one of ours still comes first; the home page has no challenge to follow.
    assert 'lang="sv"' in client.get("/challenges/dansk-udfordring", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert 'lang="en"' in client.get("/", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)


def test_the_picker_keeps_a_visitors_choice_in_a_cookie_and_goes_back(client):
    answer = client.post("/language", data={"language": "sv", "next": "/challenges?x=1"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/challenges?x=1"
    assert 'lang="sv"' in client.get("/", headers={"Accept-Language": "da"}).get_data(as_text=True)


def test_the_picker_is_a_logged_in_persons_setting(client, make_user):
    user = make_user()
    login(client, user)
    client.post("/language", data={"language": "da", "next": "/"})
    db.session.refresh(user)
    assert user.language == "da"
    # Another browser of the same person, asking for English, still gets the setting.
    other = client.application.test_client()
    login(other, user)
    assert 'lang="da"' in other.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


@pytest.mark.parametrize("headers", [{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"},
                                     {"Sec-Fetch-Site": "same-site"}])
def test_another_site_cannot_change_the_language(client, make_user, headers):
    user = make_user()
    login(client, user)
    assert client.post("/language", data={"language": "sv"}, headers=headers).status_code == 403
    db.session.refresh(user)
    assert user.language is None


def test_the_picker_sets_no_cookie_until_it_is_used(client):
    assert "Set-Cookie" not in client.get("/").headers
    answer = client.post("/language", data={"language": "da"}, headers={"Sec-Fetch-Site": "same-origin",
                                                                          "Origin": "http://localhost"})
    assert answer.status_code == 303 and "ultrathon_language=da" in answer.headers["Set-Cookie"]


@pytest.mark.parametrize("choice", ["fr", "", "DA", "da-DK", "da\x00"])
def test_the_picker_refuses_a_language_we_do_not_speak(client, choice):
    assert client.post("/language", data={"language": choice}).status_code == 400


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_the_picker_never_sends_anyone_elsewhere(client, target):
    answer = client.post("/language", data={"language": "da", "next": target})
    assert answer.status_code == 303 and answer.headers["Location"] == "/"


def test_outside_a_request_messages_follow_the_spoken_language():
    assert gettext("Log in") == "Log in"
    with speaking("da"):
        assert gettext("Log in") == "Log ind"
        with speaking("sv"):
            assert gettext("Log in") == "Logga in"
    assert gettext("Log in") == "Log in"
    # A message with no translation reads in English, never as an empty string.
    assert translations("da").ugettext("a message nobody translated") == "a message nobody translated"


@pytest.mark.parametrize(("environ", "language"), [
    ({"ULTRATHON_LANG": "sv", "LANG": "da_DK.UTF-8"}, "sv"),
    ({"LANG": "da_DK.UTF-8"}, "da"),
    ({"LANGUAGE": "fr:sv", "LANG": "C.UTF-8"}, "sv"),
    ({"LC_ALL": "C"}, "en"),
    ({}, "en"),
])
def test_the_cli_reads_its_language_from_the_environment(environ, language):
    assert language_from_environment(environ) == language


def test_a_tag_names_one_of_our_languages_or_none():
    assert [supported(tag) for tag in ("da_DK.UTF-8", "sv-SE", "EN", "fr", None, "")] == ["da", "sv", "en", None, None, None]
