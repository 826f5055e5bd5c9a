"""Helpers the challenge, team and submission pages share."""

from __future__ import annotations

from flask import abort

from ultrathon.scorers.metrics import METRICS

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
    metrics = challenge.spec.get("metrics", {})
    names = [metrics.get("primary"), *[m for m in metrics.get("secondary", []) if m != metrics.get("primary")]]
    facts = []
    for name in names:
        metric = METRICS.get(name)
        if metric is None:  # a custom scorer: the organisers explain it in the description
            facts.append({"name": name, "label": name.replace("_", " ").capitalize(), "description": "A metric written by the organisers; see the description.",
                          "higher_is_better": bool(metrics.get("custom_higher_is_better", True))})
        else:
            facts.append({"name": name, "label": metric.label, "description": metric.description, "higher_is_better": metric.higher_is_better})
    return facts
