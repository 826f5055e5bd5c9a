"""Quota atomicity: uploads racing at the edge of the quota, each with its own database session."""

from __future__ import annotations

import threading

from ultrathon.platform.extensions import db
from ultrathon.platform.models import Challenge, Submission, Team, User
from ultrathon.platform.submissions.errors import SubmissionRefused
from ultrathon.platform.submissions.uploads import _store, accept_submission

RACERS = 20


def test_twenty_simultaneous_uploads_against_per_day_five_accept_exactly_five(app, make_challenge, make_team):
    challenge = make_challenge()
    assert challenge.spec["limits"]["per_day"] == 5
    team = make_team(challenge)
    challenge_id, user_id = challenge.id, team.memberships[0].user_id
    data = next(f.content for f in challenge.files if f.name == "sample_submission.csv")
    start = threading.Barrier(RACERS)
    outcomes: list[object] = []
    lock = threading.Lock()

    def upload() -> None:
        # Its own app context: its own session, its own connection, as a web worker would have.
        with app.app_context():
            try:
                mine_challenge = db.session.get(Challenge, challenge_id)
                mine_user = db.session.get(User, user_id)
                # Hand the connection back while waiting: twenty threads share a pool of fifteen.
                db.session.rollback()
                start.wait(timeout=30)
                accept_submission(mine_challenge, mine_user, data, "race.csv")
                outcome: object = "accepted"
            except SubmissionRefused as refused:
                outcome = refused.status
            except Exception as error:  # reported below, so a crash is not mistaken for a refusal
                outcome = repr(error)
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=upload) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes, key=str) == sorted(["accepted"] * 5 + [429] * 15, key=str), outcomes
    db.session.expire_all()
    stored = db.session.execute(db.select(db.func.count(Submission.id)).where(Submission.team_id == team.id)).scalar_one()
    assert stored == 5


def test_uploads_by_one_person_through_two_teams_at_once_share_the_persons_count(app, make_challenge, make_team, make_user):
    """An upload that found the person's old team just before they switched still counts as theirs."""
    challenge = make_challenge()
    person = make_user()
    old = make_team(challenge, [make_user()])
    new = make_team(challenge, [person])
    challenge_id, user_id, team_ids = challenge.id, person.id, [old.id, new.id]
    # A file of a few megabytes, as real uploads are: writing it is most of the time between the
    # count and the commit. _store checks no format, so repeating the sample is enough.
    sample = next(f.content for f in challenge.files if f.name == "sample_submission.csv")
    data = sample * (2 * 2**20 // len(sample))
    # One made in the old team before the race, which also warms what every upload runs.
    _store(challenge, challenge.phases[0], old, person, data, "early.csv", "", check_quota=True, action="submission.upload")
    start = threading.Barrier(RACERS)
    outcomes: list[object] = []
    lock = threading.Lock()

    def upload(team_id: int) -> None:
        with app.app_context():
            try:
                mine_challenge = db.session.get(Challenge, challenge_id)
                mine_user = db.session.get(User, user_id)
                mine_team = db.session.get(Team, team_id)
                db.session.rollback()
                start.wait(timeout=30)
                # Past the membership check: the lock and the count decide, as in the last instant of a switch.
                _store(mine_challenge, mine_challenge.phases[0], mine_team, mine_user, data, "race.csv", "", check_quota=True, action="submission.upload")
                outcome: object = "accepted"
            except SubmissionRefused as refused:
                outcome = refused.status
            except Exception as error:
                outcome = repr(error)
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=upload, args=(team_ids[i % 2],)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes, key=str) == sorted(["accepted"] * 4 + [429] * 16, key=str), outcomes
    db.session.expire_all()
    stored = db.session.execute(db.select(db.func.count(Submission.id)).where(Submission.user_id == user_id)).scalar_one()
    assert stored == 5
