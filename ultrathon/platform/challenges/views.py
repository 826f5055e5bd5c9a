"""Helpers the challenge, team and submission pages share."""

from __future__ import annotations

from flask import abort


from ..models import Challenge
from .access import get_challenge


def challenge_or_404(slug: str) -> Challenge:
    """Return the challenge with this slug or answer 404."""
    challenge = get_challenge(slug)
    if challenge is None:
        abort(404, description=f"There is no challenge called {slug!r}.")
    return challenge


def metric_facts(challenge: Challenge) -> list[dict]:
    """Return the challenge's metrics, primary first, with what they measure and their direction."""
    metrics = challenge.settings.metrics
    return [{"name": name, "label": facts.label, "description": facts.description, "higher_is_better": facts.higher_is_better}
            for name, facts in ((name, metrics.facts(name)) for name in metrics.all)]
