"""The leaderboard of a phased challenge: a page per phase (?phase=) and the combined view across phases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from ultrathon.platform.challenges.publication import publish_results
from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard.cache import clear_leaderboard
from tests.platform.phased import PHASED_SLUG, add_score, phased_now, write_phased
from tests.platform.test_leaderboard_pages import login

ORGANISER = "organiser@example.org"
PAGE = f"/challenges/{PHASED_SLUG}/leaderboard"
COMBINED = f"/challenges/{PHASED_SLUG}/leaderboard/combined"
API_COMBINED = f"/api/v1/challenges/{PHASED_SLUG}/leaderboard/combined"


def load_phased(make_challenge, tmp_path, extra: str = ""):
    """Load the two-phase demo: development closed yesterday, final open for ten days."""
    now = phased_now()
    return make_challenge(folder=write_phased(tmp_path / PHASED_SLUG, now, extra=extra))


@pytest.fixture
def phased(make_challenge, make_team, make_user, tmp_path):
    """Three teams: Alpha leads development, Beta leads the final; Gamma took part in development only."""
    challenge = load_phased(make_challenge, tmp_path)
    dev, final = challenge.phases
    alpha = make_team(challenge, [make_user("member@example.org")], name="Alpha")
    beta, gamma = make_team(challenge, name="Beta"), make_team(challenge, name="Gamma")
    add_score(alpha, dev, 0.9111, 0.9222, minute=1)
    add_score(beta, dev, 0.8111, 0.8222, minute=2)
    add_score(gamma, dev, 0.7111, 0.7222, minute=3)
    add_score(alpha, final, 0.6333, 0.6444, minute=1)
    add_score(beta, final, 0.7333, 0.7444, minute=2)
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
    return challenge


def after_final(app, challenge, publish: bool = True) -> None:
    """Move the clock past the final close; publish both phases' results unless told not to."""
    final = challenge.phases[-1]
    app.config["CLOCK"] = lambda: final.closes_at + timedelta(minutes=5)
    if publish:
        publish_results(challenge, None, phase="development")
        publish_results(challenge, None, phase="final")
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)


def test_the_page_has_a_phase_picker_and_keeps_the_phase_on_every_link(client, phased):
    page = client.get(f"{PAGE}?phase=development")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "0.9111" in html and "0.6333" not in html
    assert re.search(r'<a href="[^"]*phase=development"\s+aria-current="page">Development</a>', html)
    assert re.search(r'<a href="[^"]*phase=final">Final test</a>', html)
    for endpoint in ("leaderboard.json", "leaderboard/charts.json", "leaderboard.csv"):
        urls = re.findall(rf'/challenges/{PHASED_SLUG}/{re.escape(endpoint)}\?[^"]*', html)
        assert urls and all("phase=development" in url for url in urls), endpoint
    current = client.get(PAGE).get_data(as_text=True)  # the current phase by default: the final
    assert "0.6333" in current and "0.9111" not in current
    assert re.search(r'phase=final"\s+aria-current="page">Final test', current)


def test_json_and_csv_answer_the_phase_asked_for(client, phased):
    dev = client.get(f"/challenges/{PHASED_SLUG}/leaderboard.json?phase=development").get_json()
    final = client.get(f"/challenges/{PHASED_SLUG}/leaderboard.json?phase=final").get_json()
    assert [e["score"] for e in dev["entries"]] == [0.9111, 0.8111, 0.7111]
    assert [e["score"] for e in final["entries"]] == [0.7333, 0.6333]
    csv = client.get(f"/challenges/{PHASED_SLUG}/leaderboard.csv?phase=development")
    assert "0.9111" in csv.get_data(as_text=True) and "development" in csv.headers["Content-Disposition"]
    assert client.get(f"/challenges/{PHASED_SLUG}/leaderboard.json?phase=nope").status_code == 404


def test_a_challenge_of_one_phase_shows_no_picker(client, make_challenge):
    challenge = make_challenge()
    html = client.get(f"/challenges/{challenge.slug}/leaderboard").get_data(as_text=True)
    assert "Leaderboard phase" not in html and "phase=" not in html and "/combined" not in html


def test_the_combined_view_waits_for_the_final_results(app, client, phased, make_user, token_for):
    for url in (COMBINED, f"{COMBINED}.json"):
        refused = client.get(url)
        assert refused.status_code == 403 and "organisers only until" in refused.get_data(as_text=True)
    after_final(app, phased, publish=False)
    assert "being verified" in client.get(COMBINED).get_data(as_text=True)
    member = client.get(API_COMBINED, headers=token_for(make_user("x@example.org")))
    assert member.status_code == 403 and member.get_json()["type"].endswith("results-being-verified")
    organiser = token_for(make_user(ORGANISER))
    assert client.get(API_COMBINED, headers=organiser).status_code == 200


def test_final_phase_only_ranks_by_the_final_board_with_earlier_ranks_beside(app, client, phased):
    after_final(app, phased)
    combined = client.get(API_COMBINED).get_json()
    assert combined["combine_phases"] == "final_phase_only"
    assert [(e["team"], e["rank"], e["phase_ranks"]) for e in combined["entries"]] == [
        ("Beta", 1, {"development": 2, "final": 1}), ("Alpha", 2, {"development": 1, "final": 2})]
    html = client.get(COMBINED).get_data(as_text=True)
    assert html.index("Beta") < html.index("Alpha") and 'aria-current="page">Combined' in html


def test_an_unpublished_earlier_phase_keeps_its_ranks_hidden(app, client, phased, make_user):
    after_final(app, phased, publish=False)
    publish_results(phased, None, phase="final")
    clear_leaderboard(phased.id, phased.slug, settings_changed=True)
    entries = client.get(API_COMBINED).get_json()["entries"]
    assert [e["phase_ranks"]["development"] for e in entries] == [None, None]
    make_user(ORGANISER)
    login(client, ORGANISER)
    assert [e["phase_ranks"]["development"] for e in client.get(f"{COMBINED}.json").get_json()["entries"]] == [2, 1]


def test_mean_rank_ranks_by_the_mean_and_an_absent_team_takes_the_rank_after_the_last(
        app, client, make_challenge, make_team, tmp_path):
    challenge = load_phased(make_challenge, tmp_path, extra="combine_phases: mean_rank\n")
    dev, final = challenge.phases
    alpha, beta, gamma = (make_team(challenge, name=n) for n in ("Alpha", "Beta", "Gamma"))
    add_score(alpha, dev, 0.9, 0.95, minute=1)   # development: Alpha 1, Beta 2, Gamma 3
    add_score(beta, dev, 0.8, 0.85, minute=2)
    add_score(gamma, dev, 0.7, 0.75, minute=3)
    add_score(gamma, final, 0.9, 0.9, minute=1)  # final: Gamma 1, Beta 2; Alpha absent takes 3
    add_score(beta, final, 0.8, 0.8, minute=2)
    after_final(app, challenge)
    entries = client.get(API_COMBINED).get_json()["entries"]
    # Means: Alpha 2, Beta 2, Gamma 2: the earlier final-phase submission first, then one without.
    assert [(e["team"], e["mean_rank"]) for e in entries] == [("Gamma", 2.0), ("Beta", 2.0), ("Alpha", 2.0)]
    page_json = client.get(f"/challenges/{PHASED_SLUG}/leaderboard/combined.json").get_json()
    assert [e["team"] for e in page_json["entries"]] == ["Gamma", "Beta", "Alpha"]


def test_a_challenge_of_one_phase_combines_to_its_private_board(app, client, make_challenge, make_team):
    from tests.platform.phased import add_score as add
    challenge = make_challenge()
    phase = challenge.phases[0]
    add(make_team(challenge, name="Alpha"), phase, 0.9, 0.7, minute=1)
    add(make_team(challenge, name="Beta"), phase, 0.8, 0.8, minute=2)
    app.config["CLOCK"] = lambda: phase.closes_at + timedelta(minutes=5)
    publish_results(challenge, None)
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
    combined = client.get(f"/api/v1/challenges/{challenge.slug}/leaderboard/combined").get_json()
    assert [e["team"] for e in combined["entries"]] == ["Beta", "Alpha"]
    assert client.get("/api/v1/challenges/nope/leaderboard/combined").status_code == 404


def test_the_results_bundle_holds_every_phase_and_its_window(app, client, phased, make_user):
    import io
    import json
    import zipfile

    after_final(app, phased)
    make_user(ORGANISER)
    login(client, ORGANISER)
    bundle = zipfile.ZipFile(io.BytesIO(client.get(f"{PAGE}/results.zip").data))
    names = set(bundle.namelist())
    assert {"development-leaderboard-public.csv", "final-leaderboard-private.csv", "final-shake-up.csv"} <= names
    assert "leaderboard-public.csv" not in names
    assert "0.9111" in bundle.read("development-leaderboard-public.csv").decode()
    assert "0.9111" not in bundle.read("final-leaderboard-public.csv").decode()
    summary = json.loads(bundle.read("summary.json"))
    assert [(p["slug"], p["results"]["published"], p["public"]["teams"]) for p in summary["phases"]] == [
        ("development", True, 3), ("final", True, 2)]
    assert summary["phases"][0]["closes_at"] == phased.phases[0].closes_at.isoformat()


def test_organisers_see_the_ladders_shown_score_beside_the_score(client, phased, make_user):
    from ultrathon.platform.models import Score

    score = db.session.execute(db.select(Score).where(Score.value == 0.9111)).scalar_one()
    score.shown = 0.9
    db.session.commit()
    make_user(ORGANISER)
    login(client, ORGANISER)
    html = client.get(f"/challenges/{PHASED_SLUG}/organise").get_data(as_text=True)
    assert re.search(r"0\.9111.*?Ladder shows 0\.9000", html, re.S)
    assert html.count("Ladder shows") == 1  # only the one score the ladder showed differently


def test_mean_rank_waits_for_every_phases_results(app, client, make_challenge, make_team, tmp_path):
    challenge = load_phased(make_challenge, tmp_path, extra="combine_phases: mean_rank\n")
    add_score(make_team(challenge, name="Alpha"), challenge.phases[1], 0.9, 0.9)
    after_final(app, challenge, publish=False)
    publish_results(challenge, None, phase="final")
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
    refused = client.get(API_COMBINED)
    assert refused.status_code == 403 and "being verified" in refused.get_json()["detail"]
    publish_results(challenge, None, phase="development")
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
    assert [e["mean_rank"] for e in client.get(API_COMBINED).get_json()["entries"]] == [1.0]
