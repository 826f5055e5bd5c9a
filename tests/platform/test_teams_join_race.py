"""Team size atomicity: joins racing for a team's last places, each with its own database session."""

from __future__ import annotations

import threading

from ultrathon.platform.challenges.access import terms_sha256
from ultrathon.platform.extensions import db
from ultrathon.platform.models import Membership, Team, TermsAcceptance, User, utcnow
from ultrathon.platform.teams.service import TeamError, join_team

RACERS = 10


def test_ten_simultaneous_joins_into_a_team_with_three_free_places_fill_exactly_three(app, make_challenge, make_team, make_user):
    challenge = make_challenge()
    assert challenge.spec["teams"]["max_size"] == 5
    team = make_team(challenge, [make_user(), make_user()])
    team_id, code = team.id, team.invite_code
    # Rows without a real password hash: they never log in, and ten Argon2 hashes would be most of the test.
    joiners = [User(email=f"joiner{n}@example.org", name=f"Joiner {n}", password_hash="-", email_verified_at=utcnow()) for n in range(RACERS)]
    db.session.add_all(joiners)
    db.session.flush()
    # Terms accepted beforehand, so a join writes nothing before it counts the members.
    version = challenge.spec.get("terms", {}).get("version", "1")
    db.session.add_all([TermsAcceptance(challenge_id=challenge.id, user_id=user.id, version=version,
                                            text_sha256=terms_sha256(challenge)) for user in joiners])
    db.session.commit()
    joiners = [user.id for user in joiners]
    start = threading.Barrier(RACERS)
    outcomes: list[object] = []
    lock = threading.Lock()

    def join(user_id: int) -> None:
        # Its own app context: its own session, its own connection, as a web worker would have.
        with app.app_context():
            try:
                mine_team = db.session.get(Team, team_id)
                mine_user = db.session.get(User, user_id)
                mine_team.challenge.spec  # loaded now, so the race is over the count alone
                db.session.rollback()
                start.wait(timeout=30)
                join_team(mine_team, mine_user, code)
                outcome: object = "joined"
            except TeamError as refused:
                outcome = (refused.status, str(refused))
            except Exception as error:  # reported below, so a crash is not mistaken for a refusal
                outcome = repr(error)
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=join, args=(user_id,)) for user_id in joiners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    full = (409, "this team is full: a team has at most 5 members")
    assert sorted(outcomes, key=str) == sorted(["joined"] * 3 + [full] * 7, key=str), outcomes
    db.session.expire_all()
    members = db.session.execute(db.select(db.func.count(Membership.id)).where(Membership.team_id == team_id)).scalar_one()
    assert members == 5
