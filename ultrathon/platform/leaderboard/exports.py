"""Leaderboard exports: CSV of a visible leaderboard, and the organisers' results bundle."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any, Iterable

from ultrathon.scorers.subgroups import MIN_GROUP_COUNT

from ..agents.sites import PENDING
from ..method_cards.service import challenge_cards, final_cards
from ..extensions import db
from ..models import Challenge, Phase, utcnow
from ..phases.commitments import challenge_commitments, in_force
from ..organise.exports import csv_safe, export_horizons_csv, export_scores_csv
from ..terms.attestation import attestations_csv
from .board import Board, as_board, board_of
from .cache import SPLITS
from .standings import get_standings, stats_of, tie_rule
from .stats import HOLM, PAIRWISE_TEAMS

STANDINGS_COLUMNS = [
    "rank", "team", "score", "ci_low", "ci_high", "submissions", "last_submission_at", "submitted_at",
    "baseline", "tied_with_leader", "p_rank1", "median_rank", "rank_low", "rank_high", "ranking_value",
]
PRIVATE_COLUMNS = ["public_rank", "rank_change"]
SITE_COLUMNS = ["score", "ci_low", "ci_high"]  # per site, after the others: `<site>_score`, ...
CARD_COLUMNS = ["method_title", "method_code_url"]  # the final entry's card, after the close; before the sites' columns
COMMITMENT_COLUMNS = ["commitment_sha256", "commitment_at"]  # the commitment in force for the phase, after its close
COMMITMENT_CSV_COLUMNS = ["team", "phase", "sha256", "label", "made_at", "made_by", "in_force"]
CARD_CSV_COLUMNS = ["submission_id", "team", "selected", "title", "code_url", "description", "fields", "updated_at"]

README = """Results of {title} ({slug})
Generated {generated} UTC. Primary metric: {metric} ({direction} is better), rounded to {decimals} decimals.

summary.json                  the challenge, metric, Kendall's tau of the shake-up, bootstrap size; with
                              phases, each phase's window, publication and figures under "phases"
<phase>-...                   with phases: each file of standings below, once per phase, named after it
leaderboard-public.csv/.json  public standings: each team's best public score, {ci_label} bootstrap CI
leaderboard-private.csv/.json private standings: the best private score among each team's final
                              selections (or its best {final_selections} by public score if it chose none)
rank-stability-<split>.csv    top {top_k} teams: P(rank 1), median rank and {ci_label} rank interval over
                              paired bootstrap resamples (ties share their mean rank; interval ends
                              rounded outward); tied_with_leader when the {ci_label} CI of the
                              paired difference to the leader includes 0 (difference_ci_low/high)
pairwise-private.csv          each pair of the top private teams (at most {pairwise_teams}): the paired bootstrap difference
                              in {metric} (team_a minus team_b), its {ci_label} interval, two-sided p-value
                              and its {adjustment} adjustment; better names the team significantly better
shake-up.csv                  each team's public and private rank and its move (positive: moved up)
subgroups.csv                 private scores of the top private teams per subgroup; groups with fewer
                              than {min_group_count} rows, events or positives are suppressed (no value,
                              no n), and so are groups that would let them be worked out from the rest
all-scores.csv                every submission with its status, times and every metric on both splits
commitments.csv/.json         every commitment of a SHA-256 made before a phase opened: team, phase, hash,
                              label, when; in_force marks each team's latest before the phase opened
method-cards.csv/.json        every method card: title, code link, the challenge's own fields and the
                              description as the team wrote it (Markdown; render it safely); final ones first
horizons.csv                  survival curves only: each scored submission's time-dependent AUC and IPCW
                              Brier score at each horizon on both splits, with percentile bootstrap intervals
attestations.csv              with terms.deletion_attestation only: each team member and when they attested
                              that they deleted the data (attested_at empty: not attested)

Ranking: {ranking}.
Tie rule ("tied with leader", tied_with_leader): {tie_rule}.
Ties are broken by submission time (the earlier submission ranks higher). Disqualified teams are
left out; baseline submissions are listed with baseline=1 and no rank.
"""


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    return csv_safe(value)


def _csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def standings_csv(challenge: Challenge | Board, split: str) -> str:
    """Return a leaderboard as CSV text, one row per team, with CIs, rank figures and each site's score."""
    standings = get_standings(challenge, split)
    board = as_board(challenge)
    columns = STANDINGS_COLUMNS + (PRIVATE_COLUMNS if split == "private" else [])
    sites = standings.get("sites", [])
    header = columns + CARD_COLUMNS + COMMITMENT_COLUMNS + [f"{site}_{name}" for site in sites for name in SITE_COLUMNS]
    # Before the close a card would hand a team's method to its rivals; after it, the card goes with the row,
    # and so does the commitment the team's entries of this phase are checked against.
    closed = board.is_closed()
    cards = final_cards(board.phase_id) if closed else {}
    committed = in_force(db.session.get(Phase, board.phase_id)) if closed else {}
    return _csv(header, ([entry.get(name) for name in columns] + _card_cells(cards.get(entry["team_id"]))
                         + _commitment_cells(committed.get(entry["team_id"])) + _site_cells(entry, sites)
                         for entry in standings["entries"]))


def _commitment_cells(commitment) -> list[Any]:
    return [commitment.sha256, commitment.created_at.isoformat()] if commitment is not None else [None, None]


def _card_cells(card: dict[str, Any] | None) -> list[Any]:
    return [card["title"], card["code_url"]] if card else [None, None]


def _cards_csv(cards: list[dict[str, Any]]) -> str:
    return _csv(CARD_CSV_COLUMNS, ([card[name] if name != "fields" else json.dumps(card["fields"]) for name in CARD_CSV_COLUMNS]
                                   for card in cards))


def _site_cells(entry: dict[str, Any], sites: list[str]) -> list[Any]:
    """Return an entry's score and CI at each site; "pending" (and no CI) for a site yet to report."""
    cells: list[Any] = []
    for site in sites:
        figures = entry["sites"][site]
        cells += ([PENDING, None, None] if figures == PENDING else [figures[name] for name in SITE_COLUMNS])
    return cells


def _rank_stability_csv(standings: dict[str, Any], payload: dict[str, Any]) -> str:
    figures = payload.get("teams", {})
    header = ["rank", "team", "score", "ci_low", "ci_high", "p_rank1", "median_rank", "rank_low", "rank_high",
              "tied_with_leader", "difference_ci_low", "difference_ci_high", "submission_id"]
    rows = []
    for entry in standings["entries"]:
        team = figures.get(str(entry["team_id"]))
        if team is None:
            continue
        difference = team.get("difference_ci") or [None, None]
        rows.append([entry["rank"], entry["team"], entry["score"], entry["ci_low"], entry["ci_high"],
                     team["p_rank1"], team["median_rank"], team["rank_low"], team["rank_high"],
                     team["tied_with_leader"], difference[0], difference[1], team["submission_id"]])
    return _csv(header, rows)


def _shake_up_csv(shake_up: dict[str, Any]) -> str:
    return _csv(["team", "public_rank", "private_rank", "change"],
                ([t["team"], t["public_rank"], t["private_rank"], t["change"]] for t in shake_up.get("teams", [])))


def _subgroups_csv(subgroups: dict[str, Any]) -> str:
    rows = []
    for team in subgroups.get("teams", []):
        for group, cell in zip(subgroups.get("groups", []), team["cells"]):
            if cell is None:
                continue
            rows.append([team["rank"], team["team"], group["column"], group["group"], cell["n"],
                         cell["value"], cell["ci_low"], cell["ci_high"], cell["suppressed"]])
    return _csv(["private_rank", "team", "column", "group", "n", "value", "ci_low", "ci_high", "suppressed"], rows)


def _pairwise_csv(pairwise: dict[str, Any] | None) -> str:
    teams = {t["team_id"]: t["team"] for t in (pairwise or {}).get("teams", [])}
    header = ["team_a", "team_b", "difference", "ci_low", "ci_high", "p_value", "p_adjusted", "better"]
    rows = ([teams[p["a"]], teams[p["b"]], p["difference"], p["ci_low"], p["ci_high"], p["p_value"], p["p_adjusted"],
             teams.get(p["better"])] for p in (pairwise or {}).get("pairs", []))
    return _csv(header, rows)


def _ranking_note(board: Board) -> str:
    """Return how the standings are ordered, for the bundle's README."""
    if board.ranking_scheme == "primary":
        return f"by the primary metric, {board.metric_label}"
    return (f"scheme {board.ranking_scheme} over {', '.join(board.ranking_metrics)} (ranking_value; see "
            "docs/challenge-format.md, Ranking); each team's submission is the one its primary metric picks")


def _publication(board: Board, generated) -> dict[str, Any]:
    """Return whether a phase's standings were out to everyone when the bundle was made, and by whose Publish."""
    return {"publish": board.publish, "published": board.is_closed(generated) and board.results_published(),
            "published_at": board.published_at.isoformat() if board.published_at else None,
            "published_by": board.published_by, "note": board.publication_note}


def _phase_files(bundle: zipfile.ZipFile, board: Board, prefix: str) -> dict[str, Any]:
    """Write one phase's standings, rank stability, shake-up, subgroups and pairwise files; return its summary."""
    summary: dict[str, Any] = {}
    for split in SPLITS:
        standings = get_standings(board, split)
        stats = stats_of(board, split)
        payload = stats.payload if stats is not None else {}
        bundle.writestr(f"{prefix}leaderboard-{split}.json", json.dumps(standings, indent=1))
        bundle.writestr(f"{prefix}leaderboard-{split}.csv", standings_csv(board, split))
        bundle.writestr(f"{prefix}rank-stability-{split}.csv", _rank_stability_csv(standings, payload))
        summary[split] = {"teams": len(standings["entries"]), "stats_as_of": standings["stats_as_of"],
                          "n_resamples": payload.get("n_resamples")}
        if split == "private":
            shake_up = payload.get("shake_up") or {}
            summary["kendall_tau"] = shake_up.get("tau")
            summary["kendall_tau_teams"] = shake_up.get("n_teams")
            bundle.writestr(f"{prefix}shake-up.csv", _shake_up_csv(shake_up))
            bundle.writestr(f"{prefix}subgroups.csv", _subgroups_csv(payload.get("subgroups") or {}))
            bundle.writestr(f"{prefix}pairwise-private.csv", _pairwise_csv(standings.get("pairwise")))
    return summary


def results_bundle(challenge: Challenge) -> bytes:
    """Return the organisers' zip for the paper: standings, all scores, rank stability, subgroups, shake-up.

    A phased challenge gets each phase's files, named after the phase (development-leaderboard-public.csv).
    """
    board = as_board(challenge)
    generated = utcnow()
    buffer = io.BytesIO()
    summary: dict[str, Any] = {
        "challenge": board.slug, "title": board.title, "metric": board.metric, "metric_label": board.metric_label,
        "higher_is_better": board.higher_is_better, "decimals": board.decimals, "closes_at": board.closes_at.isoformat(),
        "closed": board.is_closed(generated), "generated_at": generated.isoformat(), "final_selections": board.final_selections,
        "top_k": board.top_k, "ci_level": board.ci_level, "ci_method": board.ci_method,
        "ranking": {"scheme": board.ranking_scheme, "metrics": list(board.ranking_metrics) or [board.metric]},
        "tie_rule": tie_rule(board),
        "results": _publication(board, generated),
    }
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        if board.phased:
            summary["combine_phases"] = board.combine_phases
            summary["phases"] = []
            for phase in challenge.phases:
                of_phase = board_of(challenge, phase)
                summary["phases"].append({
                    "slug": phase.slug, "title": phase.title, "opens_at": phase.opens_at.isoformat(),
                    "closes_at": phase.closes_at.isoformat(), "closed": of_phase.is_closed(generated),
                    "final_selections": of_phase.final_selections, "feedback": of_phase.feedback,
                    "results": _publication(of_phase, generated),
                    **_phase_files(bundle, of_phase, f"{phase.slug}-")})
        else:
            summary.update(_phase_files(bundle, board, ""))
        bundle.writestr("all-scores.csv", export_scores_csv(challenge))
        cards = challenge_cards(challenge.id)
        bundle.writestr("method-cards.json", json.dumps(cards, indent=1))
        bundle.writestr("method-cards.csv", _cards_csv(cards))
        commitments = challenge_commitments(challenge)
        summary["commitments"] = commitments
        bundle.writestr("commitments.json", json.dumps(commitments, indent=1))
        bundle.writestr("commitments.csv", _csv(COMMITMENT_CSV_COLUMNS, ([c[name] for name in COMMITMENT_CSV_COLUMNS]
                                                                         for c in commitments)))
        if challenge.settings.submission.curves:
            bundle.writestr("horizons.csv", export_horizons_csv(challenge))
        if challenge.settings.terms.deletion_attestation:
            bundle.writestr("attestations.csv", attestations_csv(challenge))
        bundle.writestr("summary.json", json.dumps(summary, indent=1))
        bundle.writestr("README.txt", README.format(
            title=board.title, slug=board.slug, generated=f"{generated:%Y-%m-%d %H:%M}", metric=board.metric_label,
            direction="higher" if board.higher_is_better else "lower", decimals=board.decimals,
            final_selections=board.final_selections, top_k=board.top_k, min_group_count=MIN_GROUP_COUNT,
            ci_label=board.ci_label, adjustment=HOLM, pairwise_teams=PAIRWISE_TEAMS, ranking=_ranking_note(board), tie_rule=tie_rule(board)))
    return buffer.getvalue()
