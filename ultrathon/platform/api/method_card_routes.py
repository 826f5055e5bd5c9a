"""PUT /api/v1/submissions/<id>/method-card: a team fills the card of one of its submissions."""

from __future__ import annotations

from flask import jsonify

from ..method_cards.service import save_card
from ..submissions.errors import SubmissionRefused
from ..submissions.reading import submission_to_dict
from . import bp
from .auth import require_user
from .errors import ApiProblem
from .routes import _json_object, _submission_or_404, refusal_problem


@bp.put("/submissions/<int:submission_id>/method-card")
def put_method_card(submission_id: int):
    """Replace the method card of one of the caller's team's submissions; fields left out become empty."""
    user = require_user()
    submission = _submission_or_404(submission_id, user)
    try:
        save_card(submission, user, _json_object())
    except SubmissionRefused as exc:
        if exc.status == 400:  # the challenge's card, beyond what a schema can say: each field under problems
            raise ApiProblem(400, exc.detail, kind="invalid-method-card", title=exc.title, problems=exc.problems) from None
        raise refusal_problem(exc) from None
    return jsonify(submission_to_dict(submission, user))
