"""The team's submissions page: upload, live status, scores and errors, final choices, own files."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import RequestEntityTooLarge

from ..agents.sites import submission_sites
from ..challenges.access import can_view_private, has_accepted_terms, is_organiser, team_of
from ..challenges.feedback import feedback_mode, scores_hidden, sees_shown
from ..challenges.views import challenge_or_404, metric_facts
from ..extensions import db
from ..method_cards.service import card_values, description_html, save_card
from ..leaderboard.standings import find_board
from ..models import Challenge, Phase, Submission, Team, User, utcnow
from ..phases.commitments import in_force
from ..phases.models import UnknownPhase, phase_named
from . import bp
from .errors import SubmissionRefused
from .quota import quota_for
from .reading import submission_for_viewer, submission_to_dict
from .selections import select_submission, unselect_submission
from .uploads import accept_submission

# How many row/column problems a failed file shows; the first ones are what the team fixes first.
MAX_PROBLEMS_SHOWN = 50


def _full_stop(message: str) -> str:
    """Return a service message ready to follow its title: "Title: message."."""
    return message + ("" if message.endswith((".", "?", "!")) else ".")


def _wants_json() -> bool:
    """Return whether the caller is the page's own script rather than a plain form post."""
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "application/json"


def _team_submissions(team: Team, phase: Phase) -> list[Submission]:
    return list(db.session.execute(
        db.select(Submission).options(selectinload(Submission.scores))
        .where(Submission.team_id == team.id, Submission.phase_id == phase.id)
        .order_by(Submission.created_at.desc(), Submission.id.desc())
    ).scalars())


def _phase_or_404(challenge: Challenge) -> Phase:
    """Return the phase the page is about: ?phase=, else the current one; 404 for a phase the challenge lacks."""
    try:
        return phase_named(challenge, request.args.get("phase"))
    except UnknownPhase as error:
        abort(404, description=str(error))


def _row_context(challenge: Challenge, team: Team, phase: Phase) -> dict:
    board = find_board(challenge.slug, phase.slug)
    hidden = scores_hidden(board, current_user)
    return {
        "challenge": challenge,
        "phase": phase,
        "board": board,
        "team": team,
        "decimals": challenge.settings.leaderboard.decimals,
        "show_private": can_view_private(current_user, board) and not hidden,
        "scores_hidden": hidden,  # feedback: hidden: "scored", and no number
        "ladder_shown": sees_shown(board, current_user),  # feedback: ladder: the shown score alone
        "ladder_both": feedback_mode(board) == "ladder" and is_organiser(current_user, challenge),
        "final_limit": phase.settings.limits.final_selections,
        "closed": phase.is_closed(),
        "max_problems": MAX_PROBLEMS_SHOWN,
        "card_spec": challenge.settings.method_card,  # the card form's fields and which are required
        "card_values": card_values,
        "card_html": description_html,
    }


def _state(challenge: Challenge, team: Team, phase: Phase) -> dict:
    """Return what the page shows and the script refreshes for one phase: the rows and the quota."""
    submissions = _team_submissions(team, phase)
    context = _row_context(challenge, team, phase)
    context["chosen"] = sum(1 for s in submissions if s.selected_at is not None)
    context["site_figures"] = submission_sites(challenge, submissions, context["show_private"])
    quota = quota_for(challenge, team, user=current_user._get_current_object(), phase=phase)
    context["commitment"] = in_force(phase).get(team.id)  # what the team's final entries here are checked against
    return {"submissions": submissions, "quota": quota, **context}


def _viewer_in(slug: str) -> tuple[Challenge, User, Team | None]:
    """Return the challenge, the logged-in user and the user's team in it (None when in none)."""
    challenge = challenge_or_404(slug)
    user = current_user._get_current_object()
    return challenge, user, team_of(user, challenge)


@bp.get("/challenges/<slug>/submissions")
@login_required
def submissions_page(slug: str):
    """Show the upload form, the quota and the team's submissions."""
    challenge, user, team = _viewer_in(slug)
    if team is None:
        return render_template("submissions/no_team.html", challenge=challenge, accepted=has_accepted_terms(user, challenge)), 200
    max_mb = challenge.settings.submission.max_mb
    return render_template(
        "submissions/page.html",
        accepted=has_accepted_terms(user, challenge),
        metric=metric_facts(challenge)[0],
        columns=[challenge.settings.data.id_column, *challenge.settings.submission.columns],
        max_mb=max_mb,
        max_bytes=int(max_mb * 2**20),
        now=utcnow(),
        **_state(challenge, team, _phase_or_404(challenge)),
    )


@bp.get("/challenges/<slug>/submissions.json")
@login_required
def submissions_json(slug: str):
    """Answer the team's rows and quota for the page's live updates, each row with its HTML."""
    challenge, user, team = _viewer_in(slug)
    if team is None:
        return jsonify(error="You are not in a team in this challenge."), 404
    state = _state(challenge, team, _phase_or_404(challenge))
    row_context = {k: v for k, v in state.items() if k not in ("submissions", "quota")}
    rows = []
    for submission in state["submissions"]:
        row = submission_to_dict(submission, user)
        row["html"] = render_template("submissions/_row.html", s=submission, **row_context)
        rows.append(row)
    response = jsonify(
        submissions=rows,
        quota=state["quota"].to_dict(),
        quota_html=render_template("submissions/_quota.html", quota=state["quota"], challenge=challenge, phase=state["phase"]),
        final_html=render_template("submissions/_final.html", **row_context),
        chosen=state["chosen"],
        final_limit=state["final_limit"],
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/challenges/<slug>/submissions")
@login_required
def upload(slug: str):
    """Accept an uploaded prediction file for scoring."""
    challenge = challenge_or_404(slug)
    upload_file = request.files.get("file")
    note = request.form.get("note", "")
    try:
        if upload_file is None or not upload_file.filename:
            raise SubmissionRefused(400, _("No file"), _("choose a CSV file to upload"))
        submission = accept_submission(challenge, current_user._get_current_object(), upload_file.read(), upload_file.filename, note,
                                       phase=request.form.get("phase") or None)
    except SubmissionRefused as refused:
        db.session.rollback()
        if _wants_json():
            response = jsonify(title=refused.title, detail=_full_stop(refused.detail), problems=(refused.problems or [])[:MAX_PROBLEMS_SHOWN],
                               problem_count=len(refused.problems or []))
            response.status_code = refused.status
            if refused.retry_after:
                response.headers["Retry-After"] = str(refused.retry_after)
            return response
        flash(_refusal_text(refused), category="error")
        for problem in (refused.problems or [])[:MAX_PROBLEMS_SHOWN]:
            flash(_problem_text(problem), category="problem")
        return redirect(url_for("submissions.submissions_page", slug=challenge.slug, phase=request.form.get("phase") or None))
    if _wants_json():
        return jsonify(id=submission.id, status=submission.status, phase=submission.phase.slug,
                       url=url_for("submissions.submissions_page", slug=challenge.slug, phase=_phase_arg(submission),
                                   _anchor=f"sub-{submission.id}")), 202
    flash(_("Submission %(id)s is queued for scoring; this page shows its score when it is ready.", id=submission.id),
          category="success")
    return redirect(url_for("submissions.submissions_page", slug=challenge.slug, phase=_phase_arg(submission)))


def _phase_arg(submission: Submission) -> str | None:
    """Return the ?phase= of the page a submission is listed on (none for a challenge of one phase)."""
    return submission.phase.slug if len(submission.challenge.phases) > 1 else None


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    """Answer an upload bigger than the server takes at all with the same clear message as any refusal."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    detail = f"The upload is larger than the {limit // 2**20} MB this server accepts. Nothing was stored."
    if _wants_json():
        return jsonify(title="File too large", detail=detail, problems=[], problem_count=0), 413
    flash(_("File too large: %(detail)s", detail=detail), category="error")
    return redirect(request.path if request.path.endswith("/submissions") else url_for("main.index"))


def _refusal_text(refused: SubmissionRefused) -> str:
    """Return a refusal as one flashed line: "Title: detail."."""
    return _("%(title)s: %(detail)s", title=refused.title, detail=_full_stop(refused.detail))


def _problem_text(problem: dict) -> str:
    """Return one problem of a refused file as a flashed line, saying its row and column when it has them."""
    message = str(problem.get("message", ""))
    row, column = problem.get("row"), problem.get("column")
    if row is not None and column:
        return _("row %(row)s, column %(column)s: %(problem)s", row=row, column=repr(column), problem=message)
    if row is not None:
        return _("row %(row)s: %(problem)s", row=row, problem=message)
    if column:
        return _("column %(column)s: %(problem)s", column=repr(column), problem=message)
    return message


def _own_submission_or_404(challenge: Challenge, submission_id: int) -> Submission:
    submission = submission_for_viewer(submission_id, current_user._get_current_object())
    if submission is None or submission.challenge_id != challenge.id:
        abort(404, description=_("You have no submission with that number in this challenge."))
    return submission


@bp.get("/challenges/<slug>/submissions/<int:submission_id>/file")
@login_required
def download(slug: str, submission_id: int):
    """Send back the file a team member uploaded (organisers may fetch any team's)."""
    challenge = challenge_or_404(slug)
    submission = _own_submission_or_404(challenge, submission_id)
    return Response(submission.content, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="submission-{submission.id}.csv"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    })


@bp.post("/challenges/<slug>/submissions/<int:submission_id>/selection")
@login_required
def selection(slug: str, submission_id: int):
    """Choose or unchoose a submission as one of the team's final ones."""
    challenge = challenge_or_404(slug)
    submission = _own_submission_or_404(challenge, submission_id)
    choose = request.form.get("choose") == "yes"
    try:
        if choose:
            select_submission(submission, current_user._get_current_object())
        else:
            unselect_submission(submission, current_user._get_current_object())
    except SubmissionRefused as refused:
        db.session.rollback()
        flash(_refusal_text(refused), category="error")
    else:
        done = (_("Submission %(id)s is now one of your final submissions.", id=submission.id) if choose
                else _("Submission %(id)s is no longer a final submission.", id=submission.id))
        flash(done, category="success")
    return redirect(url_for("submissions.submissions_page", slug=challenge.slug, phase=_phase_arg(submission),
                            _anchor=f"sub-{submission.id}"))


@bp.post("/challenges/<slug>/submissions/<int:submission_id>/method-card")
@login_required
def method_card(slug: str, submission_id: int):
    """Save the method card of one of the team's submissions."""
    challenge = challenge_or_404(slug)
    submission = _own_submission_or_404(challenge, submission_id)
    names = ["title", "description", "code_url", *(f.name for f in challenge.settings.method_card.fields)]
    try:
        save_card(submission, current_user._get_current_object(), {name: request.form.get(name, "") for name in names})
    except SubmissionRefused as refused:
        db.session.rollback()
        flash(_refusal_text(refused), category="error")
    else:
        flash(_("Submission %(id)s's method card is saved.", id=submission.id), category="success")
    return redirect(url_for("submissions.submissions_page", slug=challenge.slug, phase=_phase_arg(submission),
                            _anchor=f"sub-{submission.id}"))
