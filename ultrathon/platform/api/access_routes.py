"""POST and GET /api/v1/challenges/<slug>/access-request: a person asks to take part, and reads the answer."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from ..governance.access import ACCESS_KINDS, AccessError, latest_request, request_access, request_to_dict
from ..governance.gate import participation_refusal
from . import bp
from .auth import require_user
from .errors import ApiProblem
from .routes import _challenge_or_404, _json_object


@bp.get("/challenges/<slug>/access-request")
def get_access_request(slug: str):
    """Return the caller's access request in force: its state, answers and a refusal's reason."""
    user = require_user()
    challenge = _challenge_or_404(slug)
    return jsonify(request_to_dict(challenge, latest_request(user, challenge)))


@bp.post("/challenges/<slug>/access-request")
def post_access_request(slug: str):
    """Make the caller's access request with their answers; approved at once with an allowed domain."""
    user = require_user()
    challenge = _challenge_or_404(slug)
    body = _json_object()
    unknown = sorted(set(body) - {"answers"})
    if unknown:
        raise ApiProblem(400, _("body field %(name)s: not a field of an access request; it takes answers only",
                                name=unknown[0][:40]))
    refusal = participation_refusal(user, challenge, need_verified=True)
    if refusal is not None and refusal.kind not in ACCESS_KINDS:
        raise ApiProblem(403, refusal.detail, kind=refusal.kind, title=refusal.title)
    try:
        item = request_access(challenge, user, body.get("answers"))
    except AccessError as error:
        raise ApiProblem(error.status, str(error), kind=error.kind) from None
    response = jsonify(request_to_dict(challenge, item))
    response.status_code = 201
    return response
