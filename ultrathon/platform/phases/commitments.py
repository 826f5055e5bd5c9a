"""Commitments: a team's SHA-256 of its model or code archive, made before a phase opens and never changed."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ultrathon.i18n import gettext as _

from ..audit import record
from ..challenges.access import team_of
from ..extensions import db
from ..models import Challenge, Team, User, utcnow
from ..submissions.quota import lock_team
from .models import Commitment, Phase, UnknownPhase, phase_named

LABEL_LIMIT = 200
MAX_PER_PHASE = 20  # enough to re-commit after a late fix, few enough that the list stays readable
SHA256_PATTERN = "^[0-9a-fA-F]{64}$"
_SHA256 = re.compile(SHA256_PATTERN)


class CommitmentRefused(ValueError):
    """A commitment that cannot be made; `status` is the HTTP status that fits, `field` the input at fault."""

    def __init__(self, status: int, detail: str, field: str | None = None):
        super().__init__(detail)
        self.status, self.detail, self.field = status, detail, field


def next_phase(challenge: Challenge, now: datetime | None = None) -> Phase | None:
    """Return the first phase of a challenge that has not opened yet, if any."""
    now = now or utcnow()
    return next((p for p in challenge.phases if not p.has_opened(now)), None)


def _phase_to_commit(challenge: Challenge, slug: str | None) -> Phase:
    if slug:
        try:
            return phase_named(challenge, slug)
        except UnknownPhase as error:
            raise CommitmentRefused(404, str(error), field="phase") from None
    phase = next_phase(challenge)
    if phase is None:
        raise CommitmentRefused(409, _("every phase of %(challenge)s has opened; a commitment is made before its phase "
                                       "opens", challenge=challenge.slug), field="phase")
    return phase


def clean_sha256(value: Any) -> str:
    """Return a SHA-256 as 64 lower-case hex digits, or refuse it saying what is wrong."""
    if not isinstance(value, str) or not value.strip():
        raise CommitmentRefused(400, _("sha256: give the SHA-256 of the archive as 64 hex digits (e.g. the first word "
                                       "of `sha256sum model.tar.gz`)"), field="sha256")
    text = value.strip()
    if not _SHA256.match(text):
        detail = (_("sha256: is %(length)s characters long; a SHA-256 is 64 hex digits (0-9, a-f)", length=len(text))
                  if len(text) != 64 else
                  _("sha256: has characters other than 0-9 and a-f; a SHA-256 is 64 hex digits (0-9, a-f)"))
        raise CommitmentRefused(400, detail, field="sha256")
    return text.lower()


def clean_label(value: Any) -> str:
    """Return a commitment's label, stripped, or refuse it saying what is wrong."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CommitmentRefused(400, _("label: must be text, got %(type)s", type=type(value).__name__), field="label")
    text = " ".join(value.split())
    if "\x00" in text:
        raise CommitmentRefused(400, _("label: NUL characters are not allowed"), field="label")
    if len(text) > LABEL_LIMIT:
        raise CommitmentRefused(400, _("label: is %(length)s characters long; at most %(most)s", length=len(text),
                                       most=LABEL_LIMIT), field="label")
    return text


def _committing_team(challenge: Challenge, user: User | None) -> Team:
    team = team_of(user, challenge) if user is not None else None
    if team is None:
        raise CommitmentRefused(403, _("you are in no team in %(challenge)s; only a team's members commit for it",
                                       challenge=challenge.slug))
    if team.disqualified_at is not None:
        raise CommitmentRefused(403, _("team %(team)s was disqualified; it can no longer make commitments", team=team.name))
    return team


def make_commitment(challenge: Challenge, user: User | None, phase_slug: str | None, sha256: Any,
                    label: Any = "") -> Commitment:
    """Record a team's SHA-256 for a phase that has not opened yet (the next one by default); audited."""
    team = _committing_team(challenge, user)
    phase = _phase_to_commit(challenge, phase_slug)
    digest, label = clean_sha256(sha256), clean_label(label)
    lock_team(team.id)  # the count below and the insert serialise per team
    now = utcnow()
    if phase.has_opened(now):
        raise CommitmentRefused(409, _("the %(phase)s phase (%(slug)s) opened at %(time)s; a commitment is made before its "
                                       "phase opens", phase=phase.title, slug=phase.slug, time=phase.opens_at.isoformat()),
                                field="phase")
    if len(commitments_of(team, phase)) >= MAX_PER_PHASE:
        raise CommitmentRefused(409, _("team %(team)s has made %(count)s commitments for the %(phase)s phase, the most it "
                                       "may; the latest stays in force", team=team.name, count=MAX_PER_PHASE,
                                       phase=phase.title))
    commitment = Commitment(challenge_id=challenge.id, phase_id=phase.id, team_id=team.id, user_id=user.id,
                            sha256=digest, label=label, created_at=now)
    db.session.add(commitment)
    db.session.flush()
    record("commitment.make", actor=user, challenge=challenge, target=commitment, phase=phase.slug,
           team=team.name, sha256=digest)
    db.session.commit()
    return commitment


def commitments_of(team: Team, phase: Phase) -> list[Commitment]:
    """Return a team's commitments for a phase, oldest first."""
    return list(db.session.execute(
        db.select(Commitment).where(Commitment.team_id == team.id, Commitment.phase_id == phase.id)
        .order_by(Commitment.created_at, Commitment.id)
    ).scalars())


def in_force(phase: Phase) -> dict[int, Commitment]:
    """Return each team's commitment in force for a phase by team id: its latest made before the phase opened."""
    rows = db.session.execute(
        db.select(Commitment).where(Commitment.phase_id == phase.id, Commitment.created_at < phase.opens_at)
        .order_by(Commitment.created_at, Commitment.id)
    ).scalars()
    return {c.team_id: c for c in rows}  # later rows overwrite earlier ones


def commitment_to_dict(commitment: Commitment, in_force_id: int | None) -> dict[str, Any]:
    """Return a commitment in the API's and the bundle's shape."""
    return {"id": commitment.id, "team": commitment.team.name, "phase": commitment.phase.slug,
            "sha256": commitment.sha256, "label": commitment.label, "made_at": commitment.created_at.isoformat(),
            "made_by": commitment.user.name if commitment.user is not None else None,
            "in_force": commitment.id == in_force_id}


def team_commitments(team: Team, phase: Phase) -> list[dict[str, Any]]:
    """Return a team's commitments for a phase, oldest first, the one in force marked."""
    rows = commitments_of(team, phase)
    current = [c for c in rows if c.created_at < phase.opens_at]
    return [commitment_to_dict(c, current[-1].id if current else None) for c in rows]


def challenge_commitments(challenge: Challenge) -> list[dict[str, Any]]:
    """Return every commitment of a challenge, by phase, team and time, each marked in force or not."""
    out: list[dict[str, Any]] = []
    for phase in challenge.phases:
        current = {c.id for c in in_force(phase).values()}
        rows = db.session.execute(
            db.select(Commitment).join(Team, Team.id == Commitment.team_id).where(Commitment.phase_id == phase.id)
            .order_by(Team.name, Commitment.created_at, Commitment.id)
        ).scalars()
        out += [commitment_to_dict(c, c.id if c.id in current else None) for c in rows]
    return out
