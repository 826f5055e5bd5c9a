"""POST and GET /api/v1/challenges/<slug>/commitments: a team's SHA-256 of its model before a phase opens."""

from __future__ import annotations

from flask import jsonify, request

from ..challenges.access import team_of
from ..phases.commitments import CommitmentRefused, make_commitment, next_phase, team_commitments
from ..phases.models import UnknownPhase, current_phase, phase_named
from . import bp
from .auth import require_user
from .errors import ApiProblem
from .routes import _challenge_or_404, _field, _json_object, unknown_phase_problem


def _problem(exc: CommitmentRefused) -> ApiProblem:
    params = [{"name": exc.field, "reason": exc.detail}] if exc.field and exc.status == 400 else None
    return ApiProblem(exc.status, exc.detail, invalid_params=params)


@bp.post("/challenges/<slug>/commitments")
def make_commitment_route(slug: str):
    """Commit the SHA-256 of the team's model or code archive for a phase that has not opened (the next by default)."""
    user = require_user()
    challenge = _challenge_or_404(slug)
    body = _json_object()
    phase = _field(body, "phase", str)
    label = _field(body, "label", str, default="")
    try:
        commitment = make_commitment(challenge, user, phase or None, _field(body, "sha256", str, required=True), label)
    except CommitmentRefused as exc:
        raise _problem(exc) from None
    mine = team_commitments(commitment.team, commitment.phase)
    response = jsonify(next(c for c in mine if c["id"] == commitment.id))
    response.status_code = 201
    return response


@bp.get("/challenges/<slug>/commitments")
def list_commitments(slug: str):
    """List the caller's team's commitments for a phase (?phase=; the next to open, else the current), oldest first."""
    user = require_user()
    challenge = _challenge_or_404(slug)
    try:
        asked = request.args.get("phase") or None
        phase = phase_named(challenge, asked) if asked else (next_phase(challenge) or current_phase(challenge))
    except UnknownPhase as error:
        raise unknown_phase_problem(error) from None
    team = team_of(user, challenge)
    items = team_commitments(team, phase) if team is not None else []
    return jsonify(phase=phase.slug, opens_at=phase.opens_at.isoformat(), open_for_commitments=not phase.has_opened(),
                   team=team.name if team is not None else None, items=items)
