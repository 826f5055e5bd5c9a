"""What the rest of the platform calls when something worth an e-mail happens; none of these ever raise.

Each is called after the change is committed, so a mail that cannot be sent changes nothing of it.
"""

from __future__ import annotations

import logging

from flask_babel import gettext as _

from ..extensions import db
from ..models import Challenge, Submission, SubmissionStatus, User
from .announcements import claim, enqueue_announcement
from .links import absolute_url
from .sending import notify
from .settings import ACCESS_DECIDED, RESULTS_PUBLISHED, SUBMISSION_FAILED, SUBMISSION_SCORED, wanting

log = logging.getLogger(__name__)
OUTCOMES = {SubmissionStatus.SCORED.value: SUBMISSION_SCORED, SubmissionStatus.FAILED.value: SUBMISSION_FAILED}
MAX_PROBLEMS_SHOWN = 5


def notify_submission_outcome(submission: Submission) -> None:
    """Mail the team's members who want it that a submission is scored or failed, once per outcome."""
    try:
        _submission_outcome(submission)
    except Exception:  # noqa: BLE001 - scoring is done and stored; a mail must not undo or fail it
        log.exception("could not notify the team of submission %s's outcome", submission.id)
        db.session.rollback()


def _submission_outcome(submission: Submission) -> None:
    kind = OUTCOMES.get(submission.status)
    if kind is None:  # still waiting (a site of several has reported, the others have not)
        return
    members = wanting([m.user for m in submission.team.memberships], kind)
    # Claimed once per submission and outcome: a re-score that ends the same way sends nothing again.
    if not members or claim(kind, submission.id) is None:
        return
    challenge = submission.challenge
    phased = len(challenge.phases) > 1
    where_phase = {"phase": submission.phase.slug} if phased else {}
    url = absolute_url("submissions.submissions_page", slug=challenge.slug, **where_phase)
    # One problem is the error message itself; several are listed under it.
    problems = submission.problems if len(submission.problems or []) > 1 else []
    # A name, not a sentence: the challenge, and its phase when it has several.
    where = f"{challenge.title} ({submission.phase.title})" if phased else challenge.title
    context = {"submission": submission, "where": where, "submissions_url": url,
               "problems": problems[:MAX_PROBLEMS_SHOWN], "more_problems": max(0, len(problems) - MAX_PROBLEMS_SHOWN)}
    if kind == SUBMISSION_FAILED:
        def subject() -> str:
            return _("Submission %(id)s to %(challenge)s failed", id=submission.id, challenge=where)
        notify(members, kind, kind, subject, challenge, **context)
    else:
        def subject() -> str:
            return _("Submission %(id)s to %(challenge)s is scored", id=submission.id, challenge=where)
        notify(members, kind, kind, subject, challenge, per_person=lambda user: _shown_score(submission, user), **context)


def _shown_score(submission: Submission, user: User) -> dict:
    """Return the public score as this person may see it (the Ladder's, none under hidden feedback)."""
    from ..submissions.reading import submission_to_dict

    view = submission_to_dict(submission, user)
    if view["public_shown"] is None:
        return {}
    return {"metric": view["metric"], "score": view["public_shown"],
            "decimals": submission.challenge.settings.leaderboard.decimals}


def notify_access_decided(item) -> None:
    """Mail the person who asked that the organisers approved or refused their access request."""
    try:
        challenge, approved = db.session.get(Challenge, item.challenge_id), item.status == "approved"

        def subject() -> str:
            return (_("Your access request to %(challenge)s is approved", challenge=challenge.title) if approved
                    else _("Your access request to %(challenge)s is refused", challenge=challenge.title))

        notify([item.user], ACCESS_DECIDED, ACCESS_DECIDED, subject, challenge, approved=approved, reason=item.reason,
               challenge_url=absolute_url("challenges.overview", slug=challenge.slug),
               team_url=absolute_url("teams.team_page", slug=challenge.slug))
    except Exception:  # noqa: BLE001 - the decision is committed; the person also sees it on the challenge page
        log.exception("could not notify user %s of the decision on access request %s", item.user_id, item.id)
        db.session.rollback()


def announce_results(publication) -> None:
    """Queue the mail to the participants that a phase's results are published (the sweep retries a lost one)."""
    try:
        enqueue_announcement(RESULTS_PUBLISHED, publication.phase_id)
    except Exception:  # noqa: BLE001 - Redis down: the worker's next sweep finds the publication unannounced
        log.warning("could not queue the announcement of publication %s; the sweep will", publication.id, exc_info=True)
