"""feedback: ladder and hidden through the worker, the submissions page, the API, the events and the board."""

from __future__ import annotations

import io
import json
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ultrathon.platform.challenges.publication import publish_results
from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard.cache import EVENTS_CHANNEL, clear_leaderboard
from ultrathon.platform.models import Score, utcnow
from ultrathon.platform.queueing import get_redis
from ultrathon.scorers.ladder import round_to_step

DEMO = "breast-cancer-diagnosis"
DEMO_DIR = Path(__file__).resolve().parents[2] / "challenges" / DEMO
PASSWORD = "correct horse battery staple"
STEP = 0.05
JSON = {"Accept": "application/json"}


@pytest.fixture
def feedback_challenge(make_challenge, tmp_path):
    """Load the binary demo, open now, with the given feedback: block."""

    def make(feedback: str):
        folder = tmp_path / "feedback" / DEMO
        shutil.copytree(DEMO_DIR, folder)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        text = (folder / "challenge.yaml").read_text()
        text = re.sub(r"(?m)^opens: .*$", f"opens: {(now - timedelta(days=7)).isoformat()}", text)
        text = re.sub(r"(?m)^closes: .*$", f"closes: {(now + timedelta(days=30)).isoformat()}", text)
        (folder / "challenge.yaml").write_text(text + f"feedback: {feedback}\n")
        return make_challenge(folder=folder)

    return make


def predictions(noise: float, seed: int, jitter: float = 0.0) -> bytes:
    """Return a submission that is the labels plus Gaussian noise: the more noise, the lower the AUC."""
    solution = pd.read_csv(DEMO_DIR / "solution.csv")
    rng = np.random.default_rng(seed)
    probability = solution["malignant"] * 0.5 + 0.25 + rng.normal(0, noise, len(solution))
    probability = np.clip(probability + np.random.default_rng(seed + 100).normal(0, jitter, len(solution)), 0, 1)
    return pd.DataFrame({"patient_id": solution["patient_id"], "probability": probability}).to_csv(index=False).encode()


def log_in(client, user):
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def upload(client, data: bytes):
    response = client.post(f"/challenges/{DEMO}/submissions", data={"file": (io.BytesIO(data), "p.csv")}, headers=JSON)
    assert response.status_code in (200, 201, 202), response.get_data(as_text=True)


def public_rows(team_id: int) -> list[Score]:
    db.session.expire_all()
    return list(db.session.execute(db.select(Score).where(Score.team_id == team_id, Score.split == "public")
                                   .order_by(Score.submission_id)).scalars())


def published_events(pubsub) -> list[dict]:
    """Return what was published since subscribing (the subscription's own reply is skipped as None)."""
    events, quiet = [], 0
    while quiet < 3:
        message = pubsub.get_message(timeout=0.3)
        quiet = quiet + 1 if message is None else 0
        if message is not None:
            events.append(json.loads(message["data"]))
    return events


NUMBER_KEYS = {"value", "score", "public", "private", "shown", "public_shown", "ci_low", "ci_high"}


def test_ladder_shows_a_new_score_only_when_it_beats_the_best_shown_by_more_than_the_step(
        feedback_challenge, make_team, make_user, client, run_worker, token_for):
    challenge = feedback_challenge(f"{{mode: ladder, step: {STEP}}}")
    team = make_team(challenge, name="Climbers")
    log_in(client, team.memberships[0].user)
    pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(EVENTS_CHANNEL)
    upload(client, predictions(0.45, seed=1))
    upload(client, predictions(0.45, seed=1, jitter=0.01))  # a near copy: within the step
    run_worker()
    first, second = public_rows(team.id)
    assert first.shown == round_to_step(first.value, STEP) and first.shown != first.value
    assert abs(second.value - first.shown) <= STEP and second.shown == first.shown

    # The team reads the shown score alone, on the page, in the page's JSON and through the API.
    rows = {r["id"]: r for r in client.get(f"/challenges/{DEMO}/submissions.json").get_json()["submissions"]}
    for row, score in ((rows[first.submission_id], first), (rows[second.submission_id], second)):
        assert row["public"] == {"roc_auc": first.shown} and row["public_shown"] == first.shown
        assert row["ci_low"] is None and row["ci_high"] is None
        assert f"{score.value:.4f}" not in row["html"] and f"{first.shown:.4f}" in row["html"]
    headers = token_for(team.memberships[0].user)
    api = client.get(f"/api/v1/submissions/{second.submission_id}", headers=headers).get_json()
    assert api["public"] == {"roc_auc": first.shown} and api["feedback"] == "ladder"

    # Organisers see both: the score itself and what the team was shown.
    organiser = make_user("organiser@example.org")
    seen = client.get(f"/api/v1/submissions/{second.submission_id}", headers=token_for(organiser)).get_json()
    assert seen["public"]["roc_auc"] == round(second.value, 4) and seen["public_shown"] == first.shown

    # The public board ranks the shown score, without intervals; the CSV export says the same.
    board = client.get(f"/api/v1/challenges/{DEMO}/leaderboard").get_json()
    entry = next(e for e in board["entries"] if e["team"] == "Climbers")
    assert board["feedback"] == "ladder" and entry["score"] == first.shown and entry["ci_low"] is None
    csv = client.get(f"/challenges/{DEMO}/leaderboard.csv").get_data(as_text=True)
    assert str(first.shown) in csv and f"{second.value:.4f}" not in csv and f"{first.value:.4f}" not in csv

    # A real improvement climbs: perfect predictions show 1.0.
    upload(client, predictions(0.0, seed=2))
    run_worker()
    assert public_rows(team.id)[-1].shown == 1.0
    entry = next(e for e in client.get(f"/api/v1/challenges/{DEMO}/leaderboard").get_json()["entries"]
                 if e["team"] == "Climbers")
    assert entry["score"] == 1.0

    # The events stream tells of changes and carries no score.
    events = published_events(pubsub)
    pubsub.close()
    assert any(e.get("event") == "submission" and e.get("status") == "scored" for e in events)
    assert all(not NUMBER_KEYS & set(e) for e in events)


def test_hidden_feedback_shows_scored_and_no_number_anywhere(
        feedback_challenge, make_team, make_user, client, run_worker, token_for):
    challenge = feedback_challenge("hidden")
    team = make_team(challenge, name="Quiet")
    user = team.memberships[0].user
    log_in(client, user)
    upload(client, predictions(0.3, seed=3))
    run_worker()
    (score,) = public_rows(team.id)
    assert score.value is not None and score.shown is None  # scored all the same

    (row,) = client.get(f"/challenges/{DEMO}/submissions.json").get_json()["submissions"]
    assert row["status"] == "scored" and row["public"] is None and row["private"] is None
    assert row["public_shown"] is None and row["ci_low"] is None and row["feedback"] == "hidden"
    assert f"{score.value:.4f}" not in row["html"] and "hidden" in row["html"]
    page = client.get(f"/challenges/{DEMO}/submissions").get_data(as_text=True)
    assert f"{score.value:.4f}" not in page

    headers = token_for(user)
    api = client.get(f"/api/v1/submissions/{score.submission_id}", headers=headers).get_json()
    assert api["status"] == "scored" and api["public"] is None and api["public_shown"] is None
    refused = client.get(f"/api/v1/challenges/{DEMO}/leaderboard", headers=headers)
    assert refused.status_code == 403 and "hidden until the challenge closes" in refused.get_json()["detail"]

    # The leaderboard page, its JSON and its CSV, for a team and for an anonymous visitor.
    for reader in (client, client.application.test_client()):
        page = reader.get(f"/challenges/{DEMO}/leaderboard").get_data(as_text=True)
        assert 'id="scores-hidden"' in page and f"{score.value:.4f}" not in page
        assert reader.get(f"/challenges/{DEMO}/leaderboard.json").status_code == 403
        assert reader.get(f"/challenges/{DEMO}/leaderboard.csv").status_code == 403
        assert reader.get(f"/challenges/{DEMO}/leaderboard/charts.json").status_code == 403

    # Organisers see the scores as they are.
    organiser = make_user("organiser@example.org")
    seen = client.get(f"/api/v1/submissions/{score.submission_id}", headers=token_for(organiser)).get_json()
    assert seen["public"]["roc_auc"] == round(score.value, 4)
    assert client.get(f"/api/v1/challenges/{DEMO}/leaderboard", headers=token_for(organiser)).status_code == 200


def test_hidden_scores_come_out_when_the_results_are_published_not_at_the_close(
        feedback_challenge, make_team, client, run_worker, token_for):
    challenge = feedback_challenge("hidden")
    team = make_team(challenge, name="Patient")
    user = team.memberships[0].user
    log_in(client, user)
    upload(client, predictions(0.3, seed=4))
    run_worker()
    (score,) = public_rows(team.id)
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
    headers = token_for(user)
    closed = client.get(f"/api/v1/submissions/{score.submission_id}", headers=headers).get_json()
    assert closed["public"] is None  # closed, but the organisers have not published yet
    refused = client.get(f"/api/v1/challenges/{DEMO}/leaderboard", headers=headers)
    assert refused.status_code == 403 and "organisers publish the final results" in refused.get_json()["detail"]

    publish_results(challenge, None)
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
    shown = client.get(f"/api/v1/submissions/{score.submission_id}", headers=headers).get_json()
    assert shown["public"]["roc_auc"] == round(score.value, 4)
    assert client.get(f"/api/v1/challenges/{DEMO}/leaderboard", headers=headers).status_code == 200


def test_no_cached_board_gives_hidden_scores_away_while_the_results_are_verified(
        feedback_challenge, make_team, make_user, client, run_worker):
    challenge = feedback_challenge("hidden")
    team = make_team(challenge, name="Patient")
    log_in(client, team.memberships[0].user)
    upload(client, predictions(0.3, seed=5))
    run_worker()
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
    organiser = make_user("organiser@example.org")
    log_in(client, organiser)
    for _ in range(2):  # an organiser verifying the results reads the board: it is computed and cached
        assert client.get(f"/challenges/{DEMO}/leaderboard.json").status_code == 200
    anonymous = client.application.test_client()
    for _ in range(2):
        assert anonymous.get(f"/challenges/{DEMO}/leaderboard.json").status_code == 403
