"""Routes of the REST API, version 1: thin views over the services each area owns."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from flask import Response, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ..audit import record
from ..challenges.access import (
    get_challenge, has_accepted_terms, held_back_message, held_until, is_organiser, team_of, terms_sha256,
)
from ultrathon.i18n import N_

from ..extensions import db
from ..governance.gate import participation_refusal
from ..models import Challenge, ChallengeFile, Membership, Submission, Team, User, utcnow
from ..phases.models import UnknownPhase, phase_named
from ..submissions.errors import SubmissionRefused
from ..submissions.quota import quota_for
from ..submissions.reading import submission_for_viewer, submission_to_dict
from ..submissions.selections import select_submission, unselect_submission
from ..submissions.uploads import accept_submission
from ..teams.service import TeamError, create_team, join_team
from . import bp
from .auth import current_api_user, require_user
from .errors import ApiProblem
from .openapi import openapi_document
from .pagination import keyset_page, page_body, page_request


@bp.before_request
def _check_request() -> None:
    """Refuse a malformed or dead token on every operation, before anything else."""
    # NUL characters in the address, query or form were refused app-wide already (arguments.refuse_nul).
    # The agent routes authenticate agent tokens themselves (agent_routes.require_agent).
    if request.endpoint != "api.openapi" and not (request.endpoint or "").startswith("api.agent_"):
        current_api_user()


@bp.get("/openapi.json")
def openapi():
    """Serve the OpenAPI 3.1 document of this API."""
    return jsonify(openapi_document())


# ---- challenges ----------------------------------------------------------------------------


@bp.get("/challenges")
def list_challenges():
    """List loaded challenges, oldest first, one page at a time."""
    rows, next_cursor = keyset_page(db.select(Challenge), Challenge.id, page_request())
    now = utcnow()
    return jsonify(page_body(rows, next_cursor, lambda c: challenge_summary(c, now)))


@bp.get("/challenges/<slug>")
def challenge_detail(slug: str):
    """Describe one challenge: rules, metric, public files, and the caller's team."""
    challenge = _challenge_or_404(slug)
    user = current_api_user()
    body = challenge_summary(challenge, utcnow())
    spec = challenge.settings
    team = team_of(user, challenge)
    body.update(
        description=challenge.description_md,
        metric={
            "primary": spec.metrics.primary,
            "secondary": list(spec.metrics.secondary),
            "higher_is_better": spec.metrics.facts().higher_is_better,
        },
        id_column=spec.data.id_column,
        prediction_columns=list(spec.submission.columns),
        max_mb=spec.submission.max_mb,
        limits={
            "per_day": spec.limits.per_day,
            "total": spec.limits.total,
            "final_selections": spec.limits.final_selections,
            "team_size": spec.teams.max_size,
        },
        terms={
            "version": spec.terms.version,
            "text": spec.terms.text,
            "text_sha256": terms_sha256(challenge),  # what an acceptance records: a changed text is accepted anew
            "language": spec.terms.language,
            "accepted": has_accepted_terms(user, challenge),
        },
        # A file a later phase releases is listed to teams once it is out; organisers see it before.
        files=[file_to_dict(challenge, f) for f in challenge.files
               if is_organiser(user, challenge) or held_until(challenge, f.name) is None],
        team=team_to_dict(team, user) if team is not None else None,
        organiser=is_organiser(user, challenge),
    )
    return jsonify(body)


@bp.get("/challenges/<slug>/files/<name>")
def download_file(slug: str, name: str):
    """Send one public file of a challenge to a user who accepted its terms."""
    user = require_user()
    challenge = _challenge_or_404(slug)
    refusal = None if is_organiser(user, challenge) else participation_refusal(user, challenge)
    if refusal is not None:
        raise ApiProblem(403, refusal.detail, kind=refusal.kind, title=refusal.title)
    if not (has_accepted_terms(user, challenge) or is_organiser(user, challenge)):
        raise ApiProblem(403, _("accept the data-use terms of %(challenge)s first: create or join a team with "
                                "accept_terms: true", challenge=challenge.slug))
    # Only ChallengeFile rows are served, by exact name: the solution is not one of them,
    # so no spelling of a path can reach it.
    public = db.session.execute(
        db.select(ChallengeFile).where(ChallengeFile.challenge_id == challenge.id, ChallengeFile.name == name)
    ).scalar_one_or_none()
    organiser = is_organiser(user, challenge)
    if public is None:
        names = ", ".join(f.name for f in challenge.files if organiser or held_until(challenge, f.name) is None)
        raise ApiProblem(404, _("%(challenge)s has no public file named %(name)s; its files are: %(files)s",
                                challenge=challenge.slug, name=repr(name[:80]), files=names))
    until = held_until(challenge, public.name)
    if until is not None and not organiser:
        raise ApiProblem(403, held_back_message(challenge, public.name, until))
    record("file.download", actor=user, challenge=challenge, target=public, name=public.name)
    db.session.commit()
    response = Response(public.content, mimetype="text/csv" if public.name.endswith(".csv") else "application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{public.name}"'
    response.headers["ETag"] = f'"{public.sha256}"'
    return response


# ---- teams ---------------------------------------------------------------------------------


@bp.post("/challenges/<slug>/teams")
def create_team_route(slug: str):
    """Create a team with the caller as its owner, accepting the terms if asked."""
    user = require_user()
    challenge = _challenge_or_404(slug)
    body = _json_object()
    name = _field(body, "name", str, required=True)
    accept = _field(body, "accept_terms", bool, default=False)
    try:
        team = create_team(challenge, user, name, accept=accept, answers=_field(body, "answers", dict))
    except TeamError as exc:
        raise ApiProblem(exc.status, str(exc), kind=exc.kind) from None
    response = jsonify(team_to_dict(team, user))
    response.status_code = 201
    return response


@bp.post("/teams/<int:team_id>/members")
def join_team_route(team_id: int):
    """Add the caller to a team whose invite code they hold."""
    user = require_user()
    team = db.session.get(Team, team_id)  # the int converter has kept it within an id's range
    if team is None:
        raise ApiProblem(404, _("no team with id %(id)s", id=team_id))
    body = _json_object()
    code = _field(body, "code", str, required=True)
    accept = _field(body, "accept_terms", bool, default=False)
    try:
        join_team(team, user, code, accept=accept, answers=_field(body, "answers", dict))
    except TeamError as exc:
        raise ApiProblem(exc.status, str(exc), kind=exc.kind) from None
    response = jsonify(team_to_dict(team, user))
    response.status_code = 201
    return response


# ---- submissions ---------------------------------------------------------------------------


@bp.post("/challenges/<slug>/submissions")
def upload_submission(slug: str):
    """Accept a prediction file for scoring; answer 202 with where to follow it."""
    user = require_user()
    challenge = _challenge_or_404(slug)
    upload = request.files.get("file")
    if upload is None:
        raise ApiProblem(400, _("send the predictions as a multipart/form-data field named `file`"))
    note = request.form.get("note", "")
    if "\x00" in note:
        raise ApiProblem(400, _("form field note: NUL characters are not allowed"))
    try:
        # The upload's own name is kept for display only; the bytes go to the database.
        submission = accept_submission(challenge, user, upload.read(), upload.filename or "", note=note,
                                       phase=request.args.get("phase") or request.form.get("phase") or None)
    except SubmissionRefused as exc:
        raise refusal_problem(exc) from None
    url = url_for("api.get_submission", submission_id=submission.id)
    team = db.session.get(Team, submission.team_id)
    quota = quota_for(challenge, team, user=user, phase=submission.phase).to_dict()
    response = jsonify(id=submission.id, status=submission.status, phase=submission.phase.slug, url=url, quota=quota)
    response.status_code = 202
    response.headers["Location"] = url
    return response


@bp.get("/challenges/<slug>/submissions")
def list_submissions(slug: str):
    """List the caller's team's submissions in one phase (?phase=, the current by default), newest first.

    Scores and cards are loaded per page, not per row.
    """
    user = require_user()
    challenge = _challenge_or_404(slug)
    page = page_request()
    try:
        phase = phase_named(challenge, request.args.get("phase") or None)
    except UnknownPhase as error:
        raise unknown_phase_problem(error) from None
    team = team_of(user, challenge)
    if team is None:
        return jsonify(page_body([], None, dict, team=None, quota=None, phase=phase.slug))
    select = (db.select(Submission).where(Submission.team_id == team.id, Submission.phase_id == phase.id)
              .options(selectinload(Submission.scores), selectinload(Submission.method_card)))
    rows, next_cursor = keyset_page(select, Submission.id, page, descending=True)
    return jsonify(page_body(rows, next_cursor, lambda s: submission_to_dict(s, user), phase=phase.slug,
                             team=team_to_dict(team, user), quota=quota_for(challenge, team, user=user, phase=phase).to_dict()))


@bp.get("/submissions/<int:submission_id>")
def get_submission(submission_id: int):
    """Show one of the caller's team's submissions (another team's is 404)."""
    user = require_user()
    return jsonify(submission_to_dict(_submission_or_404(submission_id, user), user))


@bp.put("/submissions/<int:submission_id>/selection")
def select_submission_route(submission_id: int):
    """Choose a submission as one of the team's final ones."""
    return _change_selection(submission_id, select_submission)


@bp.delete("/submissions/<int:submission_id>/selection")
def unselect_submission_route(submission_id: int):
    """Withdraw a submission from the team's final ones."""
    return _change_selection(submission_id, unselect_submission)


def _change_selection(submission_id: int, change: Callable[[Submission, User], None]) -> Response:
    """Select or unselect one of the caller's team's submissions; a refusal becomes its problem."""
    user = require_user()
    submission = _submission_or_404(submission_id, user)
    try:
        change(submission, user)
    except SubmissionRefused as exc:
        raise refusal_problem(exc) from None
    return jsonify(submission_to_dict(submission, user))


# ---- helpers -------------------------------------------------------------------------------


def _challenge_or_404(slug: str) -> Challenge:
    challenge = get_challenge(slug)
    if challenge is None:
        raise no_challenge_problem(slug)
    return challenge


def no_challenge_problem(slug: str) -> ApiProblem:
    """Return the 404 of a challenge slug nobody loaded."""
    return ApiProblem(404, _("no challenge with slug %(slug)s", slug=repr(slug[:80])))


def unknown_phase_problem(error: UnknownPhase) -> ApiProblem:
    """Return the 404 of a ?phase= the challenge does not have."""
    return ApiProblem(404, str(error), invalid_params=[{"name": "phase", "reason": _("no such phase")}])


def _submission_or_404(submission_id: int, user: User) -> Submission:
    submission = submission_for_viewer(submission_id, user)
    if submission is None:
        # The same answer whether it does not exist or belongs to another team.
        raise ApiProblem(404, _("no submission %(id)s among those you may see", id=submission_id))
    return submission


def _json_object() -> dict[str, Any]:
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nesting deeper than the decoder goes: not a body this API takes
        body = None
    if not isinstance(body, dict):
        raise ApiProblem(400, _("send a JSON object as the request body, with Content-Type: application/json"))
    return body


_TYPE_NAMES = {str: N_("a string"), bool: N_("true or false"), dict: N_("an object")}


def _field(body: dict[str, Any], name: str, kind: type, *, required: bool = False, default: Any = None) -> Any:
    if name not in body:
        if required:
            raise ApiProblem(400, _("body field %(name)s: required", name=name))
        return default
    value = body[name]
    if not isinstance(value, kind):
        raise ApiProblem(400, _("body field %(name)s: must be %(kind)s, got %(type)s", name=name, kind=_(_TYPE_NAMES[kind]),
                                type=type(value).__name__))
    if isinstance(value, str) and "\x00" in value:
        raise ApiProblem(400, _("body field %(name)s: NUL characters are not allowed", name=name))
    return value


def refusal_problem(exc: SubmissionRefused) -> ApiProblem:
    """Turn the pipeline's refusal into the API's problem document."""
    if exc.kind:
        kind = exc.kind
    elif exc.problems:
        kind = "invalid-submission"
    elif exc.status == 429:
        kind = "quota-reached"
    elif exc.status == 404:
        kind = "not-found"
    else:
        kind = "submission-refused"
    return ApiProblem(
        exc.status, exc.detail, kind=kind, title=exc.title,
        headers={"Retry-After": str(exc.retry_after)} if exc.retry_after else None,
        problems=exc.problems or None,  # already [{row, column, message}]
        quota=exc.quota.to_dict() if exc.quota is not None else None,
    )


def _in_utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(timezone.utc) if moment is not None else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def challenge_state(challenge: Challenge, now: datetime) -> str:
    """Return upcoming, open or closed."""
    if challenge.is_open(now):
        return "open"
    return "closed" if challenge.is_closed(now) else "upcoming"


def challenge_summary(challenge: Challenge, now: datetime) -> dict[str, Any]:
    """Return what a list of challenges shows of one."""
    return {
        "slug": challenge.slug,
        "title": challenge.title,
        "summary": challenge.summary,
        "task": challenge.task,
        "state": challenge_state(challenge, now),
        "opens_at": _iso(challenge.opens_at),
        "closes_at": _iso(challenge.closes_at),
        "url": url_for("api.challenge_detail", slug=challenge.slug),
    }


def file_to_dict(challenge: Challenge, public: ChallengeFile) -> dict[str, Any]:
    """Return a public file's listing."""
    return {
        "name": public.name,
        "size": public.size,
        "sha256": public.sha256,
        "url": url_for("api.download_file", slug=challenge.slug, name=public.name),
        "released_at": _iso(_in_utc(challenge.settings.released_at(public.name))),  # null: out from the start
    }


def team_to_dict(team: Team, viewer: User | None) -> dict[str, Any]:
    """Return a team; its invite code only to its own members."""
    members = db.session.execute(
        db.select(User.id, User.name, Membership.role).join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team.id).order_by(Membership.joined_at, Membership.id)
    ).all()
    is_member = viewer is not None and any(user_id == viewer.id for user_id, _, _ in members)
    return {
        "id": team.id,
        "name": team.name,
        "challenge": team.challenge.slug,
        "members": [{"name": name, "role": role} for _, name, role in members],
        "invite_code": team.invite_code if is_member else None,
        "created_at": _iso(team.created_at),
    }


from . import access_routes, agent_routes, commitment_routes, leaderboard_routes, method_card_routes  # noqa: E402,F401  (their views join the blueprint; kept apart for size)
