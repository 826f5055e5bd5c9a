"""Run beside `ultrathon up` in its own process: add teams and uploads, and read what the platform holds.

python -m tests.e2e.agent_platform submit SLUG N   -> prints the submission ids
python -m tests.e2e.agent_platform state SLUG      -> prints JSON of statuses, scores and the team API's view
"""

from __future__ import annotations

import json
import sys


def submit(slug: str, count: int) -> list[int]:
    """Upload the sample file `count` times, one new team each (the daily quota is per team)."""
    from ultrathon.platform.auth.service import create_user
    from ultrathon.platform.challenges.access import terms_sha256
    from ultrathon.platform.extensions import db
    from ultrathon.platform.models import Challenge, Membership, Team, TermsAcceptance
    from ultrathon.platform.submissions.uploads import accept_submission

    challenge = db.session.execute(db.select(Challenge).where(Challenge.slug == slug)).scalar_one()
    sample = next(f.content for f in challenge.files if f.name == "sample_submission.csv")
    first = db.session.execute(db.select(db.func.count()).select_from(Team)).scalar_one()
    ids = []
    for n in range(first + 1, first + count + 1):
        user = create_user(f"team{n}@example.org", f"Team member {n}", "a-long-enough-password")
        team = Team(challenge_id=challenge.id, name=f"Team {n}", invite_code=f"invite-{n}")
        db.session.add(team)
        db.session.flush()
        db.session.add(Membership(team_id=team.id, user_id=user.id, challenge_id=challenge.id, role="owner"))
        db.session.add(TermsAcceptance(challenge_id=challenge.id, user_id=user.id,
                                       version=challenge.spec.get("terms", {}).get("version", "1"),
                                       text_sha256=terms_sha256(challenge)))
        db.session.commit()
        ids.append(accept_submission(challenge, user, sample, "predictions.csv").id)
    return ids


def state(slug: str) -> dict:
    """Return each submission's status, how many scored audit events it has, and what its team's API shows."""
    from ultrathon.platform.auth.tokens import create_token
    from ultrathon.platform.extensions import db
    from ultrathon.platform.models import AuditEvent, Challenge, Score, Submission

    challenge = db.session.execute(db.select(Challenge).where(Challenge.slug == slug)).scalar_one()
    rows = {}
    client = current_app_client()
    for submission in db.session.execute(db.select(Submission).where(Submission.challenge_id == challenge.id)).scalars():
        scored = db.session.execute(db.select(db.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "submission.scored", AuditEvent.target_type == "submission",
            AuditEvent.target_id == str(submission.id))).scalar_one()
        scores = db.session.execute(db.select(db.func.count()).select_from(Score).where(
            Score.submission_id == submission.id)).scalar_one()
        _, secret = create_token(submission.team.memberships[0].user, "e2e")
        db.session.commit()
        api = client.get(f"/api/v1/submissions/{submission.id}", headers={"Authorization": f"Bearer {secret}"}).get_json()
        rows[submission.id] = {"status": submission.status, "error": submission.error, "scored_events": scored, "scores": scores,
                               "api_public": api.get("public"), "api_private": api.get("private")}
    return rows


def current_app_client():
    from flask import current_app

    return current_app.test_client()


def main() -> None:
    from ultrathon.platform.app import create_app

    app = create_app()
    with app.app_context():
        if sys.argv[1] == "submit":
            print(json.dumps(submit(sys.argv[2], int(sys.argv[3]))))
        else:
            print(json.dumps(state(sys.argv[2])))


if __name__ == "__main__":
    main()
