"""Standings: one SQL query per leaderboard, cached in Redis, merged with the uncertainty figures."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np

from ultrathon.i18n import gettext as _  # Flask-free: the standings front checks a split outside any request

from ..extensions import db
from ..models import Challenge, LeaderboardStats, Score, Submission, Team, utcnow
from .board import Board, as_board, board_of
from .cache import SPLITS, cache_key, cached, keep_board, kept_or_read
from .ordering import order_standings, point_values, ranking_figure
from .sites import add_site_columns
from .wording import tie_rule_text

TIE_BREAK = "Equal scores are ordered by submission time: the earlier submission ranks higher."


def tie_rule(board: Board) -> str:
    """Return the rule of the "tied with leader" badge, at the board's level, as the JSON and exports state it."""
    return tie_rule_text(board.ci_label, board.metric_label, translate=False)


class UnknownSplit(ValueError):
    """A leaderboard split other than public or private was asked for."""


def find_board(slug: str, phase: str | None = None) -> Board | None:
    """Return the board of a phase (the current one by default) of the challenge with this slug, from memory when fresh.

    None when there is no such challenge; UnknownPhase when it has no such phase.
    """
    return kept_or_read(f"{slug}@{phase or ''}", _read_board)


def _read_board(key: str) -> Board | None:
    """Read a phase's board from the database and keep it (forget it if the challenge is gone)."""
    read_at = time.monotonic()
    slug, phase = key.partition("@")[::2]
    challenge = db.session.execute(db.select(Challenge).where(Challenge.slug == slug)).scalar_one_or_none()
    return keep_board(key, read_at, board_of(challenge, phase or None) if challenge is not None else None)


def check_split(split: str | None) -> str:
    """Return a valid split name, or raise UnknownSplit saying which ones exist."""
    split = (split or "public").strip().lower()
    if split not in SPLITS:
        raise UnknownSplit(_("split must be public or private, got %(split)s", split=repr(split[:40])))
    return split


# --- The standings query ----------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """One team's row of a leaderboard, before ranks and rounding."""

    team_id: int
    team: str
    baseline: bool
    submission_id: int
    value: float
    ci_low: float | None
    ci_high: float | None
    submitted_at: datetime
    submissions: int
    last_submission_at: datetime
    ranking_value: float | int | None = None  # the scheme's figure (ordering.py); None under primary
    ranking_values: dict[str, float | None] | None = None  # each ranking metric's value; None under primary


def _best_first(value, higher_is_better: bool) -> tuple:
    """Return ORDER BY terms that put the best value first and undefined values last."""
    return (value.is_(None), value.desc() if higher_is_better else value.asc())


def _shown_value() -> Any:
    """Return the public score as teams see it: the Ladder's shown score where it set one."""
    return db.func.coalesce(Score.shown, Score.value)


def _pick(board: Board, *order, value: Any = Score.value) -> Any:
    """Return a window column numbering each team's rows best score first, then by `order`."""
    return db.func.row_number().over(partition_by=Score.team_id,
                                     order_by=(*_best_first(value, board.higher_is_better), *order))


def _scores(board: Board, split: str, *columns, shown: bool = False) -> Any:
    """Return a SELECT of a challenge's scores on one split: the columns every stage carries, then `columns`.

    `shown`: the Ladder's shown scores, without intervals (an interval of the score itself would tell it).
    """
    # Only scored submissions have Score rows: a re-score deletes them before it queues.
    value, low, high = (_shown_value(), db.null(), db.null()) if shown else (Score.value, Score.ci_low, Score.ci_high)
    return (
        db.select(Score.team_id, Score.submission_id, value.label("value"), low.label("ci_low"), high.label("ci_high"),
                  *columns)
        .where(Score.phase_id == board.phase_id, Score.split == split)
    )


def _best(scores, pick) -> Any:
    """Return each team's first row by `pick` among those with a defined score."""
    return db.select(scores).where(pick == 1, scores.c.value.is_not(None)).subquery("best")


def _public_scores(board: Board, shown: bool = False) -> Any:
    """Return every public score with its team's public order, selections and submission counts."""
    return _scores(
        board, "public",
        Submission.created_at.label("submitted_at"),
        Submission.selected_at,
        _pick(board, Submission.created_at, Submission.id, value=_shown_value() if shown else Score.value).label("public_pick"),
        db.func.count(Submission.selected_at).over(partition_by=Score.team_id).label("n_selected"),
        db.func.count().over(partition_by=Score.team_id).label("submissions"),
        db.func.max(Submission.created_at).over(partition_by=Score.team_id).label("last_submission_at"),
        shown=shown,
    ).join(Submission, Submission.id == Score.submission_id).subquery("public_scores")


def _best_private(board: Board, public) -> Any:
    """Return each team's best private score among its final selections (or best public picks)."""
    candidates = (
        db.select(public)
        .where(db.or_(
            db.and_(public.c.n_selected > 0, public.c.selected_at.is_not(None)),
            db.and_(public.c.n_selected == 0, public.c.public_pick <= board.final_selections),
        ))
        .subquery("candidates")
    )
    private = _scores(
        board, "private",
        candidates.c.submitted_at,
        candidates.c.submissions,
        candidates.c.last_submission_at,
        _pick(board, candidates.c.submitted_at, Score.submission_id).label("private_pick"),
    ).join(candidates, candidates.c.submission_id == Score.submission_id).subquery("private_scores")
    return _best(private, private.c.private_pick)


def standings_query(board: Board, split: str):
    """Return the one SQL statement that computes a leaderboard's standings.

    Public: each team's best public score. Private: among each team's final selections (or, when
    it selected none, its best `final_selections` by public score), the best private score.
    Ties go to the earlier submission. Disqualified teams are left out. Under feedback: ladder the
    public board ranks the shown scores; the private one is chosen by the scores themselves.
    """
    public = _public_scores(board, shown=_ladder_board(board, split))
    best = _best(public, public.c.public_pick) if split == "public" else _best_private(board, public)
    return (
        db.select(
            best.c.team_id, Team.name, Team.is_baseline, best.c.submission_id, best.c.value, best.c.ci_low,
            best.c.ci_high, best.c.submitted_at, best.c.submissions, best.c.last_submission_at,
        )
        .join(Team, Team.id == best.c.team_id)
        .where(Team.disqualified_at.is_(None))
        .order_by(*_best_first(best.c.value, board.higher_is_better), best.c.submitted_at, best.c.submission_id)
    )


def compute_standings(board: Board, split: str) -> list[Standing]:
    """Run the standings query and order it by the ranking scheme: teams best first, baselines among them."""
    rows = db.session.execute(standings_query(board, split)).all()
    if _ladder_board(board, split):
        return [Standing(*row) for row in rows]  # the shown primary score alone ranks: any other figure would tell
    return with_ranking_values(board, split, order_standings(board, split, [Standing(*row) for row in rows]))


def with_ranking_values(board: Board, split: str, rows: list[Standing]) -> list[Standing]:
    """Return the rows with each ranking metric's value, rounded as the primary, so the scheme's figure can be checked."""
    if not board.ranking_metrics or not rows:
        return rows
    values = point_values(board, split, [row.submission_id for row in rows])  # metrics x rows, NaN where undefined
    return [replace(row, ranking_values={metric: None if np.isnan(values[k, i]) else round(float(values[k, i]), board.decimals)
                                         for k, metric in enumerate(board.ranking_metrics)})
            for i, row in enumerate(rows)]


# --- The leaderboard as served ------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _rounded(value: float | None, decimals: int) -> float | None:
    return None if value is None else round(float(value), decimals)


def _ladder_board(board: Board, split: str) -> bool:
    """Return whether this board shows the Ladder's shown scores (feedback: ladder, public split)."""
    return split == "public" and board.feedback == "ladder"


def stats_of(board: Board, split: str) -> LeaderboardStats | None:
    """Return the stored uncertainty figures of a leaderboard, if computed yet (none on a Ladder board)."""
    if _ladder_board(board, split):
        return None  # intervals and rank figures of the scores themselves would tell what the Ladder holds back
    return db.session.execute(
        db.select(LeaderboardStats).where(LeaderboardStats.phase_id == board.phase_id, LeaderboardStats.split == split)
    ).scalar_one_or_none()


RANK_FIGURES = ("p_rank1", "median_rank", "rank_low", "rank_high")  # from the stats job, per team


def _without_tie(figures: dict | None) -> dict | None:
    """Return rank figures without "tied with the leader", for when the leader has changed since."""
    return None if figures is None else {**figures, "tied_with_leader": None}


def _entry(board: Board, split: str, row: Standing, rank: int | None, figures: dict | None,
           move: dict | None) -> dict[str, Any]:
    """Return one leaderboard row: its rounded score and interval, and the rank figures that fit it."""
    entry = {
        "rank": rank,
        "team": row.team,
        "team_id": row.team_id,
        "score": _rounded(row.value, board.decimals),
        "ci_low": _rounded(row.ci_low, board.decimals),
        "ci_high": _rounded(row.ci_high, board.decimals),
        "submissions": row.submissions,
        "last_submission_at": _iso(row.last_submission_at),
        "submitted_at": _iso(row.submitted_at),
        "baseline": row.baseline,
        "tied_with_leader": figures.get("tied_with_leader") if figures else None,
        "ranking_value": row.ranking_value,
        "ranking_values": row.ranking_values,
        **{name: figures.get(name) if figures else None for name in RANK_FIGURES},
    }
    if split == "private":
        entry["public_rank"] = move.get("public_rank") if move else None
        entry["rank_change"] = move.get("change") if move else None
    return entry


def build_standings(board: Board, split: str, rows: list[Standing], stats: LeaderboardStats | None,
                    as_of: datetime | None = None) -> dict[str, Any]:
    """Return the leaderboard document: ranks, rounded scores, and the figures that still fit the rows."""
    payload = stats.payload if stats is not None else {}
    team_stats: dict[str, dict] = payload.get("teams", {})
    moves = {str(t["team_id"]): t for t in (payload.get("shake_up") or {}).get("teams", [])}
    leader = next((row for row in rows if not row.baseline), None)
    # Rank figures describe the submissions they were computed for; "tied with the leader" also
    # needs the same leader. After a change they are left out until the job has caught up.
    same_leader = leader is not None and payload.get("leader_submission_id") == leader.submission_id
    entries = []
    rank = 0
    for row in rows:
        if not row.baseline:
            rank += 1
        figures = team_stats.get(str(row.team_id))
        if figures is not None and figures.get("submission_id") != row.submission_id:
            figures = None
        move = moves.get(str(row.team_id))
        if move is not None and move.get("submission_id") != row.submission_id:
            move = None
        entries.append(_entry(board, split, row, None if row.baseline else rank,
                              figures if same_leader else _without_tie(figures), move))
    return {
        "challenge": board.slug,
        "title": board.title,
        "split": split,
        "metric": board.metric,
        "metric_label": board.metric_label,
        "higher_is_better": board.higher_is_better,
        "decimals": board.decimals,
        "ci_level": board.ci_level,
        "ci_method": board.ci_method,
        "as_of": _iso(as_of or utcnow()),
        "stats_as_of": _iso(stats.as_of) if stats is not None else None,
        "n_resamples": payload.get("n_resamples"),
        "top_k": board.top_k,
        "closes_at": _iso(board.closes_at),
        "tie_break": TIE_BREAK,
        "feedback": board.feedback,  # ladder: public scores are the Ladder's shown ones (docs/challenge-format.md)
        "tie_rule": tie_rule(board),
        "ranking": {"scheme": board.ranking_scheme, "metrics": list(board.ranking_metrics) or [board.metric],
                    "labels": list(board.ranking_labels) or [board.metric_label]},
        "ranking_figure": ranking_figure(board),
        # The private split only: who can read it is decided before (routes, API), as for every private figure.
        "pairwise": current_pairwise(payload, rows) if split == "private" else None,
        "kendall_tau": (payload.get("shake_up") or {}).get("tau") if split == "private" else None,
        "entries": entries,
    }


def current_pairwise(payload: dict[str, Any], rows: list[Standing]) -> dict[str, Any] | None:
    """Return the stored pairwise map if its teams still stand on the same submissions, else None."""
    pairwise = payload.get("pairwise")
    if not pairwise:
        return None
    standing = {row.team_id: row.submission_id for row in rows}
    if any(standing.get(team["team_id"]) != team["submission_id"] for team in pairwise["teams"]):
        return None  # a change since the stats job ran: left out until it has caught up
    return pairwise


def encode_document(document: dict[str, Any]) -> bytes:
    """Return a leaderboard document as compact UTF-8 JSON."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def standings_body(challenge: Challenge | Board, split: str, generation: str | None = None) -> bytes:
    """Return a leaderboard as JSON bytes: from the cache, or computed by one query and cached.

    `generation` is the state a live page was told of; a kept copy older than it is not served.
    """
    board = as_board(challenge)

    def build() -> bytes:
        rows = compute_standings(board, split)
        document = build_standings(board, split, rows, stats_of(board, split))
        return encode_document(add_site_columns(board, split, document, [row.submission_id for row in rows]))

    return cached(board.id, cache_key(board.id, split, phase=board.phase_id), build, generation=generation)


def get_standings(challenge: Challenge | Board, split: str) -> dict[str, Any]:
    """Return a leaderboard (DESIGN's JSON shape): ranked entries with CIs and rank statistics."""
    return json.loads(standings_body(challenge, check_split(split)))

