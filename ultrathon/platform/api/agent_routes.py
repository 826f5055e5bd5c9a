"""The agent API under /api/v1/agent/: a data holder's scoring agent leases jobs and posts scores."""

from __future__ import annotations

import time

from flask import Response, jsonify, request, url_for
from flask_babel import gettext as _

from ..agents.challenges import WAKE_KEY
from ..agents.failures import store_failure
from ..agents.leases import (
    LeaseRefused,
    LeaseView,
    extend_lease,
    lease_next,
    lease_seconds,
    submission_bytes,
    token_challenge_ids,
)
from ..agents.models import AgentToken
from ..agents.results import store_result
from ..agents.tokens import AGENT_TOKEN_PREFIX, live_agent_token, note_seen
from ..extensions import db
from ..queueing import get_redis
from . import bp
from .auth import _bearer_secret
from .errors import ApiProblem, bearer_challenge

# Agents are programs and send no Accept-Language, so they read English; the messages are marked
# all the same (they are few and simple), for the person at the agent's console who asks for theirs.
MAX_WAIT_S = 20
RECHECK_S = 5  # a long poll looks again this often: an expired lease wakes nobody


def require_agent() -> AgentToken:
    """Return the calling agent's live token; answer 401 otherwise."""
    secret = _bearer_secret()
    token = live_agent_token(secret) if secret else None
    if token is None:
        db.session.rollback()
        raise ApiProblem(401, _("this operation needs a live agent token (they start with %(prefix)s); this one is "
                                "missing, unknown or revoked", prefix=repr(AGENT_TOKEN_PREFIX)),
                         headers={"WWW-Authenticate": bearer_challenge("invalid_token" if secret else None)})
    note_seen(token, request.headers.get("User-Agent"))
    return token


def _refused(error: LeaseRefused) -> ApiProblem:
    return ApiProblem(error.status, error.detail)


def _job_body(view: LeaseView) -> dict:
    return {
        "id": view.id,
        "submission_id": view.submission_id,
        "challenge": view.challenge,
        "expires_at": view.expires_at,
        "lease_seconds": lease_seconds(),
        "sha256": view.sha256,
        "size": view.size,
        "site": view.site,
        "phase": view.phase,
        "submission_url": url_for("api.agent_job_submission", job_id=view.id, _external=True),
        "heartbeat_url": url_for("api.agent_job_heartbeat", job_id=view.id, _external=True),
        "result_url": url_for("api.agent_job_result", job_id=view.id, _external=True),
        "failure_url": url_for("api.agent_job_failure", job_id=view.id, _external=True),
    }


def _wait_s() -> float:
    body = request.get_json(silent=True) if request.data else {}
    wait = (body or {}).get("wait", MAX_WAIT_S) if isinstance(body, dict) else None
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not 0 <= wait <= MAX_WAIT_S:
        raise ApiProblem(400, _("wait must be a number of seconds from 0 to %(most)s", most=MAX_WAIT_S),
                         invalid_params=[{"name": "wait"}])
    return float(wait)


@bp.post("/agent/lease")
def agent_lease():
    """Lease the next job of the agent's challenges, waiting up to `wait` seconds for one (204 if none)."""
    token = require_agent()
    token_id, deadline = token.id, time.monotonic() + _wait_s()
    keys = [WAKE_KEY.format(challenge_id=c) for c in token_challenge_ids(token)]
    while True:
        token = db.session.get(AgentToken, token_id)
        db.session.refresh(token)
        if token.revoked_at is not None:
            raise ApiProblem(401, _("this agent token was revoked while it waited"))
        view = lease_next(token)
        if view is not None:
            return jsonify(_job_body(view))
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not keys:
            return Response(status=204)
        get_redis().blpop(keys, timeout=min(remaining, RECHECK_S))


@bp.get("/agent/jobs/<job_id>/submission")
def agent_job_submission(job_id: str):
    """Send a leased job's submission file, as uploaded."""
    token = require_agent()
    try:
        data, filename = submission_bytes(token, job_id)
    except LeaseRefused as error:
        raise _refused(error) from None
    response = Response(data, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.post("/agent/jobs/<job_id>/heartbeat")
def agent_job_heartbeat(job_id: str):
    """Extend a held lease by one lease period."""
    token = require_agent()
    try:
        return jsonify({"id": job_id, "expires_at": extend_lease(token, job_id)})
    except LeaseRefused as error:
        raise _refused(error) from None


@bp.post("/agent/jobs/<job_id>/result")
def agent_job_result(job_id: str):
    """Store the score report of a leased job: once per submission and solution fingerprint."""
    token = require_agent()
    body = request.get_json(silent=True)
    try:
        return jsonify(store_result(token, job_id, body))
    except LeaseRefused as error:
        raise _refused(error) from None


@bp.post("/agent/jobs/<job_id>/failure")
def agent_job_failure(job_id: str):
    """End a leased job's submission `failed` with the message the agent could not score it by."""
    token = require_agent()
    body = request.get_json(silent=True)
    try:
        return jsonify(store_failure(token, job_id, body))
    except LeaseRefused as error:
        raise _refused(error) from None
