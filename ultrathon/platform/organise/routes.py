"""The organisers' pages: dashboard, actions on submissions and teams, audit log, export, upload.

Every page answers 404 to a signed-in user who does not organise the challenge, so the page's
existence is not confirmed; a visitor who is not signed in is sent to the login page.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ultrathon.challenge_folder import ChallengeInvalid
from ultrathon.i18n import N_
from ultrathon.scorers.subgroups import MIN_GROUP_COUNT

from ..agents.tokens import challenge_agents, challenge_tokens
from ..agents.sites import submission_sites
from ..arguments import int_arg
from ..challenges.access import get_challenge, is_organiser
from ..challenges.publication import PublicationRefused, publish_results, withdraw_results
from ..challenges.loader import LoadRefused
from ..extensions import db, login_manager
from ..governance.access import pending_requests
from ..governance.suspension import participant_rows
from ..leaderboard.curves import submission_charts
from ..models import Challenge, utcnow
from ..submissions.actions import (
    cancel_submission,
    disqualify_team,
    requalify_team,
    rescore_challenge,
    rescore_submission,
)
from ..submissions.errors import SubmissionRefused
from ..submissions.uploads import accept_baseline
from ..terms.attestation import attestation_rows
from . import audit_log, bp, challenge_upload, charts, exports, listing
from .forms import ActionForm, AgentTokenForm, BaselineForm, ChallengeUploadForm, DisqualifyForm, PublishForm

TZ_COOKIE = "tz"  # the browser's IANA zone, set by static/js/organise.js; decides where days begin
# What the loader says it did, as the flash after an upload says it in the page's language.
LOAD_OUTCOMES = {"created": N_("%(slug)s: created."), "updated": N_("%(slug)s: updated."),
                 "unchanged": N_("%(slug)s: unchanged.")}


def _signed_in() -> None:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())


def _organised(slug: str) -> Challenge:
    """Return the challenge if the signed-in user organises it; 404 otherwise."""
    _signed_in()
    challenge = get_challenge(slug)
    if challenge is None or not is_organiser(current_user, challenge):
        abort(404)
    return challenge


def _zone():
    return listing.viewer_zone(request.cookies.get(TZ_COOKIE))


@bp.context_processor
def _zone_helpers() -> dict:
    return {"zone_name": listing.zone_name(_zone())}


def _back_to_dashboard(challenge: Challenge):
    """Redirect to the dashboard page the action was made from, keeping its filters."""
    dashboard = url_for(".dashboard", slug=challenge.slug)
    back = request.form.get("back", "")
    if not (back == dashboard or back.startswith(dashboard + "?")):
        back = dashboard  # only ever back to this dashboard, never to an address from the form
    return redirect(back)


# --- Lists -----------------------------------------------------------------------------------

@bp.get("/organise")
def index():
    """List the challenges the user organises."""
    _signed_in()
    challenges = listing.organised_challenges(current_user)
    if not challenges and not current_user.is_admin:
        abort(404)
    return render_template("organise/index.html", challenges=challenges)


@bp.get("/challenges/<slug>/organise")
def dashboard(slug: str):
    """Show every submission with filters, the teams, charts and the organiser's actions."""
    challenge = _organised(slug)
    zone = _zone()
    filters = listing.parse_filters(request.args, challenge)
    agents = challenge_agents(challenge)
    page = db.paginate(
        listing.submission_query(challenge, filters, zone),
        page=int_arg("page", 1), per_page=listing.PER_PAGE, error_out=False,
    )
    return render_template(
        "organise/dashboard.html",
        challenge=challenge,
        filters=filters,
        page=page,
        scores=listing.scores_of(s.id for s in page.items),
        teams=listing.team_rows(challenge),
        participants=participant_rows(challenge),
        access_requests=pending_requests(challenge),
        attestations=attestation_rows(challenge) if challenge.settings.terms.deletion_attestation else None,
        counts=listing.status_counts(challenge),
        statuses=listing.STATUSES,
        charts=[charts.submissions_per_day(challenge, zone), charts.teams_over_time(challenge, zone)],
        action_form=ActionForm(),
        publish_form=PublishForm(),
        back=request.full_path.rstrip("?"),
        agents=agents,
        agent_tokens=challenge_tokens(challenge) if agents is not None else None,
        agent_token_form=AgentTokenForm(formdata=None).with_sites(challenge.settings.sites),
    ), (400 if filters.problems else 200)


@bp.get("/challenges/<slug>/organise/submissions/<int:submission_id>")
def submission(slug: str, submission_id: int):
    """Show one submission in full, with the organiser-only error detail."""
    challenge = _organised(slug)
    sub = listing.find_submission(challenge, submission_id) or abort(404)
    scores = listing.scores_of([sub.id])
    sites = submission_sites(challenge, [sub], private_visible=True).get(sub.id)  # organisers see private figures
    return render_template("organise/submission.html", challenge=challenge, sub=sub, scores=scores, sites=sites,
                           curves=submission_charts(sub.id, _("Submission %(id)s", id=sub.id)),
                           min_group_count=MIN_GROUP_COUNT, action_form=ActionForm(), back=url_for(".dashboard", slug=slug))


# --- Actions on submissions ------------------------------------------------------------------

def _submission_action(slug: str, submission_id: int, action: str):
    challenge = _organised(slug)
    sub = listing.find_submission(challenge, submission_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        if action == "rescore":
            rescore_submission(sub, current_user)
            flash(_("Submission %(id)s is queued for re-scoring.", id=sub.id), category="success")
        else:
            cancel_submission(sub, current_user)
            flash(_("Submission %(id)s is cancelled.", id=sub.id), category="success")
    except SubmissionRefused as refused:
        db.session.rollback()
        flash(_("Submission %(id)s: %(reason)s", id=sub.id, reason=refused), category="error")
    return _back_to_dashboard(challenge)


@bp.post("/challenges/<slug>/organise/submissions/<int:submission_id>/rescore")
def rescore(slug: str, submission_id: int):
    """Queue one submission for scoring again."""
    return _submission_action(slug, submission_id, "rescore")


@bp.post("/challenges/<slug>/organise/submissions/<int:submission_id>/cancel")
def cancel(slug: str, submission_id: int):
    """Cancel a submission that is waiting or being scored."""
    return _submission_action(slug, submission_id, "cancel")


@bp.post("/challenges/<slug>/organise/rescore")
def rescore_all(slug: str):
    """Queue every submission of the challenge for scoring again."""
    challenge = _organised(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    count = rescore_challenge(challenge, current_user)
    flash(_("%(num)s submission(s) queued for re-scoring.", num=count), category="success")
    return _back_to_dashboard(challenge)


# --- Publishing the results ------------------------------------------------------------------

@bp.post("/challenges/<slug>/organise/results/publish")
def publish(slug: str):
    """Show the closed challenge's final standings to everyone."""
    challenge = _organised(slug)
    form = PublishForm()
    if not form.validate_on_submit():
        flash(" ".join(form.note.errors) or _("The form expired; reload the dashboard and press Publish again."), category="error")
        return redirect(url_for(".dashboard", slug=slug) + "#results")
    phase = request.form.get("phase") or None
    return _publication_action(challenge, lambda: publish_results(challenge, current_user, form.note.data or "", phase),
                               _("The final results are published."))


@bp.post("/challenges/<slug>/organise/results/withdraw")
def withdraw(slug: str):
    """Take the published final standings back to the organisers."""
    challenge = _organised(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    phase = request.form.get("phase") or None
    return _publication_action(challenge, lambda: withdraw_results(challenge, current_user, phase),
                               _("The publication is withdrawn: the final results are shown to the organisers only."))


def _publication_action(challenge: Challenge, act, done: str):
    try:
        act()
    except PublicationRefused as refused:
        db.session.rollback()
        flash(f"{refused.detail[0].upper()}{refused.detail[1:]}.", category="error")
    else:
        flash(done, category="success")
    return redirect(url_for(".dashboard", slug=challenge.slug) + "#results")


# --- Actions on teams ------------------------------------------------------------------------

@bp.route("/challenges/<slug>/organise/teams/<int:team_id>/disqualify", methods=["GET", "POST"])
def disqualify(slug: str, team_id: int):
    """Ask for a reason, then disqualify the team."""
    challenge = _organised(slug)
    team = listing.find_team(challenge, team_id) or abort(404)
    form = DisqualifyForm()
    if form.validate_on_submit():
        try:
            disqualify_team(team, form.reason.data, current_user)
        except SubmissionRefused as refused:
            db.session.rollback()
            form.reason.errors = [refused.detail]
        else:
            flash(_("%(team)s is disqualified.", team=team.name), category="success")
            return redirect(url_for(".dashboard", slug=slug) + "#teams")
    status = 400 if form.is_submitted() else 200
    return render_template("organise/disqualify.html", challenge=challenge, team=team, form=form), status


@bp.post("/challenges/<slug>/organise/teams/<int:team_id>/requalify")
def requalify(slug: str, team_id: int):
    """Lift a team's disqualification."""
    challenge = _organised(slug)
    team = listing.find_team(challenge, team_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    requalify_team(team, current_user)
    flash(_("%(team)s is back in the competition.", team=team.name), category="success")
    return redirect(url_for(".dashboard", slug=slug) + "#teams")


@bp.route("/challenges/<slug>/organise/baseline", methods=["GET", "POST"])
def baseline(slug: str):
    """Upload an organiser's baseline predictions, scored like any submission and shown unranked."""
    challenge = _organised(slug)
    form = BaselineForm()
    refusal = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            sub = accept_baseline(challenge, current_user, upload.read(), upload.filename or "baseline.csv",
                                  form.note.data or "", name=form.name.data)
        except SubmissionRefused as refused:
            db.session.rollback()
            refusal = refused.detail
        else:
            flash(_("Baseline submission %(id)s is queued for scoring.", id=sub.id), category="success")
            return redirect(url_for(".dashboard", slug=slug))
    status = 400 if form.is_submitted() else 200
    return render_template("organise/baseline.html", challenge=challenge, form=form, refusal=refusal), status


# --- Audit and export ------------------------------------------------------------------------

@bp.get("/challenges/<slug>/organise/audit")
def audit(slug: str):
    """Show the challenge's audit log, newest first."""
    challenge = _organised(slug)
    page = audit_log.audit_page(challenge, int_arg("page", 1))
    return render_template("organise/audit.html", challenge=challenge, page=page,
                           actors=audit_log.actors(page.items), team_names=audit_log.team_names(page.items))


@bp.get("/challenges/<slug>/organise/scores.csv")
def scores_csv(slug: str):
    """Download every submission's status, times and scores as CSV."""
    challenge = _organised(slug)
    body = exports.export_scores_csv(challenge)
    filename = f"{challenge.slug}-scores-{utcnow():%Y%m%dT%H%MZ}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",  # private scores: never kept by a shared cache
    })


# --- Challenge upload ------------------------------------------------------------------------

def _upload(form: ChallengeUploadForm, slug: str | None):
    """Handle a challenge zip upload; return (template arguments, status) or a redirect."""
    outcome = {"problems": [], "refused": None, "error": None}
    if not form.validate_on_submit():
        return outcome, (400 if form.is_submitted() else 200)
    try:
        loaded, what = challenge_upload.upload_challenge(
            form.file.data.read(), current_user, rescore=form.rescore.data, slug=slug
        )
    except challenge_upload.UploadRefused as refused:
        outcome["error"] = str(refused)
        return outcome, 400
    except ChallengeInvalid as invalid:
        outcome["problems"] = [p.render() for p in invalid.problems]
        return outcome, 400
    except LoadRefused as refused:
        db.session.rollback()
        # The loader's sentence names the command's flag; the page names its own checkbox.
        outcome["refused"] = _(
            "The solution, metrics or split changed and %(count)s submission(s) already have scores: "
            "tick “Re-score every submission” and upload again.", count=refused.scored,
        ) if refused.scored else str(refused)
        return outcome, 409
    # An outcome with a count (a re-score) is the loader's own sentence, shown as it wrote it.
    flash(_(LOAD_OUTCOMES[what], slug=loaded) if what in LOAD_OUTCOMES else f"{loaded}: {what}.", category="success")
    challenge = get_challenge(loaded)
    if challenge is not None and is_organiser(current_user, challenge):
        return redirect(url_for(".dashboard", slug=loaded)), None
    return redirect(url_for("main.index")), None  # the new YAML no longer lists this user


@bp.route("/organise/challenges/upload", methods=["GET", "POST"])
def upload_new():
    """Create (or update) a challenge from a zip of its folder; administrators only."""
    _signed_in()
    if not current_user.is_admin:
        abort(404)
    form = ChallengeUploadForm()
    outcome, status = _upload(form, None)
    if status is None:
        return outcome
    return render_template("organise/upload.html", challenge=None, form=form, **outcome), status


@bp.route("/challenges/<slug>/organise/upload", methods=["GET", "POST"])
def upload_update(slug: str):
    """Update this challenge from a zip of its folder."""
    challenge = _organised(slug)
    form = ChallengeUploadForm()
    outcome, status = _upload(form, slug)
    if status is None:
        return outcome
    return render_template("organise/upload.html", challenge=challenge, form=form, **outcome), status


from . import access_log_export, access_requests, agent_tokens, suspensions  # noqa: E402,F401  (their views attach to bp; they import _organised from here)
