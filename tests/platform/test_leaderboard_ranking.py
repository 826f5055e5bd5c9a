"""Multi-metric ranking on the board, the scheme's rank statistics, the tie rule and the pairwise map's visibility."""

from __future__ import annotations

import csv
import io
import itertools
import json
import zipfile
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from ultrathon.platform.challenges.publication import publish_results
from ultrathon.platform.extensions import db
from ultrathon.platform.leaderboard.cache import clear_leaderboard
from ultrathon.platform.leaderboard.standings import get_standings
from ultrathon.platform.models import Score, Submission, utcnow
from tests.conftest import PASSWORD

START = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)
B = 400
COMMON = np.random.default_rng(8).normal(0, 0.02, B)  # what every team shares on a resample


def paired(mean: float, seed: int, noise: float = 0.002) -> np.ndarray:
    return mean + COMMON + np.random.default_rng(seed).normal(0, noise, B)


@pytest.fixture
def scored(ctx):
    """Add a scored submission with roc_auc and brier values (and replicates) on both splits."""
    clock = itertools.count()

    def make(team, auc: float, brier: float, seed: int, *, replicate_brier: bool = True):
        at = START + timedelta(hours=next(clock))
        submission = Submission(challenge_id=team.challenge_id, team_id=team.id, status="scored", size=1,
                                sha256="0" * 64, content=b"x", created_at=at, scored_at=at)
        db.session.add(submission)
        db.session.flush()
        for split in ("public", "private"):
            others = {"brier": paired(brier, seed + 100).tolist()} if replicate_brier else None
            db.session.add(Score(
                submission_id=submission.id, challenge_id=team.challenge_id, team_id=team.id, split=split,
                metric="roc_auc", value=auc, ci_low=auc - 0.05, ci_high=auc + 0.05, n_rows=100,
                metrics={"roc_auc": auc, "brier": brier, "average_precision": 0.5},
                replicates=paired(auc, seed).astype("<f8").tobytes(), metric_replicates=others,
            ))
        db.session.commit()
        return submission

    return make


@pytest.fixture
def ranked(app, make_challenge, make_team, scored, monkeypatch, run_worker):
    """Return a function setting a scheme on the binary demo, with three teams, stats computed."""
    monkeypatch.setitem(app.config, "LEADERBOARD_STATS_DELAY_S", 0)
    challenge = make_challenge()
    # AUC orders Alpha, Beta, Gamma; Brier (lower is better) orders Gamma, Beta, Alpha.
    scored(make_team(challenge, name="Alpha"), 0.90, 0.30, seed=1)
    scored(make_team(challenge, name="Beta"), 0.85, 0.12, seed=2)
    scored(make_team(challenge, name="Gamma"), 0.70, 0.10, seed=3)

    def set_scheme(ranking: dict | None):
        spec = {k: v for k, v in challenge.spec.items() if k != "ranking"}
        challenge.spec = {**spec, "ranking": ranking} if ranking else spec
        db.session.commit()
        clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
        assert run_worker()
        db.session.expire_all()
        return get_standings(challenge, "public")

    set_scheme.challenge = challenge
    return set_scheme


def teams(standings) -> list[str]:
    return [e["team"] for e in standings["entries"]]


def test_without_a_scheme_the_primary_metric_ranks_and_the_tie_rule_is_stated(ranked):
    standings = ranked(None)
    assert teams(standings) == ["Alpha", "Beta", "Gamma"]
    assert standings["ranking"] == {"scheme": "primary", "metrics": ["roc_auc"], "labels": ["AUROC"]}
    assert standings["ranking_figure"] is None and standings["entries"][0]["ranking_value"] is None
    assert standings["entries"][0]["ranking_values"] is None
    assert standings["tie_rule"].startswith("unadjusted paired 95% comparison with the leader")


def test_mean_rank_orders_the_board_by_the_mean_of_the_metric_ranks(ranked):
    standings = ranked({"scheme": "mean_rank", "metrics": ["roc_auc", "brier"]})
    # Alpha (1 + 3) / 2 = 2, Beta (2 + 2) / 2 = 2, Gamma (3 + 1) / 2 = 2: a tie, kept in AUC order.
    assert [e["ranking_value"] for e in standings["entries"]] == [2.0, 2.0, 2.0]
    assert teams(standings) == ["Alpha", "Beta", "Gamma"]
    assert standings["ranking_figure"]["name"] == "mean_rank" and standings["ranking_figure"]["higher_is_better"] is False
    standings = ranked({"scheme": "mean_rank", "metrics": ["brier", "average_precision"]})
    assert teams(standings) == ["Gamma", "Beta", "Alpha"] and [e["rank"] for e in standings["entries"]] == [1, 2, 3]


def test_significance_counts_wins_from_the_stored_replicates_of_every_ranking_metric(ranked):
    standings = ranked({"scheme": "significance", "metrics": ["brier"]})
    # Brier's paired replicates tell all three apart: Gamma beats two, Beta one, Alpha none.
    assert [(e["team"], e["ranking_value"]) for e in standings["entries"]] == [("Gamma", 2), ("Beta", 1), ("Alpha", 0)]
    both = ranked({"scheme": "significance"})  # roc_auc, average_precision, brier by default
    assert {e["team"]: e["ranking_value"] for e in both["entries"]} == {"Alpha": 2, "Beta": 2, "Gamma": 2}


def test_the_rank_statistics_follow_the_scheme(ranked):
    standings = ranked({"scheme": "rank_then_aggregate", "metrics": ["roc_auc", "brier"]})
    first = standings["entries"][0]
    assert first["p_rank1"] is not None
    # Under the primary scheme Alpha is first on every resample; under the scheme all three tie on each.
    assert ranked(None)["entries"][0]["p_rank1"] == 1.0
    assert first["p_rank1"] < 1.0 and first["median_rank"] == 2


def test_a_submission_without_a_metrics_replicates_ranks_as_undefined(ranked, scored, make_team):
    # Scored before the scheme: the best Brier, but no replicates of it to be tested on.
    scored(make_team(ranked.challenge, name="Delta"), 0.95, 0.05, seed=4, replicate_brier=False)
    standings = ranked({"scheme": "significance", "metrics": ["brier"]})
    assert [(e["team"], e["ranking_value"]) for e in standings["entries"]] == [
        ("Gamma", 2), ("Beta", 1), ("Delta", 0), ("Alpha", 0)]


def login(client, email: str) -> None:
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code in (302, 303)


def close(challenge) -> None:
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_results(challenge, None)  # results.publish is manual by default
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)


def test_the_pairwise_map_is_holm_adjusted_and_shown_on_the_private_board_only(ranked, client, make_user):
    ranked(None)
    slug = ranked.challenge.slug
    organiser = make_user("organiser@example.org")
    login(client, organiser.email)
    private = client.get(f"/challenges/{slug}/leaderboard.json?split=private").get_json()
    pairwise = private["pairwise"]
    assert pairwise["adjustment"] == "Holm-Bonferroni over the k(k-1)/2 pairs" and len(pairwise["pairs"]) == 3
    alpha = next(t["team_id"] for t in pairwise["teams"] if t["team"] == "Alpha")
    first = pairwise["pairs"][0]
    assert first["a"] == alpha and first["better"] == alpha and first["p_adjusted"] >= first["p_value"]
    assert client.get(f"/challenges/{slug}/leaderboard.json").get_json()["pairwise"] is None
    page = client.get(f"/challenges/{slug}/leaderboard?split=private").get_data(as_text=True)
    assert "Pairwise significance map" in page and "lb-pw-better" in page


def test_teams_see_no_pairwise_figure_before_the_close_and_the_map_after(ranked, client, make_user, make_team, token_for):
    ranked(None)
    challenge = ranked.challenge
    member = make_user("member@example.org")
    make_team(challenge, members=[member], name="Late")
    login(client, member.email)
    assert client.get(f"/challenges/{challenge.slug}/leaderboard.json?split=private").status_code == 403
    assert client.get(f"/challenges/{challenge.slug}/leaderboard?split=private").status_code == 403
    public = client.get(f"/challenges/{challenge.slug}/leaderboard").get_data(as_text=True)
    assert "Pairwise significance map" not in public and "p_adjusted" not in public
    api = f"/api/v1/challenges/{challenge.slug}/leaderboard"
    headers = token_for(member)
    assert client.get(f"{api}?split=private", headers=headers).status_code == 403
    assert client.get(api, headers=headers).get_json()["pairwise"] is None

    close(challenge)
    body = client.get(f"{api}?split=private", headers=headers).get_json()
    assert len(body["pairwise"]["pairs"]) == 3 and body["tie_rule"].startswith("unadjusted paired 95%")
    assert body["ranking"] == {"scheme": "primary", "metrics": ["roc_auc"], "labels": ["AUROC"]}
    assert "Pairwise significance map" in client.get(f"/challenges/{challenge.slug}/leaderboard?split=private").get_data(as_text=True)


def test_a_ranked_board_shows_each_ranking_metrics_value_and_names_the_metrics_by_label(ranked, client):
    standings = ranked({"scheme": "mean_rank", "metrics": ["roc_auc", "brier"]})
    assert [e["ranking_values"] for e in standings["entries"]] == [
        {"roc_auc": 0.9, "brier": 0.3}, {"roc_auc": 0.85, "brier": 0.12}, {"roc_auc": 0.7, "brier": 0.1}]
    assert standings["ranking"]["labels"] == ["AUROC", "Brier score"]
    page = client.get(f"/challenges/{ranked.challenge.slug}/leaderboard").get_data(as_text=True)
    assert 'data-ranking-metrics="brier"' in page and "Brier score<br>" in page
    assert '<td class="num" data-col="ranking_values:brier">0.3000</td>' in page
    assert "over AUROC, Brier score:" in page and "roc_auc, brier" not in page
    assert "the tied-with-leader badge compares each team with the leader on AUROC alone" in page


def test_the_tie_badge_says_its_rule_where_it_is_shown(ranked, client):
    ranked(None)
    page = client.get(f"/challenges/{ranked.challenge.slug}/leaderboard").get_data(as_text=True)
    assert "Tie rule: unadjusted paired 95% comparison with the leader" in page
    assert 'data-tie-rule="unadjusted paired 95% comparison with the leader' in page


def test_the_csv_and_the_bundle_carry_the_scheme_its_figure_and_the_pairwise_map(ranked, client, make_user):
    ranked({"scheme": "mean_rank", "metrics": ["brier", "average_precision"]})
    slug = ranked.challenge.slug
    rows = list(csv.DictReader(io.StringIO(client.get(f"/challenges/{slug}/leaderboard.csv").get_data(as_text=True))))
    assert [(r["team"], r["ranking_value"]) for r in rows] == [("Gamma", "1.5"), ("Beta", "2.0"), ("Alpha", "2.5")]
    make_user("organiser@example.org")
    login(client, "organiser@example.org")
    bundle = zipfile.ZipFile(io.BytesIO(client.get(f"/challenges/{slug}/leaderboard/results.zip").data))
    pairs = list(csv.DictReader(io.StringIO(bundle.read("pairwise-private.csv").decode())))
    assert len(pairs) == 3 and set(pairs[0]) == {"team_a", "team_b", "difference", "ci_low", "ci_high", "p_value",
                                                  "p_adjusted", "better"}
    readme = bundle.read("README.txt").decode()
    assert "Ranking: scheme mean_rank over brier, average_precision" in readme
    assert "Tie rule (\"tied with leader\", tied_with_leader): unadjusted paired 95% comparison" in readme
    summary = json.loads(bundle.read("summary.json"))
    assert summary["ranking"] == {"scheme": "mean_rank", "metrics": ["brier", "average_precision"]}
