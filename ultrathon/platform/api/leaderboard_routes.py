"""The leaderboard's operations of the API: one phase's standings, a page at a time, and its events."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_babel import gettext as _

from ..challenges.access import being_verified, can_view_private
from ..challenges.feedback import hidden_notice, scores_hidden
from ..phases.models import UnknownPhase
from ..leaderboard.cache import cache_key, cached
from ..leaderboard.combined import CombinedHidden, combined_standings, phase_boards
from ..leaderboard.live import event_stream
from ..leaderboard.standings import Board, encode_document, find_board, get_standings
from . import bp
from .auth import current_api_user
from .errors import ApiProblem
from .pagination import DEFAULT_LIMIT, PageRequest, page_request, slice_page
from .routes import no_challenge_problem, unknown_phase_problem

MAX_KEPT_PAGE_START = 10_000  # leaderboard pages kept per process: the first 200 of each split at most
SPLITS = ("public", "private")


@bp.get("/challenges/<slug>/leaderboard")
def leaderboard(slug: str):
    """Return the ranked standings of one split, one page of entries at a time."""
    board = _board_or_404(slug)
    user = current_api_user()
    split = request.args.get("split", "public")
    if split not in SPLITS:
        raise ApiProblem(400, _("query parameter split: must be public or private, got %(split)s", split=repr(split[:40])))
    page = page_request()
    if split == "private" and not can_view_private(user, board):
        raise _private_refused(board)
    if scores_hidden(board, user):
        raise ApiProblem(403, hidden_notice(board))
    return Response(_standings_page_body(board, split, page), mimetype="application/json")


def _private_refused(board: Board) -> ApiProblem:
    """Return the 403 of a private board not shown to this caller yet: being verified, or before the close."""
    if being_verified(board):
        return ApiProblem(403, _("the final results of %(challenge)s are being verified by its organisers: the private "
                                 "leaderboard is shown once they publish them", challenge=board.slug),
                          kind="results-being-verified", title=_("Results being verified"))
    when = {"challenge": board.slug, "phase": board.phase_title, "time": board.closes_at.isoformat()}
    if board.phased:
        return ApiProblem(403, _("the private leaderboard of %(challenge)s is shown to its organisers only until the "
                                 "%(phase)s phase closes at %(time)s", **when))
    return ApiProblem(403, _("the private leaderboard of %(challenge)s is shown to its organisers only until the "
                             "challenge closes at %(time)s", **when))


@bp.get("/challenges/<slug>/leaderboard/combined")
def combined_leaderboard(slug: str):
    """Return the ranking across a challenge's phases (combine_phases) once the final phase's results are out."""
    boards = phase_boards(slug)
    if boards is None:
        raise no_challenge_problem(slug)
    try:
        return jsonify(combined_standings(boards, current_api_user()))
    except CombinedHidden as hidden:
        raise _private_refused(hidden.board) from None


@bp.get("/challenges/<slug>/events")
def events(slug: str):
    """Stream leaderboard changes of one challenge as server-sent events."""
    return event_stream(_board_or_404(slug))


def _standings_page_body(board: Board, split: str, page: PageRequest) -> bytes:
    """Return one page of a leaderboard's entries, with its next_cursor, as JSON bytes."""

    def build() -> bytes:
        standings = get_standings(board, split)
        entries, next_cursor = slice_page(standings["entries"], page)
        return encode_document({**standings, "entries": entries, "next_cursor": next_cursor})

    start = page.position or 0
    # The pages a client walks with the default limit are kept until the standings change; any
    # other page is cut from the cached standings on each request.
    if page.limit != DEFAULT_LIMIT or start % DEFAULT_LIMIT or start >= MAX_KEPT_PAGE_START:
        return build()
    return cached(board.id, cache_key(board.id, split, f"api-page-{start}", phase=board.phase_id), build, shared=False)


def _board_or_404(slug: str) -> Board:
    """Return the board of the phase ?phase= names (the current one by default), or answer 404."""
    try:
        board = find_board(slug, request.args.get("phase") or None)
    except UnknownPhase as error:
        raise unknown_phase_problem(error) from None
    if board is None:
        raise no_challenge_problem(slug)
    return board
