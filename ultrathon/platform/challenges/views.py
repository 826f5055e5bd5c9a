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
    """Return the challenge's metrics, primary first, with what they measure and their direction or ideal."""
    metrics = challenge.settings.metrics
    return [_facts(name, metrics.facts(name)) for name in metrics.all]


def _facts(name: str, facts) -> dict:
    """Return one metric as the page shows it: a target metric (ranks=False) says its ideal, not a direction."""
    if facts.ideal is None:
        direction, description = f"{'higher' if facts.higher_is_better else 'lower'} is better", facts.description
    else:  # the page says the ideal beside the label, so the description need not repeat it
        direction = f"{facts.ideal:g} is ideal"
        description = facts.description.replace(f" ({direction})", "")
    return {"name": name, "label": facts.label, "description": description, "higher_is_better": facts.higher_is_better,
            "direction": direction}
