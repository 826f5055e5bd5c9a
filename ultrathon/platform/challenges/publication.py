"""Publishing a closed phase's final standings, and withdrawing them: audited, one publication in force per phase.

Nothing is frozen at publication: the published board is the live private board, so a
disqualification or re-score before (or after) Publish changes what everyone sees, and each
such change is in the audit log. Withdrawing hands the standings back to the organisers.
"""

from __future__ import annotations

from ...i18n import gettext as _
from ..audit import record
from ..extensions import db
from ..leaderboard.cache import clear_leaderboard
from ..models import Challenge, Phase, ResultsPublication, User, current_phase, utcnow
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
        raise PublicationRefused(404, _("%(challenge)s has no phase %(phase)r; its phases are %(phases)s",
                                        challenge=challenge.slug, phase=phase, phases=", ".join(p.slug for p in challenge.phases)))
    return found


def _name(challenge: Challenge, phase: Phase) -> str:
    """Return how a message names a phase: the challenge alone when it has one phase."""
    return challenge.slug if len(challenge.phases) == 1 else f"{challenge.slug} ({phase.title})"


def _refusals(publishing: bool) -> tuple[str, str, str]:
    """Return the three refusals _check may give, worded for publishing or for withdrawing (whole sentences each)."""
    if publishing:
        return (_("only the organisers of %(challenge)s can publish its results"),
                _("%(challenge)s publishes its results at the close (results.publish: at_close in challenge.yaml); "
                  "there is nothing to publish"),
                _("%(name)s closes at %(time)s UTC; its results can be published only after the close"))
    return (_("only the organisers of %(challenge)s can withdraw its results"),
            _("%(challenge)s publishes its results at the close (results.publish: at_close in challenge.yaml); "
              "there is nothing to withdraw"),
            _("%(name)s closes at %(time)s UTC; its results can be withdrawn only after the close"))


def _check(challenge: Challenge, phase: Phase, actor: User | None, publishing: bool) -> None:
    not_organiser, at_close, still_open = _refusals(publishing)
    # actor None is the operator at the command line: trusted, as for the loader.
    if actor is not None and not is_organiser(actor, challenge):
        raise PublicationRefused(403, not_organiser % {"challenge": challenge.slug})
    if challenge.settings.results.publish == "at_close":
        raise PublicationRefused(409, at_close % {"challenge": challenge.slug})
    if not phase.is_closed():
        raise PublicationRefused(409, still_open % {"name": _name(challenge, phase), "time": f"{phase.closes_at:%Y-%m-%d %H:%M}"})


def publish_results(challenge: Challenge, actor: User | None, note: str = "",
                    phase: Phase | str | None = None) -> ResultsPublication:
    """Show a closed phase's final standings (the current phase's by default) to everyone, with an optional note."""
    phase = _phase(challenge, phase)
    _check(challenge, phase, actor, publishing=True)
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        raise PublicationRefused(400, _("the note has %(length)s characters; at most %(limit)s", length=len(note), limit=MAX_NOTE))
    if phase.publication is not None:
        published = phase.publication.published_at.strftime("%Y-%m-%d %H:%M")
        raise PublicationRefused(409, _("the results of %(name)s are already published (%(time)s UTC)",
                                        name=_name(challenge, phase), time=published))
    publication = ResultsPublication(challenge=challenge, published_at=utcnow(), published_by=actor, note=note)
    phase.publications.append(publication)
    db.session.flush()
    record("results.publish", actor=actor, challenge=challenge, target=publication, note=note, phase=phase.slug)
    db.session.commit()
    _announce(challenge)
    return publication


def withdraw_results(challenge: Challenge, actor: User | None, phase: Phase | str | None = None) -> ResultsPublication:
    """Take a phase's published final standings (the current phase's by default) back to the organisers."""
    phase = _phase(challenge, phase)
    _check(challenge, phase, actor, publishing=False)
    publication = phase.publication
    if publication is None:
        raise PublicationRefused(409, _("the results of %(name)s are not published; there is nothing to withdraw",
                                        name=_name(challenge, phase)))
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
