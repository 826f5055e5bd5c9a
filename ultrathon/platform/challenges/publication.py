"""Publishing a closed phase's final standings, and withdrawing them: audited, one publication in force per phase.

Nothing is frozen at publication: the published board is the live private board, so a
disqualification or re-score before (or after) Publish changes what everyone sees, and each
such change is in the audit log. Withdrawing hands the standings back to the organisers.
"""

from __future__ import annotations

from ..audit import record
from ..extensions import db
from ..leaderboard.cache import clear_leaderboard
from ..models import Challenge, Phase, ResultsPublication, User, current_phase, utcnow
from ..notifications.triggers import announce_results
from .access import is_organiser

MAX_NOTE = 500


class PublicationRefused(ValueError):
    """A publication or withdrawal that cannot be made, with the reason to show."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _phase(challenge: Challenge, phase: Phase | str | None) -> Phase:
    """Return the phase meant: a row, a slug of the challenge, or by default the current phase."""
    if isinstance(phase, Phase):
        return phase
    if phase is None:
        return current_phase(challenge)
    found = next((p for p in challenge.phases if p.slug == phase), None)
    if found is None:
        raise PublicationRefused(404, f"{challenge.slug} has no phase {phase!r}; its phases are "
                                      + ", ".join(p.slug for p in challenge.phases))
    return found


def _name(challenge: Challenge, phase: Phase) -> str:
    """Return how a message names a phase: the challenge alone when it has one phase."""
    return challenge.slug if len(challenge.phases) == 1 else f"{challenge.slug} ({phase.title})"


def _check(challenge: Challenge, phase: Phase, actor: User | None, verb: str, done: str) -> None:
    # actor None is the operator at the command line: trusted, as for the loader.
    if actor is not None and not is_organiser(actor, challenge):
        raise PublicationRefused(403, f"only the organisers of {challenge.slug} can {verb} its results")
    if challenge.settings.results.publish == "at_close":
        raise PublicationRefused(409, f"{challenge.slug} publishes its results at the close (results.publish: "
                                      "at_close in challenge.yaml); there is nothing to " + verb)
    if not phase.is_closed():
        raise PublicationRefused(409, f"{_name(challenge, phase)} closes at {phase.closes_at:%Y-%m-%d %H:%M} UTC; "
                                      f"its results can be {done} only after the close")


def publish_results(challenge: Challenge, actor: User | None, note: str = "",
                    phase: Phase | str | None = None) -> ResultsPublication:
    """Show a closed phase's final standings (the current phase's by default) to everyone, with an optional note."""
    phase = _phase(challenge, phase)
    _check(challenge, phase, actor, "publish", "published")
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        raise PublicationRefused(400, f"the note has {len(note)} characters; at most {MAX_NOTE}")
    if phase.publication is not None:
        raise PublicationRefused(409, f"the results of {_name(challenge, phase)} are already published "
                                      f"({phase.publication.published_at:%Y-%m-%d %H:%M} UTC)")
    publication = ResultsPublication(challenge=challenge, published_at=utcnow(), published_by=actor, note=note)
    phase.publications.append(publication)
    db.session.flush()
    record("results.publish", actor=actor, challenge=challenge, target=publication, note=note, phase=phase.slug)
    db.session.commit()
    _announce(challenge)
    announce_results(publication)
    return publication


def withdraw_results(challenge: Challenge, actor: User | None, phase: Phase | str | None = None) -> ResultsPublication:
    """Take a phase's published final standings (the current phase's by default) back to the organisers."""
    phase = _phase(challenge, phase)
    _check(challenge, phase, actor, "withdraw", "withdrawn")
    publication = phase.publication
    if publication is None:
        raise PublicationRefused(409, f"the results of {_name(challenge, phase)} are not published; there is nothing to withdraw")
    publication.withdrawn_at = utcnow()
    publication.withdrawn_by = actor
    record("results.withdraw", actor=actor, challenge=challenge, target=publication,
           published_at=publication.published_at.isoformat(), phase=phase.slug)
    db.session.commit()
    _announce(challenge)
    return publication


def _announce(challenge: Challenge) -> None:
    """Make every process forget its copy of the board and every live page refresh."""
    # settings_changed: the board (leaderboard/board.py) carries the publication.
    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
