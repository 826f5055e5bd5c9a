"""Helpers the challenge, team and submission pages share."""

from __future__ import annotations

from flask import abort

from ...i18n import gettext as _
from ..languages.formatting import shown_number
from ..models import Challenge
from .access import get_challenge


def challenge_or_404(slug: str) -> Challenge:
    """Return the challenge with this slug or answer 404."""
    challenge = get_challenge(slug)
    if challenge is None:
        abort(404, description=_("There is no challenge called %(slug)r.", slug=slug))
    return challenge


def metric_facts(challenge: Challenge) -> list[dict]:
    """Return the challenge's metrics, primary first, with what they measure and their direction or ideal."""
    metrics = challenge.settings.metrics
    return [_facts(name, metrics.facts(name)) for name in metrics.all]


def _facts(name: str, facts) -> dict:
    """Return one metric as the page shows it: a target metric (ranks=False) says its ideal, not a direction."""
    # The catalogue's words are translated where the catalogue marks them; unmarked, they stay as written.
    description = _(facts.description) if facts.description else ""
    if facts.ideal is None:
        direction = _("higher is better") if facts.higher_is_better else _("lower is better")
    else:  # the page says the ideal beside the label, so the description need not repeat it
        direction = _("%(value)s is ideal", value=shown_number(facts.ideal))
        for written in (f" ({facts.ideal:g} is ideal)", f" ({direction})"):
            description = description.replace(written, "")
    return {"name": name, "label": _(facts.label), "description": description, "higher_is_better": facts.higher_is_better,
            "direction": direction}
