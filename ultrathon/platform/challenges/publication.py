"""Publishing a closed challenge's final standings, and withdrawing them: audited, one publication in force.

Nothing is frozen at publication: the published board is the live private board, so a
disqualification or re-score before (or after) Publish changes what everyone sees, and each
such change is in the audit log. Withdrawing hands the standings back to the organisers.
"""

from __future__ import annotations

from ..audit import record
from ..extensions import db
from ..leaderboard.cache import clear_leaderboard
from ..models import Challenge, ResultsPublication, User, utcnow
from .access import is_organiser

MAX_NOTE = 500


class PublicationRefused(ValueError):
    """A publication or withdrawal that cannot be made, with the reason to show."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _check(challenge: Challenge, actor: User | None, verb: str, done: str) -> None:
    # actor None is the operator at the command line: trusted, as for the loader.
    if actor is not None and not is_organiser(actor, challenge):
        raise PublicationRefused(403, f"only the organisers of {challenge.slug} can {verb} its results")
    if challenge.settings.results.publish == "at_close":
        raise PublicationRefused(409, f"{challenge.slug} publishes its results at the close (results.publish: "
                                      "at_close in challenge.yaml); there is nothing to " + verb)
    if not challenge.is_closed():
        raise PublicationRefused(409, f"{challenge.slug} closes at {challenge.closes_at:%Y-%m-%d %H:%M} UTC; "
                                      f"its results can be {done} only after the close")


def publish_results(challenge: Challenge, actor: User | None, note: str = "") -> ResultsPublication:
    """Show the closed challenge's final standings to everyone, with an optional note."""
    _check(challenge, actor, "publish", "published")
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        raise PublicationRefused(400, f"the note has {len(note)} characters; at most {MAX_NOTE}")
    if challenge.publication is not None:
        raise PublicationRefused(409, f"the results of {challenge.slug} are already published "
                                      f"({challenge.publication.published_at:%Y-%m-%d %H:%M} UTC)")
    publication = ResultsPublication(challenge=challenge, published_at=utcnow(), published_by=actor, note=note)
    challenge.publications.append(publication)
    db.session.flush()
    record("results.publish", actor=actor, challenge=challenge, target=publication, note=note)
    db.session.commit()
    _announce(challenge)
    return publication


def withdraw_results(challenge: Challenge, actor: User | None) -> ResultsPublication:
    """Take the published final standings back to the organisers."""
    _check(challenge, actor, "withdraw", "withdrawn")
    publication = challenge.publication
    if publication is None:
        raise PublicationRefused(409, f"the results of {challenge.slug} are not published; there is nothing to withdraw")
    publication.withdrawn_at = utcnow()
    publication.withdrawn_by = actor
    record("results.withdraw", actor=actor, challenge=challenge, target=publication,
           published_at=publication.published_at.isoformat())
    db.session.commit()
    _announce(challenge)
    return publication


def _announce(challenge: Challenge) -> None:
    """Make every process forget its copy of the board and every live page refresh."""
    # settings_changed: the board (leaderboard/board.py) carries the publication.
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
