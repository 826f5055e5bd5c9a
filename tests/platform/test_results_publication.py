"""Results that organisers publish: after the close, private figures wait for Publish (results.publish: manual)."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from ultrathon.cli import cli
from ultrathon.platform.challenges.publication import PublicationRefused, publish_results, withdraw_results
from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard.cache import clear_leaderboard
from ultrathon.platform.models import AuditEvent, Challenge, Submission, User, utcnow
from ultrathon.platform.submissions.reading import submission_to_dict
from ultrathon.spec import schema_problems
from tests.platform.test_leaderboard_live import next_event, open_stream, quick_keepalive  # noqa: F401
from tests.platform.test_leaderboard_pages import login, scored  # noqa: F401

ORGANISER = "organiser@example.org"  # listed in every demo challenge's YAML
DEMO = Path(__file__).resolve().parents[2] / "challenges" / "breast-cancer-diagnosis"
VERIFYING = "being verified"


@pytest.fixture
def closed(make_challenge, make_team, make_user, scored):  # noqa: F811
    """A closed challenge (default results.publish: manual) with two teams, not yet published."""
    challenge = make_challenge()
    member = make_user("member@example.org")
    alpha = make_team(challenge, [member], name="Alpha")
    scored(alpha, 0.91, 0.88)
    scored(make_team(challenge, name="Beta"), 0.85, 0.89)
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
    return challenge


@pytest.fixture
def organiser(make_user):
    return make_user(ORGANISER, "Olga Organiser")


def private_urls(slug: str) -> list[str]:
    return [f"/challenges/{slug}/leaderboard?split=private", f"/challenges/{slug}/leaderboard.json?split=private",
            f"/challenges/{slug}/leaderboard.csv?split=private", f"/challenges/{slug}/leaderboard/charts.json?split=private"]


def test_the_key_defaults_to_manual_and_a_wrong_value_names_the_key():
    from ultrathon.spec import ChallengeSpec
    import yaml

    raw = yaml.safe_load((DEMO / "challenge.yaml").read_text())
    assert "results" not in raw
    assert ChallengeSpec.model_validate(raw).results.publish == "manual"
    problems = schema_problems({**raw, "results": {"publish": "later"}})
    assert [p.key for p in problems] == ["results.publish"]
    assert problems[0].message == "unknown value 'later'; one of manual, at_close"


def test_after_the_close_visitors_and_teams_see_results_being_verified(client, closed):
    for url in private_urls(closed.slug):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "The final results of" in response.get_data(as_text=True) and VERIFYING in response.get_data(as_text=True)
    page = client.get(f"/challenges/{closed.slug}/leaderboard").get_data(as_text=True)
    assert "results are being verified" in page and "shown here once they publish them" in page
    assert "Private: shown after the close" not in page

    login(client, "member@example.org")
    team_page = client.get(f"/challenges/{closed.slug}/submissions").get_data(as_text=True)
    assert "The final results are being verified" in team_page and ">Private " not in team_page
    assert client.get(private_urls(closed.slug)[0]).status_code == 403


def test_the_api_answers_403_with_a_problem_of_its_own_and_hides_private_scores(client, closed, token_for):
    member = db.session.execute(db.select(User).where(User.email == "member@example.org")).scalar_one()
    response = client.get(f"/api/v1/challenges/{closed.slug}/leaderboard?split=private", headers=token_for(member))
    problem = response.get_json()
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    assert problem["type"] == "urn:ultrathon:problem:results-being-verified"
    assert problem["title"] == "Results being verified"
    assert problem["detail"] == (f"the final results of {closed.slug} are being verified by its organisers: "
                                 "the private leaderboard is shown once they publish them")
    own = db.session.execute(db.select(Submission).where(Submission.user_id.is_(None),
                                                         Submission.team_id == member.memberships[0].team_id)).scalar_one()
    before = submission_to_dict(own, member)
    assert before["private"] is None and before["private_ci_low"] is None
    publish_results(closed, None)
    assert submission_to_dict(own, member)["private_ci_low"] == 0.85
    assert client.get(f"/api/v1/challenges/{closed.slug}/leaderboard?split=private", headers=token_for(member)).status_code == 200


def test_organisers_see_the_private_board_before_publishing_and_publish_from_the_dashboard(client, closed, organiser):
    login(client, ORGANISER)
    private = client.get(private_urls(closed.slug)[0]).get_data(as_text=True)
    assert "Private leaderboard" in private and "organisers only until published" in private
    dashboard = client.get(f"/challenges/{closed.slug}/organise").get_data(as_text=True)
    assert "Publish the final results" in dashboard

    response = client.post(f"/challenges/{closed.slug}/organise/results/publish", data={"note": "Beta checked by hand"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#results")
    client.post("/logout")
    client._cookies.clear()

    page = client.get(f"/challenges/{closed.slug}/leaderboard?split=private")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Results published <time" in text
    assert "by Olga Organiser: Beta checked by hand" in text
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "results.publish")).scalar_one()
    assert event.actor_id == organiser.id and event.detail == {"note": "Beta checked by hand", "phase": "main"}


def test_publish_needs_the_csrf_token(app, client, closed, organiser):
    login(client, ORGANISER)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client.post(f"/challenges/{closed.slug}/organise/results/publish", data={"note": ""})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert closed.phases[0].publication is None


def test_a_disqualification_before_publishing_changes_what_is_published(client, closed, organiser):
    from ultrathon.platform.submissions.actions import disqualify_team

    beta = next(t for t in closed.teams if t.name == "Beta")
    disqualify_team(beta, "label leakage", organiser)
    publish_results(closed, organiser)
    entries = client.get(private_urls(closed.slug)[1]).get_json()["entries"]
    assert [e["team"] for e in entries] == ["Alpha"]


def test_withdrawing_hands_the_board_back_even_to_a_process_that_kept_it(client, closed, organiser):
    publish_results(closed, organiser)
    url = private_urls(closed.slug)[1]
    for _ in range(3):  # read until the cached front holds the bytes
        assert client.get(url).status_code == 200
    withdraw_results(closed, organiser)
    response = client.get(url)
    assert response.status_code == 403 and VERIFYING in response.get_json()["detail"]
    actions = db.session.execute(db.select(AuditEvent.action).where(AuditEvent.action.like("results.%"))
                                 .order_by(AuditEvent.id)).scalars().all()
    assert actions == ["results.publish", "results.withdraw"]
    assert closed.phases[0].publications[0].withdrawn_by_id == organiser.id
    publish_results(closed, organiser, "again")  # a new publication after a withdrawal
    assert closed.phases[0].publication.note == "again" and len(closed.phases[0].publications) == 2


def test_publish_is_refused_before_the_close_twice_to_a_non_organiser_and_under_at_close(
        closed, make_open_challenge, make_challenge, make_user, organiser, tmp_path):
    publish_results(closed, organiser)
    with pytest.raises(PublicationRefused, match="already published"):
        publish_results(closed, organiser)
    with pytest.raises(PublicationRefused, match="only the organisers"):
        withdraw_results(closed, make_user())
    with pytest.raises(PublicationRefused, match="only after the close"):
        publish_results(make_open_challenge("diabetes-progression"), organiser)

    folder = tmp_path / "at-close-demo"
    shutil.copytree(DEMO, folder)
    text = (folder / "challenge.yaml").read_text().replace("slug: breast-cancer-diagnosis", "slug: at-close-demo")
    (folder / "challenge.yaml").write_text(text + "\nresults: {publish: at_close}\n")
    at_close = make_challenge(folder=folder)
    at_close.closes_at = at_close.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert at_close.phases[0].results_published() and at_close.phases[0].publication is None
    with pytest.raises(PublicationRefused, match="at_close"):
        publish_results(at_close, organiser)


def test_the_cli_publishes_and_withdraws(runner, closed):
    published = runner.invoke(cli, ["challenges", "publish", closed.slug, "--note", "final"])
    assert published.exit_code == 0 and re.match(rf"{closed.slug}: results published at ", published.output)
    db.session.expire_all()
    assert closed.phases[0].publication.note == "final" and closed.phases[0].publication.by_name == "the platform operator"
    again = runner.invoke(cli, ["challenges", "publish", closed.slug])
    assert again.exit_code == 1 and "already published" in again.output
    assert runner.invoke(cli, ["challenges", "withdraw", closed.slug]).exit_code == 0
    missing = runner.invoke(cli, ["challenges", "withdraw", "no-such-challenge"])
    assert missing.exit_code == 1 and "no challenge called 'no-such-challenge'" in missing.output
    no_phase = runner.invoke(cli, ["challenges", "publish", closed.slug, "--phase", "final"])
    assert no_phase.exit_code == 1 and "has no phase 'final'; its phases are main" in no_phase.output
    named = runner.invoke(cli, ["challenges", "publish", closed.slug, "--phase", "main"])
    assert named.exit_code == 0 and closed.phases[0].publication is not None


def test_the_results_bundle_records_the_publication(client, closed, organiser):
    publish_results(closed, organiser, "checked")
    login(client, ORGANISER)
    bundle = zipfile.ZipFile(io.BytesIO(client.get(f"/challenges/{closed.slug}/leaderboard/results.zip").data))
    results = json.loads(bundle.read("summary.json"))["results"]
    assert results["publish"] == "manual" and results["published"] is True
    assert results["published_by"] == "Olga Organiser" and results["note"] == "checked"


def test_the_events_stream_says_only_that_the_standings_changed(client, closed, organiser, quick_keepalive):
    challenge_id, organiser_id = closed.id, organiser.id
    response, chunks = open_stream(client, closed.slug)  # the stream ends this session: read the rows again
    try:
        publish_results(db.session.get(Challenge, challenge_id), db.session.get(User, organiser_id))
        chunk = next_event(chunks)
    finally:
        response.close()
    data = json.loads(chunk.strip().split("\n")[1].removeprefix("data: "))
    assert set(data) == {"event", "slug", "challenge", "generation"}  # no figure, private or public
