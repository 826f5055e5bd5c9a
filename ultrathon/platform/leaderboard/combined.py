"""The combined view of a phased challenge: one ranking across its phases' private boards (combine_phases)."""

from __future__ import annotations

from typing import Any

from ..challenges.access import can_view_private
from .board import Board
from .standings import find_board, get_standings


class CombinedHidden(Exception):
    """A phase's private board, which the combined view needs, may not be shown to this viewer yet."""

    def __init__(self, board: Board) -> None:
        super().__init__(board.phase)
        self.board = board


def phase_boards(slug: str) -> list[Board] | None:
    """Return the board of every phase of a challenge, in order; None when there is no such challenge."""
    current = find_board(slug)
    if current is None:
        return None
    return [find_board(slug, phase) for phase, _ in current.phases] if current.phased else [current]


def _ranked(board: Board) -> list[dict[str, Any]]:
    """Return the ranked teams of a phase's private board (baselines and unranked rows left out), best first."""
    return [e for e in get_standings(board, "private")["entries"] if e["rank"] is not None and not e["baseline"]]


def combined_standings(boards: list[Board], viewer) -> dict[str, Any]:
    """Return the combined ranking of a challenge's phases as this viewer may see it.

    Raises CombinedHidden with the final phase's board until its private board may be shown to the
    viewer; under mean_rank, with any phase's board that may not be (its ranks make the mean).
    """
    final = boards[-1]
    shown = [can_view_private(viewer, board) for board in boards]
    if not shown[-1]:
        raise CombinedHidden(final)
    if final.combine_phases == "mean_rank" and not all(shown):
        raise CombinedHidden(boards[shown.index(False)])
    ranked = {board.phase: _ranked(board) if ok else [] for board, ok in zip(boards, shown)}
    ranks = {phase: {e["team_id"]: e["rank"] for e in entries} for phase, entries in ranked.items()}
    names = {e["team_id"]: e["team"] for entries in ranked.values() for e in entries}
    last = {e["team_id"]: e for e in ranked[final.phase]}
    if final.combine_phases == "mean_rank":
        order = _by_mean_rank(boards, ranks, names, last)
    else:
        order = [(e["team_id"], None) for e in ranked[final.phase]]
    entries = [{
        "rank": position,
        "team": names[team_id],
        "team_id": team_id,
        "mean_rank": mean,
        "score": last[team_id]["score"] if team_id in last else None,
        "phase_ranks": {b.phase: ranks[b.phase].get(team_id) if ok else None for b, ok in zip(boards, shown)},
    } for position, (team_id, mean) in enumerate(order, start=1)]
    return {
        "challenge": final.slug,
        "combine_phases": final.combine_phases,
        "phases": [{"slug": b.phase, "title": b.phase_title, "ranks_shown": ok} for b, ok in zip(boards, shown)],
        "entries": entries,
    }


def _by_mean_rank(boards: list[Board], ranks: dict[str, dict[int, int]], names: dict[int, str],
                  last: dict[int, dict[str, Any]]) -> list[tuple[int, float]]:
    """Return (team id, mean rank) best first: a team absent from a phase takes the rank after its last team there."""
    def mean(team_id: int) -> float:
        return sum(ranks[b.phase].get(team_id, len(ranks[b.phase]) + 1) for b in boards) / len(boards)

    def key(team_id: int) -> tuple:
        submitted = last[team_id]["submitted_at"] if team_id in last else None
        # Ties: the earlier final-phase submission first, a team without one after, then by name.
        return (mean(team_id), submitted is None, submitted or "", names[team_id].casefold())

    return [(team_id, round(mean(team_id), 4)) for team_id in sorted(names, key=key)]
