"""Leaderboard pages: the live page, its JSON and CSV, and the organisers' results bundle."""

from __future__ import annotations

from flask import Response, abort, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from ..api.errors import problem_response
from ..audit import record
from ..challenges.access import (
    being_verified,
    can_view_private,
    get_challenge,
    is_organiser,
    private_shown_to_all,
    team_of,
)
from ..challenges.feedback import hidden_notice, scores_hidden
from ..extensions import db, limiter
from ..languages.formatting import shown_time
from . import bp
from ..phases.models import UnknownPhase
from .board import Board
from .cache import cache_key, cached
from .combined import CombinedHidden, combined_standings, phase_boards
from .exports import results_bundle, standings_csv
from .fragments import charts_body, standings_fragment
from .front import STANDINGS_JSON_HEADERS, generation_from
from .standings import UnknownSplit, check_split, find_board, standings_body
from .wording import moment_from_iso, shown_percent, shown_tie_rule, split_name

# The pages' writers of percentages, split names, the tie rule and the standings' ISO times, for every template.
bp.add_app_template_global(shown_percent)
bp.add_app_template_global(shown_tie_rule)
bp.add_app_template_global(split_name)
bp.add_app_template_filter(moment_from_iso, "from_iso")


@limiter.request_filter
def _not_limited() -> bool:
    """Leave the leaderboard's public reads from the cache out of rate limiting."""
    # Before any limit is looked up: Flask-Limiter's exemption of a blueprint still resolved
    # every limit first, a quarter of the time of a cached read.
    return request.blueprint == bp.name


def _refuse(status: int, message: str, as_json: bool):
    """Stop the request with a clear message: a problem document for JSON readers, else a page."""
    if as_json:
        abort(problem_response(status, message))
    abort(status, description=message)


def _board_or_404(slug: str, as_json: bool = False) -> Board:
    """Return the board of the phase ?phase= names (the current one by default), or refuse with 404."""
    try:
        board = find_board(slug, request.args.get("phase") or None)
    except UnknownPhase as error:
        _refuse(404, f"{error}.", as_json)
    if board is None:
        _refuse(404, _("There is no challenge called %(slug)s.", slug=repr(slug)), as_json)
    return board


def _viewer():
    """Return the logged-in user, or None without touching the session of a visitor who has none."""
    if not request.cookies:
        return None  # no session cookie: anonymous, and nothing here may start a session
    return current_user if current_user.is_authenticated else None


def _visible_split(board: Board, as_json: bool = False) -> str:
    """Return the split asked for, refusing an unknown one (400) or a private one not yet shown (403)."""
    try:
        split = check_split(request.args.get("split"))
    except UnknownSplit as exc:
        _refuse(400, _("Query parameter split: %(problem)s.", problem=exc), as_json)
    # After the close no viewer is looked up, so a private read touches no session.
    if split == "private" and not private_shown_to_all(board) and not can_view_private(_viewer(), board):
        _refuse(403, private_refusal(board), as_json)
    return split


def _refuse_hidden(board: Board, as_json: bool = False) -> None:
    """Stop a read of standings while feedback: hidden keeps every score from teams and visitors."""
    if scores_hidden(board, _viewer()):
        _refuse(403, hidden_notice(board), as_json)


def private_refusal(board: Board) -> str:
    """Return why the private standings are not shown to this viewer yet: before the close, or being verified."""
    if being_verified(board):
        return _("The final results of %(challenge)s are being verified by its organisers: the private "
                 "leaderboard is shown once they publish them.", challenge=board.title)
    if board.phased:
        return _("The private leaderboard of %(challenge)s is shown to its organisers only until the %(phase)s "
                 "phase closes at %(time)s.", challenge=board.title, phase=board.phase_title,
                 time=shown_time(board.closes_at))
    return _("The private leaderboard of %(challenge)s is shown to its organisers only until the challenge "
             "closes at %(time)s.", challenge=board.title, time=shown_time(board.closes_at))


def _generation() -> str | None:
    """Return the standings state a live page was told of (`g`, from its event), if any."""
    return generation_from(request.args.get("g"))


@bp.get("/challenges/<slug>/leaderboard")
def page(slug: str):
    """Show the live leaderboard of one split, with its uncertainty, charts and exports."""
    board = _board_or_404(slug)
    split = _visible_split(board)
    viewer = _viewer()
    if viewer is None and not request.cookies:
        # Every visitor without a session sees the same page: built once per change and process.
        # What the page says changes at the close and at publication, neither of which is a new score.
        state = ("published" if board.results_published() else "verifying") if board.is_closed() else "open"
        kind = f"page-{state}-{get_locale()}"  # the visitor's language: Accept-Language, else the challenge's
        body = cached(board.id, cache_key(board.id, split, kind, phase=board.phase_id), lambda: _render_page(board, split, None).encode(),
                      shared=False)
        return Response(body, mimetype="text/html")
    return _render_page(board, split, viewer)


def _render_page(board: Board, split: str, viewer) -> str:
    organiser = is_organiser(viewer, board)
    my_team = team_of(viewer, board) if viewer is not None else None
    if scores_hidden(board, viewer):
        fragment = Markup('<p class="notice" id="scores-hidden">{}</p>').format(hidden_notice(board))
    else:
        fragment = Markup(standings_fragment(board, split).decode())
    return render_template(
        "leaderboard/page.html",
        board=board,
        challenge=board,
        section="leaderboard",
        split=split,
        private_visible=can_view_private(viewer, board),
        organiser=organiser,
        my_team_id=my_team.id if my_team is not None else None,
        fragment=fragment,
    )


@bp.get("/challenges/<slug>/leaderboard.json")
def standings_json(slug: str):
    """Return the standings of one split as JSON (what the live page polls when streams fail)."""
    board = _board_or_404(slug, as_json=True)
    split = _visible_split(board, as_json=True)
    _refuse_hidden(board, as_json=True)
    # The same answer CachedStandingsFront gives when it holds the bytes (front.py).
    return Response(standings_body(board, split, _generation()), headers=STANDINGS_JSON_HEADERS)


@bp.get("/challenges/<slug>/leaderboard/charts.json")
def charts_json(slug: str):
    """Return the series the leaderboard's charts draw."""
    board = _board_or_404(slug, as_json=True)
    split = _visible_split(board, as_json=True)
    _refuse_hidden(board, as_json=True)
    response = Response(charts_body(board, split, _generation()), mimetype="application/json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/challenges/<slug>/leaderboard.csv")
def standings_csv_export(slug: str):
    """Download the standings of one split as CSV, with CIs and rank figures."""
    board = _board_or_404(slug)
    split = _visible_split(board)
    _refuse_hidden(board)
    return Response(
        standings_csv(board, split),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{board.slug}{_phase_part(board)}-{split}-leaderboard.csv"',
                 "Cache-Control": "no-cache"},
    )


def _phase_part(board: Board) -> str:
    """Return what a file name says of the phase: nothing for a challenge of one phase."""
    return f"-{board.phase}" if board.phased else ""


def _combined_or_refuse(slug: str, as_json: bool) -> tuple[list[Board], dict]:
    """Return a challenge's phase boards and combined standings, or refuse as its private board would."""
    boards = phase_boards(slug)
    if boards is None:
        _refuse(404, _("There is no challenge called %(slug)s.", slug=repr(slug)), as_json)
    try:
        return boards, combined_standings(boards, _viewer())
    except CombinedHidden as hidden:
        _refuse(403, private_refusal(hidden.board), as_json)


@bp.get("/challenges/<slug>/leaderboard/combined")
def combined_page(slug: str):
    """Show the ranking across a challenge's phases (combine_phases), once the final phase's results are out."""
    boards, combined = _combined_or_refuse(slug, as_json=False)
    return render_template("leaderboard/combined.html", board=boards[-1], challenge=boards[-1], boards=boards,
                           combined=combined, section="leaderboard")


@bp.get("/challenges/<slug>/leaderboard/combined.json")
def combined_json(slug: str):
    """Return the ranking across a challenge's phases as JSON."""
    _, combined = _combined_or_refuse(slug, as_json=True)
    response = jsonify(combined)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/challenges/<slug>/leaderboard/results.zip")
def results_zip(slug: str):
    """Download the final results bundle for the paper (organisers only)."""
    challenge = get_challenge(slug)
    if challenge is None:
        abort(404, description=_("There is no challenge called %(slug)s.", slug=repr(slug)))
    viewer = _viewer()
    if viewer is None:
        abort(401, description=_("Log in as an organiser of this challenge to download its results."))
    if not is_organiser(viewer, challenge):
        abort(403, description=_("Only the organisers of this challenge can download its results bundle."))
    data = results_bundle(challenge)
    record("leaderboard.results_export", actor=viewer, challenge=challenge, target=challenge, bytes=len(data))
    db.session.commit()
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{challenge.slug}-results.zip"',
                 "Cache-Control": "no-store"},
    )
