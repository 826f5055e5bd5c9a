"""Publishing a closed phase's final standings, and withdrawing them: audited, one publication in force per phase.

Nothing is frozen at publication: the published board is the live private board, so a
disqualification or re-score before (or after) Publish changes what everyone sees, and each
such change is in the audit log. Withdrawing hands the standings back to the organisers.
"""

from __future__ import annotations

# Flask-free: the command line publishes too; in a request the messages follow the page's language.
from ultrathon.i18n import N_, gettext as _

from ..audit import record
from ..extensions import db
from ..leaderboard.cache import clear_leaderboard
from ..models import Challenge, Phase, ResultsPublication, User, current_phase, utcnow
from ..notifications.triggers import announce_results
from .access import is_organiser

MAX_NOTE = 500
TIME_FORMAT = "%Y-%m-%d %H:%M"  # in UTC, as the command line writes times too: one form for every language


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
        raise PublicationRefused(404, _("%(challenge)s has no phase %(phase)s; its phases are %(phases)s",
                                        challenge=challenge.slug, phase=repr(phase),
                                        phases=", ".join(p.slug for p in challenge.phases)))
    return found


def _name(challenge: Challenge, phase: Phase) -> str:
    """Return how a message names a phase: the challenge alone when it has one phase."""
    return challenge.slug if len(challenge.phases) == 1 else f"{challenge.slug} ({phase.title})"


# Each refusal whole for publishing and for withdrawing: a verb pasted into a sentence does not translate.
_REFUSALS = {
    "publish": {
        "organisers": N_("only the organisers of %(challenge)s can publish its results"),
        "at_close": N_("%(challenge)s publishes its results at the close (results.publish: at_close in challenge.yaml); "
                       "there is nothing to publish"),
        "open": N_("%(phase)s closes at %(moment)s UTC; its results can be published only after the close"),
    },
    "withdraw": {
        "organisers": N_("only the organisers of %(challenge)s can withdraw its results"),
        "at_close": N_("%(challenge)s publishes its results at the close (results.publish: at_close in challenge.yaml); "
                       "there is nothing to withdraw"),
        "open": N_("%(phase)s closes at %(moment)s UTC; its results can be withdrawn only after the close"),
    },
}


def _check(challenge: Challenge, phase: Phase, actor: User | None, act: str) -> None:
    refusals = _REFUSALS[act]
    # actor None is the operator at the command line: trusted, as for the loader.
    if actor is not None and not is_organiser(actor, challenge):
        raise PublicationRefused(403, _(refusals["organisers"], challenge=challenge.slug))
    if challenge.settings.results.publish == "at_close":
        raise PublicationRefused(409, _(refusals["at_close"], challenge=challenge.slug))
    if not phase.is_closed():
        closes = phase.closes_at.strftime(TIME_FORMAT)
        raise PublicationRefused(409, _(refusals["open"], phase=_name(challenge, phase), moment=closes))


def publish_results(challenge: Challenge, actor: User | None, note: str = "",
                    phase: Phase | str | None = None) -> ResultsPublication:
    """Show a closed phase's final standings (the current phase's by default) to everyone, with an optional note."""
    phase = _phase(challenge, phase)
    _check(challenge, phase, actor, "publish")
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        raise PublicationRefused(400, _("the note has %(length)s characters; at most %(most)s", length=len(note), most=MAX_NOTE))
    if phase.publication is not None:
        published = phase.publication.published_at.strftime(TIME_FORMAT)
        raise PublicationRefused(409, _("the results of %(phase)s are already published (%(moment)s UTC)",
                                        phase=_name(challenge, phase), moment=published))
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
    _check(challenge, phase, actor, "withdraw")
    publication = phase.publication
    if publication is None:
        raise PublicationRefused(409, _("the results of %(phase)s are not published; there is nothing to withdraw",
                                        phase=_name(challenge, phase)))
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
