"""Phases end to end: a development phase then a hidden final one, moved between by the app's injected clock."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from ultrathon.platform.extensions import db
from ultrathon.platform.models import Score, Submission, current_phase
from tests.platform.phase_support import SLUG, phase_rows, phased_folder, predictions
from tests.platform.test_leaderboard_pages import login

JSON = {"Accept": "application/json"}
NOW = datetime.now(timezone.utc).replace(microsecond=0)
DEV = (NOW - timedelta(days=7), NOW + timedelta(days=1))
FINAL = (NOW + timedelta(days=2), NOW + timedelta(days=5))
IN_DEV, BETWEEN, IN_FINAL, AFTER = NOW, NOW + timedelta(days=1, hours=12), NOW + timedelta(days=3), NOW + timedelta(days=6)


@pytest.fixture
def clock(app, monkeypatch):
    """Set the app's time: clock(moment) moves it; the real clock comes back after the test."""
    def move(moment: datetime) -> None:
        monkeypatch.setitem(app.config, "CLOCK", lambda: moment)

    move(IN_DEV)
    return move


@pytest.fixture
def phased(make_challenge, tmp_path, clock):
    """Load the two-phase challenge; return (challenge, folder)."""
    def make(**feedback):
        folder = phased_folder(tmp_path, {"development": DEV, "final": FINAL}, feedback=feedback or None)
        return make_challenge(folder=folder), folder

    return make


def upload(client, data: bytes, phase: str | None = None):
    form = {"file": (io.BytesIO(data), "p.csv"), **({"phase": phase} if phase else {})}
    return client.post(f"/challenges/{SLUG}/submissions", data=form, headers=JSON)


def test_the_current_phase_changes_at_each_opens_and_uploads_between_phases_are_refused(
        phased, make_team, client, clock):
    challenge, folder = phased()
    team = make_team(challenge)
    login(client, team.memberships[0].user.email)
    assert [p.slug for p in challenge.phases] == ["development", "final"]
    assert current_phase(challenge).slug == "development"
    assert upload(client, predictions(folder, "development", 0.3, 1)).status_code == 202

    clock(BETWEEN)
    assert current_phase(challenge).slug == "development"
    refused = upload(client, predictions(folder, "development", 0.3, 2))
    assert refused.status_code == 403
    detail = refused.get_json()["detail"]
    assert "the Development phase is not open: it closed at" in detail
    assert f"the Final test phase opens at {FINAL[0]:%Y-%m-%d %H:%M} UTC" in detail
    early = upload(client, predictions(folder, "final", 0.3, 2), phase="final")
    assert early.status_code == 403 and "the Final test phase is not open: it opens at" in early.get_json()["detail"]

    clock(IN_FINAL)
    assert current_phase(challenge).slug == "final"
    assert upload(client, predictions(folder, "final", 0.3, 3)).status_code == 202

    clock(AFTER)
    late = upload(client, predictions(folder, "final", 0.3, 4))
    assert late.status_code == 403
    assert late.get_json()["detail"] == f"the Final test phase is not open: it closed at {FINAL[1]:%Y-%m-%d %H:%M} UTC."
    phases = db.session.execute(db.select(Submission.phase_id)).scalars().all()
    assert sorted(phases) == sorted(p.id for p in challenge.phases)  # one each, nothing stored on a refusal


def scores_of(submission_id: int) -> dict[str, Score]:
    db.session.expire_all()
    return {s.split: s for s in db.session.execute(db.select(Score).where(Score.submission_id == submission_id)).scalars()}


def test_quotas_count_each_phase_alone(phased, make_team, client, clock, token_for):
    challenge, folder = phased()
    team = make_team(challenge)
    user = team.memberships[0].user
    login(client, user.email)
    for seed in range(5):
        assert upload(client, predictions(folder, "development", 0.3, seed)).status_code == 202
    daily = upload(client, predictions(folder, "development", 0.3, 9))
    assert daily.status_code == 429 and "your team has used its 5 submissions for today" in daily.get_json()["detail"]

    clock(IN_FINAL)  # the development phase's five uploads do not count against the final total of 1
    assert upload(client, predictions(folder, "final", 0.3, 10)).status_code == 202
    second = upload(client, predictions(folder, "final", 0.3, 11))
    assert second.status_code == 429
    assert second.get_json()["detail"] == "your team has used all 1 submissions this challenge allows."
    headers = token_for(user)
    final = client.get(f"/api/v1/challenges/{SLUG}/submissions?phase=final", headers=headers).get_json()
    development = client.get(f"/api/v1/challenges/{SLUG}/submissions?phase=development", headers=headers).get_json()
    assert final["quota"]["used_total"] == 1 and final["quota"]["remaining_total"] == 0
    assert development["quota"]["used_total"] == 5 and development["quota"]["total"] is None
    assert len(final["items"]) == 1 and len(development["items"]) == 5


def test_each_phase_scores_only_its_own_rows(phased, make_team, client, clock, run_worker):
    challenge, folder = phased()
    team = make_team(challenge)
    login(client, team.memberships[0].user.email)
    both = predictions(folder, "development", 0.3, 1) + predictions(folder, "final", 0.3, 1).split(b"\n", 1)[1]
    mixed = upload(client, both)
    assert mixed.status_code == 202  # the scorer, which holds the rows, refuses the final ids
    run_worker()
    row = db.session.get(Submission, mixed.get_json()["id"])
    db.session.refresh(row)
    final_ids = set(phase_rows(folder, "final")["patient_id"])
    assert row.status == "failed" and row.error.startswith(f"{len(final_ids)} problems in the submission:")
    assert {p["message"].split("'")[1] for p in row.problems} == final_ids
    assert all(p["message"].startswith("unknown id") for p in row.problems)

    clock(IN_FINAL)
    accepted = upload(client, predictions(folder, "final", 0.3, 2))
    assert accepted.status_code == 202
    run_worker()
    scores = scores_of(accepted.get_json()["id"])
    rows = phase_rows(folder, "final")
    assert scores["private"].n_rows == (rows["Usage"] == "Private").sum()
    assert scores["public"].n_rows == (rows["Usage"] == "Public").sum()
    assert {s.phase_id for s in scores.values()} == {challenge.phases[1].id}


def two_phases_scored(phased, make_team, client, clock, run_worker, **feedback):
    """Return (challenge, folder, team, development submission id, final submission id), both scored."""
    challenge, folder = phased(**feedback)
    team = make_team(challenge, name="Phasers")
    login(client, team.memberships[0].user.email)
    development = upload(client, predictions(folder, "development", 0.3, 1)).get_json()["id"]
    run_worker()
    clock(IN_FINAL)
    final = upload(client, predictions(folder, "final", 0.05, 2)).get_json()["id"]
    run_worker()
    return challenge, folder, team, development, final


NUMBER_KEYS = {"value", "score", "public", "private", "shown", "public_shown", "ci_low", "ci_high"}


def test_the_final_phase_hides_its_scores_on_the_page_the_api_and_the_events(
        phased, make_team, client, clock, run_worker, token_for):
    from tests.platform.test_feedback import published_events
    from ultrathon.platform.leaderboard.cache import EVENTS_CHANNEL
    from ultrathon.platform.queueing import get_redis

    pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(EVENTS_CHANNEL)
    challenge, folder, team, development, final = two_phases_scored(phased, make_team, client, clock, run_worker)
    events = published_events(pubsub)
    pubsub.close()
    value = scores_of(final)["public"].value
    assert value is not None and scores_of(final)["public"].shown is None

    page = client.get(f"/challenges/{SLUG}/submissions?phase=final").get_data(as_text=True)
    (row,) = client.get(f"/challenges/{SLUG}/submissions.json?phase=final").get_json()["submissions"]
    assert f"{value:.4f}" not in page and f"{value:.4f}" not in row["html"] and "hidden" in row["html"]
    assert row["status"] == "scored" and row["public"] is None and row["feedback"] == "hidden"
    headers = token_for(team.memberships[0].user)
    api = client.get(f"/api/v1/submissions/{final}", headers=headers).get_json()
    assert api["status"] == "scored" and api["public"] is None and api["public_shown"] is None and api["private"] is None
    refused = client.get(f"/api/v1/challenges/{SLUG}/leaderboard?phase=final", headers=headers)
    assert refused.status_code == 403
    assert refused.get_json()["detail"].startswith("Scores are hidden until the") and "Final test" in refused.get_json()["detail"]
    assert any(e.get("event") == "submission" and e.get("status") == "scored" for e in events)
    assert all(not NUMBER_KEYS & set(e) for e in events)

    # The development phase, live, still shows its own score to the team.
    shown = client.get(f"/api/v1/submissions/{development}", headers=headers).get_json()
    assert shown["public"]["roc_auc"] == round(scores_of(development)["public"].value, 4)


def test_each_phase_has_its_own_board(phased, make_team, make_user, client, clock, run_worker, token_for):
    challenge, folder, team, development, final = two_phases_scored(phased, make_team, client, clock, run_worker)
    organiser = token_for(make_user("organiser@example.org"))
    boards = {slug: client.get(f"/api/v1/challenges/{SLUG}/leaderboard?phase={slug}", headers=organiser).get_json()
              for slug in ("development", "final")}
    for slug, submission in (("development", development), ("final", final)):
        (entry,) = boards[slug]["entries"]
        assert entry["team"] == "Phasers" and entry["score"] == round(scores_of(submission)["public"].value, 4), slug
    assert boards["development"]["entries"][0]["score"] != boards["final"]["entries"][0]["score"]
    default = client.get(f"/api/v1/challenges/{SLUG}/leaderboard", headers=organiser).get_json()
    assert default["entries"] == boards["final"]["entries"]  # the current phase by default


def test_publishing_one_phase_leaves_the_other_unpublished(phased, make_team, make_user, client, clock, run_worker, token_for):
    from ultrathon.platform.challenges.publication import publish_results, withdraw_results

    challenge, folder, team, development, final = two_phases_scored(phased, make_team, client, clock, run_worker)
    headers = token_for(team.memberships[0].user)
    clock(AFTER)

    def private(slug):
        return client.get(f"/api/v1/challenges/{SLUG}/leaderboard?split=private&phase={slug}", headers=headers).status_code

    assert (private("development"), private("final")) == (403, 403)
    publish_results(challenge, None, phase="final")
    assert (private("development"), private("final")) == (403, 200)
    assert client.get(f"/api/v1/submissions/{final}", headers=headers).get_json()["private"] is not None
    assert client.get(f"/api/v1/submissions/{development}", headers=headers).get_json()["private"] is None
    withdraw_results(challenge, None, phase="final")
    publish_results(challenge, None, phase="development")
    assert (private("development"), private("final")) == (200, 403)
    assert [p.publication is not None for p in challenge.phases] == [True, False]


def test_ladder_feedback_of_one_phase_applies_there_alone(phased, make_team, client, clock, run_worker, token_for):
    challenge, folder, team, development, final = two_phases_scored(
        phased, make_team, client, clock, run_worker, development="{mode: ladder, step: 0.05}", final="live")
    headers = token_for(team.memberships[0].user)
    ladder, live = scores_of(development)["public"], scores_of(final)["public"]
    assert ladder.shown is not None and ladder.shown != ladder.value and live.shown is None
    assert client.get(f"/api/v1/submissions/{development}", headers=headers).get_json()["public"] == {"roc_auc": ladder.shown}
    seen = client.get(f"/api/v1/submissions/{final}", headers=headers).get_json()
    assert seen["public"]["roc_auc"] == round(live.value, 4) and seen["feedback"] == "live"


def test_the_api_takes_a_phase_and_names_an_unknown_one(phased, make_team, client, clock, run_worker, token_for):
    challenge, folder, team, development, final = two_phases_scored(
        phased, make_team, client, clock, run_worker, final="live")
    headers = token_for(team.memberships[0].user)
    listed = client.get(f"/api/v1/challenges/{SLUG}/submissions?phase=development", headers=headers).get_json()
    assert listed["phase"] == "development" and [s["id"] for s in listed["items"]] == [development]
    current = client.get(f"/api/v1/challenges/{SLUG}/submissions", headers=headers).get_json()
    assert current["phase"] == "final" and [s["id"] for s in current["items"]] == [final]
    board = client.get(f"/api/v1/challenges/{SLUG}/leaderboard?phase=development").get_json()
    assert board["entries"][0]["score"] == round(scores_of(development)["public"].value, 4)
    detail = f"{SLUG} has no phase 'nope'; its phases are development, final"
    for url in (f"/api/v1/challenges/{SLUG}/leaderboard?phase=nope", f"/api/v1/challenges/{SLUG}/submissions?phase=nope"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404 and response.get_json()["detail"] == detail, url
    assert client.get(f"/challenges/{SLUG}/submissions?phase=nope").status_code == 404


def test_a_reload_that_drops_a_phase_with_submissions_is_refused_and_changes_nothing(
        phased, make_team, client, clock, run_worker):
    import pandas as pd

    from ultrathon.platform.challenges.loader import LoadRefused, load_challenge_folder

    challenge, folder, team, development, final = two_phases_scored(phased, make_team, client, clock, run_worker)
    before = (challenge.content_hash, dict(challenge.spec), [(p.id, p.slug, p.closes_at) for p in challenge.phases])
    text = (folder / "challenge.yaml").read_text()
    (folder / "challenge.yaml").write_text(text[:text.index("  - slug: final")].replace("  phase_column: Phase\n", ""))
    solution = pd.read_csv(folder / "solution.csv")
    solution[solution["Phase"] == "development"].drop(columns="Phase").to_csv(folder / "solution.csv", index=False)
    (folder / "sample_submission.csv").write_bytes((folder / "development_sample.csv").read_bytes())
    with pytest.raises(LoadRefused) as refused:
        load_challenge_folder(folder, rescore=True)
    assert str(refused.value) == (f"{SLUG}: phase 'final' is gone from challenge.yaml but holds 1 submission; "
                                  "put it back, or rename the new phase to it")
    db.session.expire_all()
    assert (challenge.content_hash, challenge.spec, [(p.id, p.slug, p.closes_at) for p in challenge.phases]) == before
    assert db.session.execute(db.select(db.func.count()).select_from(Submission)).scalar_one() == 2
