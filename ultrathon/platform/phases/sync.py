"""Keep a challenge's phase rows in step with its spec, by slug, when it is loaded."""

from __future__ import annotations

from ultrathon.i18n import ngettext  # the loader runs in the CLI, in its language
from ultrathon.spec import ChallengeSpec

from ..extensions import db
from ..models import Challenge, Submission
from .models import Phase


class PhaseRemovalRefused(Exception):
    """A reload that would drop a phase holding submissions."""


def sync_phases(challenge: Challenge, spec: ChallengeSpec) -> None:
    """Make the challenge's phase rows the spec's phases: same slugs, titles, windows and order."""
    wanted = spec.phase_list
    existing = {p.slug: p for p in challenge.phases}
    for slug in set(existing) - {p.slug for p in wanted}:
        phase = existing[slug]
        held = 0 if phase.id is None else db.session.execute(
            db.select(db.func.count()).select_from(Submission).where(Submission.phase_id == phase.id)
        ).scalar_one()
        if held:
            raise PhaseRemovalRefused(ngettext(
                "%(challenge)s: phase %(phase)s is gone from challenge.yaml but holds %(num)s submission; put it back, "
                "or rename the new phase to it",
                "%(challenge)s: phase %(phase)s is gone from challenge.yaml but holds %(num)s submissions; put it back, "
                "or rename the new phase to it", held, challenge=spec.slug, phase=repr(slug)))
        challenge.phases.remove(phase)
    for settings in wanted:
        row = existing.get(settings.slug)
        if row is None:
            row = Phase(slug=settings.slug)
            challenge.phases.append(row)
        row.title, row.position = settings.title, settings.position
        row.opens_at, row.closes_at = settings.opens, settings.closes
    challenge.phases.sort(key=lambda p: p.position)
