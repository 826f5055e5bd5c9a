"""The organisers' pages in Danish and Swedish: the dashboard, the flash after an action, a form's errors, refusals."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from ultrathon.i18n import speaking
from ultrathon.platform.challenges.publication import PublicationRefused, publish_results
from ultrathon.platform.extensions import db
from ultrathon.platform.governance.access import request_access
from ultrathon.platform.leaderboard.cache import clear_leaderboard
from ultrathon.platform.models import utcnow
from ultrathon.platform.organise.challenge_upload import UploadRefused, unpack_challenge_zip
from tests.platform.test_governance_access import REQUIRED, gated  # noqa: F401
from tests.platform.test_leaderboard_pages import scored  # noqa: F401
from tests.platform.test_organise_pages import ORGANISER, dashboard_url, login

# Each language's words for the English that the other organiser tests look for.
WORDS = {
    "da": {
        "approved": "Joe er godkendt og kan deltage.",
        "published": "De endelige resultater er offentliggjort.",
        "published_already": "Resultaterne af breast-cancer-diagnosis er allerede offentliggjort (",
        "reason_label": '<label for="reason">Begrundelse</label>',
        "reason_missing": "Angiv begrundelsen for at diskvalificere holdet",
        "note_too_long": "En bemærkning har højst 500 tegn.",
        "not_closed": "lukker",
        "not_a_zip": "filen er ikke et zip-arkiv",
    },
    "sv": {
        "approved": "Joe är godkänd och kan delta.",
        "published": "Slutresultaten är publicerade.",
        "published_already": "Resultaten för breast-cancer-diagnosis är redan publicerade (",
        "reason_label": '<label for="reason">Motivering</label>',
        "reason_missing": "Ange motiveringen till att laget diskvalificeras",
        "note_too_long": "En anteckning har högst 500 tecken.",
        "not_closed": "stänger",
        "not_a_zip": "filen är inte ett zip-arkiv",
    },
}


def speak(language: str) -> dict:
    return {"Accept-Language": language}


@pytest.fixture
def organiser(make_user):
    return make_user(ORGANISER, "Olga Organiser")


@pytest.fixture
def closed(make_challenge):
    """The binary demo challenge, closed a minute ago and not yet published."""
    challenge = make_challenge()
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
    return challenge


# The dashboard's words, a score and its interval: four decimals (the demo's leaderboard.decimals) in each language's form.
DASHBOARD = {
    "en": ("Organiser dashboard", "Re-score all submissions", "<dt>Scored</dt>", "0.9100", "[0.8800, 0.9400]"),
    "da": ("Arrangørens kontrolpanel", "Scor alle indsendelser igen", "<dt>Scoret</dt>", "0,9100", "[0,8800; 0,9400]"),
    "sv": ("Arrangörens instrumentpanel", "Poängsätt alla inlämningar på nytt", "<dt>Poängsatt</dt>", "0,9100", "[0,8800; 0,9400]"),
}


@pytest.mark.parametrize("language", sorted(DASHBOARD))
def test_the_dashboard_speaks_the_browsers_language_with_its_numbers(client, make_challenge, make_team, scored,  # noqa: F811
                                                                     organiser, language):
    challenge = make_challenge()
    scored(make_team(challenge, name="Alpha"), 0.91, 0.88)
    login(client, organiser)
    page = client.get(dashboard_url(challenge), headers=speak(language)).get_data(as_text=True)
    heading, button, status_count, score, interval = DASHBOARD[language]
    assert f'lang="{language}"' in page and heading in page and button in page and status_count in page
    assert re.search(rf'{re.escape(score)}\s*<span class="ci">{re.escape(interval)}</span>', page)
    others = [words[0] for other, words in DASHBOARD.items() if other != language]
    assert not any(other in page for other in others)


@pytest.mark.parametrize("language", ["da", "sv"])
def test_approving_an_access_request_is_confirmed_in_the_organisers_language(client, gated, make_user, language):  # noqa: F811
    challenge = gated(REQUIRED)
    organiser = make_user(challenge.organisers[0])
    item = request_access(challenge, make_user("joe@example.org", "Joe"), {"affiliation": "KU"})
    login(client, organiser)
    response = client.post(f"{dashboard_url(challenge)}/access-requests/{item.id}/approve", headers=speak(language))
    assert response.status_code == 302
    page = client.get(response.headers["Location"], headers=speak(language)).get_data(as_text=True)
    assert WORDS[language]["approved"] in page and "is approved and can take part" not in page


@pytest.mark.parametrize("language", ["da", "sv"])
def test_publishing_and_its_refusal_are_flashed_in_the_organisers_language(client, closed, organiser, language):
    login(client, organiser)
    url = f"{dashboard_url(closed)}/results/publish"
    for expected in ("published", "published_already"):  # the second Publish is refused: published already
        client.post(url, data={"note": ""}, headers=speak(language))
        page = client.get(dashboard_url(closed), headers=speak(language)).get_data(as_text=True)
        assert WORDS[language][expected] in page


@pytest.mark.parametrize("language", ["da", "sv"])
def test_a_form_says_what_is_wrong_in_the_organisers_language(client, make_challenge, make_team, organiser, language):
    challenge = make_challenge()
    team = make_team(challenge, name="Gamma")
    login(client, organiser)
    words = WORDS[language]
    empty = client.post(f"{dashboard_url(challenge)}/teams/{team.id}/disqualify", data={"reason": ""}, headers=speak(language))
    assert empty.status_code == 400
    assert words["reason_label"] in empty.text and words["reason_missing"] in empty.text

    client.post(f"{dashboard_url(challenge)}/results/publish", data={"note": "x" * 501}, headers=speak(language))
    page = client.get(dashboard_url(challenge), headers=speak(language)).get_data(as_text=True)
    assert words["note_too_long"] in page  # the limit filled into the translated message by the validator


@pytest.mark.parametrize("language", ["da", "sv"])
def test_refusals_outside_a_request_follow_the_spoken_language(ctx, make_challenge, tmp_path, language):
    challenge = make_challenge()  # the demo closes in the future: nothing to publish yet
    with speaking(language):
        with pytest.raises(PublicationRefused) as refused:
            publish_results(challenge, None)  # the command line's way in: no request, no Flask-Babel locale
        with pytest.raises(UploadRefused) as not_a_zip:
            unpack_challenge_zip(b"not a zip", tmp_path)
    assert f"breast-cancer-diagnosis {WORDS[language]['not_closed']} " in refused.value.detail
    assert str(not_a_zip.value).startswith(WORDS[language]["not_a_zip"])
