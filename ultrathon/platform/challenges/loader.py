"""Load a validated challenge folder into the database, all or nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ultrathon.challenge_folder import ValidatedChallenge, validate_folder
# The CLI loads outside any request: ultrathon.i18n follows the CLI's language there, and a request's within one.
from ultrathon.i18n import gettext as _

from ..agents.challenges import store_agent_challenge
from ..audit import record
from ..extensions import db
from ..leaderboard.cache import clear_leaderboard
from ..models import Challenge, ChallengeFile, Submission, User
from ..phases.sync import PhaseRemovalRefused, sync_phases
from ..submissions.actions import rescore_challenge


class LoadRefused(Exception):
    """A reload that would change existing scores, asked for without --rescore."""

    def __init__(self, message: str, *, scored: int = 0):
        super().__init__(message)
        self.scored = scored  # the submissions a re-score would change, when that is the refusal


def content_hash(validated: ValidatedChallenge) -> str:
    """Return a digest of everything a challenge folder holds."""
    digest = hashlib.sha256(json.dumps(validated.spec.model_dump(mode="json"), sort_keys=True).encode())
    digest.update(validated.readme.encode())
    for name, data in validated.public_files.items():
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    digest.update(validated.scoring_hash.encode())
    return digest.hexdigest()


def load_challenge_folder(folder: str | Path, *, rescore: bool = False, actor: User | None = None) -> str:
    """Validate and load a folder; return what happened ("created", "updated", "unchanged", ...), in words to show."""
    return load_validated(validate_folder(folder), rescore=rescore, actor=actor)


def load_validated(validated: ValidatedChallenge, *, rescore: bool = False, actor: User | None = None) -> str:
    """Upsert a validated challenge in one transaction; refuse a score-changing reload unless asked."""
    spec = validated.spec
    fingerprint = content_hash(validated)
    challenge = db.session.execute(db.select(Challenge).where(Challenge.slug == spec.slug)).scalar_one_or_none()
    if challenge is not None and challenge.content_hash == fingerprint:
        return _("unchanged")

    scoring_changed = challenge is not None and challenge.scoring_hash != validated.scoring_hash
    submissions = 0
    if scoring_changed:
        submissions = db.session.execute(
            db.select(db.func.count()).select_from(Submission).where(Submission.challenge_id == challenge.id)
        ).scalar_one()
        if submissions and not rescore:
            raise LoadRefused(_(
                "%(slug)s: the solution, metrics or split changed and %(count)s submission(s) already have scores; "
                "load with --rescore to re-score them all", slug=spec.slug, count=submissions), scored=submissions)

    created = challenge is None
    try:
        if created:
            challenge = Challenge(slug=spec.slug)
            db.session.add(challenge)
        challenge.title = spec.title
        challenge.summary = spec.summary
        challenge.description_md = validated.readme
        challenge.task = spec.task
        challenge.opens_at = spec.opens
        challenge.closes_at = spec.closes
        challenge.spec = spec.model_dump(mode="json")
        challenge.scoring_hash = validated.scoring_hash
        challenge.content_hash = fingerprint
        challenge.solution_csv = validated.solution
        challenge.custom_scorer_source = validated.scorer_source
        _replace_files(challenge, validated.public_files)
        sync_phases(challenge, spec)
        db.session.flush()
        store_agent_challenge(challenge, validated)
        record("challenge.load" if created else "challenge.update", actor=actor, challenge=challenge,
               target=challenge, scoring_changed=scoring_changed)
        db.session.commit()
    except PhaseRemovalRefused as refused:
        db.session.rollback()
        raise LoadRefused(str(refused)) from None
    except Exception:
        db.session.rollback()
        raise

    clear_leaderboard(challenge.id, challenge.slug, settings_changed=True)
    if scoring_changed and submissions:
        count = rescore_challenge(challenge, actor=actor)
        return _("updated; %(count)s submission(s) queued for re-scoring", count=count)
    return _("created") if created else _("updated")


def _replace_files(challenge: Challenge, files: dict[str, bytes]) -> None:
    """Make the challenge's public files exactly these, in this order."""
    existing = {f.name: f for f in challenge.files}
    for name in set(existing) - set(files):
        challenge.files.remove(existing[name])
    for position, (name, data) in enumerate(files.items()):
        digest = hashlib.sha256(data).hexdigest()
        row = existing.get(name)
        if row is None:
            row = ChallengeFile(name=name)
            challenge.files.append(row)
        row.position = position
        if row.sha256 != digest:
            row.content, row.size, row.sha256 = data, len(data), digest
