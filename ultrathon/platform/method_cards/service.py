"""Filling a method card, checking it against the challenge's method_card, and its shape for exports."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from markupsafe import Markup

from ultrathon.spec.method_card import STANDARD_FIELDS, MethodCardSpec

from ..audit import record
from ..challenges.access import team_of
from ..challenges.render import render_markdown
from ..extensions import db
from ..models import Submission, Team, User, utcnow
from ..submissions.errors import SubmissionRefused
from .models import MethodCard

# Long enough for a page of method, short enough that a card is not a paper.
LIMITS = {"title": 200, "description": 20_000, "code_url": 500}
EXTRA_LIMIT = 2_000


def card_spec(submission: Submission) -> MethodCardSpec:
    """Return the challenge's method_card section."""
    return submission.challenge.settings.method_card


def _problems(spec: MethodCardSpec, values: dict[str, Any]) -> list[dict[str, str]]:
    """Return each problem of the values, named by its field."""
    extra_names = [f.name for f in spec.fields]
    problems = []
    for name, value in values.items():
        if name not in STANDARD_FIELDS and name not in extra_names:
            problems.append({"field": name, "message": _("is not a field of this challenge's card (%(fields)s)",
                                                         fields=", ".join([*STANDARD_FIELDS, *extra_names]))})
        elif not isinstance(value, str):
            problems.append({"field": name, "message": _("must be text, got %(kind)s", kind=type(value).__name__)})
        elif "\x00" in value:
            problems.append({"field": name, "message": _("NUL characters are not allowed")})
        elif len(value) > LIMITS.get(name, EXTRA_LIMIT):
            problems.append({"field": name, "message": _("is %(length)s characters long; at most %(limit)s",
                                                         length=len(value), limit=LIMITS.get(name, EXTRA_LIMIT))})
    url = values.get("code_url")
    if isinstance(url, str) and url.strip() and not _web_url(url.strip()):
        problems.append({"field": "code_url",
                         "message": _("must be an http:// or https:// address, e.g. https://github.com/team/model")})
    return problems


def _web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not any(c.isspace() for c in url)


def save_card(submission: Submission, user: User | None, values: dict[str, Any]) -> MethodCard:
    """Replace a submission's card with the values given (fields left out become empty), until the close."""
    team = team_of(user, submission.challenge)
    if team is None or team.id != submission.team_id:
        # An organiser may read a team's submission; only the team writes its card.
        raise SubmissionRefused(404, _("Not found"), _("no such submission in your team"))
    if submission.phase.is_closed():
        if len(submission.challenge.phases) == 1:
            detail = _("the challenge has closed; method cards can no longer change")
        else:
            detail = _("the %(phase)s phase has closed; method cards can no longer change", phase=submission.phase.title)
        raise SubmissionRefused(403, _("Challenge closed"), detail)
    spec = card_spec(submission)
    problems = _problems(spec, values)
    if problems:
        detail = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise SubmissionRefused(400, _("Invalid method card"), detail, problems=problems)
    card = submission.method_card or MethodCard(submission=submission)
    clean = {name: value.strip() for name, value in values.items()}
    card.title, card.description = clean.get("title", ""), clean.get("description", "")
    card.code_url = clean.get("code_url", "")
    card.extra = {f.name: clean[f.name] for f in spec.fields if clean.get(f.name)}
    card.updated_at = utcnow()
    db.session.add(card)
    record("submission.method_card", actor=user, challenge=submission.challenge, target=submission)
    db.session.commit()
    return card


def card_values(card: MethodCard | None) -> dict[str, str]:
    """Return a card's fields by name, standard and the challenge's own; empty ones as ""."""
    if card is None:
        return {}
    return {"title": card.title, "description": card.description, "code_url": card.code_url, **(card.extra or {})}


def missing_fields(submission: Submission) -> list[str]:
    """Return the labels of the required card fields this submission's card leaves empty."""
    spec = card_spec(submission)
    values = card_values(submission.method_card)
    return [spec.labels[name] for name in spec.required_names if not values.get(name, "").strip()]


def card_to_dict(submission: Submission) -> dict[str, Any] | None:
    """Return a submission's card in the API's and the exports' shape, or None without one."""
    card = submission.method_card
    if card is None:
        return None
    spec = card_spec(submission)
    return {"title": card.title, "description": card.description, "code_url": card.code_url,
            "fields": {f.name: (card.extra or {}).get(f.name, "") for f in spec.fields},
            "updated_at": card.updated_at.isoformat()}


def description_html(card: MethodCard | None) -> Markup:
    """Return a card's description as safe HTML: Markdown with no HTML of the team's own."""
    return render_markdown(card.description if card else "", heading_offset=3)


def challenge_cards(challenge_id: int) -> list[dict[str, Any]]:
    """Return every card of a challenge with its team and whether it is a final entry, final ones first."""
    rows = db.session.execute(
        db.select(Submission, Team.name).join(MethodCard, MethodCard.submission_id == Submission.id)
        .join(Team, Team.id == Submission.team_id).where(Submission.challenge_id == challenge_id)
        .order_by(Submission.selected_at.is_(None), Team.name, Submission.id)
    ).all()
    return [{"submission_id": s.id, "team": team, "selected": s.selected_at is not None, **card_to_dict(s)}
            for s, team in rows]


def final_cards(phase_id: int) -> dict[int, dict[str, Any]]:
    """Return each team's final entry's card in a phase by team id: the earliest chosen entry that has one."""
    out: dict[int, dict[str, Any]] = {}
    rows = db.session.execute(
        db.select(Submission).join(MethodCard, MethodCard.submission_id == Submission.id)
        .where(Submission.phase_id == phase_id, Submission.selected_at.is_not(None))
        .order_by(Submission.selected_at, Submission.id)
    ).scalars()
    for submission in rows:
        out.setdefault(submission.team_id, card_to_dict(submission))
    return out
