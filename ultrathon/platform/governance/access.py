"""Access requests: with `access:` a person answers the challenge's questions before joining, and with
`approval: required` waits for an organiser (or an allowed e-mail domain) to approve them.

The newest request of a person in a challenge is the one in force: a refused person asks again with
a new one, and the refused row stays with its reason.
"""

from __future__ import annotations

from typing import Any

from ultrathon.i18n import gettext as _
from ultrathon.spec.access import MAX_ANSWER

from ..audit import record
from ..challenges.access import is_organiser
from ..extensions import db
from ..models import Challenge, User, utcnow
from ..notifications.triggers import notify_access_decided
from .models import AccessRequest

PENDING, APPROVED, REFUSED = "pending", "approved", "refused"
MAX_REASON = 2000
ACCESS_REQUIRED = "access-required"
ACCESS_PENDING = "access-pending"
ACCESS_REFUSED = "access-refused"
ACCESS_KINDS = (ACCESS_REQUIRED, ACCESS_PENDING, ACCESS_REFUSED)  # the gate's refusals a new request may answer


class AccessError(ValueError):
    """An access request or decision that cannot be carried out; `status` and `kind` are the HTTP answer's."""

    def __init__(self, message: str, status: int = 400, kind: str | None = None):
        super().__init__(message)
        self.status = status
        self.kind = kind


def latest_request(user: User | None, challenge: Challenge) -> AccessRequest | None:
    """Return the user's newest access request in the challenge, the one in force, if any."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.execute(
        db.select(AccessRequest).where(AccessRequest.challenge_id == challenge.id, AccessRequest.user_id == user.id)
        .order_by(AccessRequest.id.desc()).limit(1)
    ).scalar_one_or_none()


def _clean_answers(challenge: Challenge, answers: Any) -> dict[str, str]:
    """Return the answers to the challenge's questions, refusing unknown names, non-text, long or missing ones."""
    questions = challenge.settings.access.questions
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        raise AccessError(_("answers should be an object of question name to text, e.g. %(example)s",
                            example='{"affiliation": "Rigshospitalet"}'))
    names = [q.name for q in questions]
    unknown = [str(k) for k in answers if k not in names]
    if unknown:
        known = ", ".join(names) or _("none")
        raise AccessError(_("%(challenge)s asks no question named %(unknown)s; its questions are: %(known)s",
                            challenge=challenge.slug, unknown=", ".join(repr(u) for u in unknown), known=known))
    cleaned: dict[str, str] = {}
    for question in questions:
        value = answers.get(question.name)
        if value is not None and not isinstance(value, str):
            raise AccessError(_("the answer to %(label)r (%(name)s) should be text", label=question.label, name=question.name))
        value = (value or "").strip()
        if len(value) > MAX_ANSWER:
            raise AccessError(_("the answer to %(label)r has at most %(limit)s characters; this one has %(length)s",
                                label=question.label, limit=MAX_ANSWER, length=len(value)))
        if question.required and not value:
            raise AccessError(_("answer %(label)r (%(name)s): this challenge requires it", label=question.label, name=question.name))
        cleaned[question.name] = value
    return cleaned


def request_access(challenge: Challenge, user: User, answers: Any) -> AccessRequest:
    """Make the user's access request with their answers, approved at once when nothing needs review; commit."""
    access = challenge.settings.access
    if not access.asks:
        raise AccessError(_("%(challenge)s asks for no access request: every verified account may join a team",
                            challenge=challenge.slug), 409)
    if is_organiser(user, challenge):
        raise AccessError(_("you organise this challenge; organisers need no access request"), 409)
    current = latest_request(user, challenge)
    if current is not None and current.status != REFUSED:
        raise AccessError(_("your access request is approved already") if current.status == APPROVED
                          else _("your access request is waiting for the organisers already"), 409)
    cleaned = _clean_answers(challenge, answers)
    # Only a verified address speaks for its domain (the gate refuses the unverified before this anyway).
    domain = access.domain_allows(user.email) if access.required and user.email_verified_at is not None else None
    approved = not access.required or domain is not None
    now = utcnow()
    item = AccessRequest(challenge_id=challenge.id, user_id=user.id, answers=cleaned, created_at=now,
                         status=APPROVED if approved else PENDING, by_domain=domain, decided_at=now if approved else None)
    db.session.add(item)
    db.session.flush()
    record("access.request", actor=user, challenge=challenge, target=user, request=item.id, status=item.status,
           **({"by_domain": domain} if domain else {}))
    db.session.commit()
    return item


def decide(challenge: Challenge, item: AccessRequest, actor: User, *, approve: bool, reason: str = "") -> AccessRequest:
    """Approve or refuse a pending request (a refusal with the reason the person is shown), record it and commit."""
    if not is_organiser(actor, challenge):
        raise AccessError(_("only the challenge's organisers can decide its access requests"), 403)
    if item.challenge_id != challenge.id:
        raise AccessError(_("that access request is not one of this challenge's"), 404)
    if item.status != PENDING:
        raise AccessError(_("%(name)s's request is approved already", name=item.user.name) if item.status == APPROVED
                          else _("%(name)s's request is refused already", name=item.user.name), 409)
    reason = " ".join((reason or "").split())
    if not approve and not reason:
        raise AccessError(_("a refusal needs a reason; the person sees it on the challenge page"))
    if len(reason) > MAX_REASON:
        raise AccessError(_("a reason has at most %(limit)s characters; this one has %(length)s", limit=MAX_REASON, length=len(reason)))
    item.status = APPROVED if approve else REFUSED
    item.reason = None if approve else reason
    item.decided_at = utcnow()
    item.decided_by_id = actor.id
    record("access.approve" if approve else "access.refuse", actor=actor, challenge=challenge, target=item.user,
           request=item.id, **({} if approve else {"reason": reason}))
    db.session.commit()
    notify_access_decided(item)
    return item


def ensure_request(challenge: Challenge, user: User, answers: Any) -> None:
    """Before joining or creating a team: make the user's request from the answers given, when one is asked for."""
    access = challenge.settings.access
    if not access.asks or is_organiser(user, challenge):
        return
    current = latest_request(user, challenge)
    if current is not None and current.status != REFUSED:
        return
    if answers is not None:
        request_access(challenge, user, answers)
    elif not access.required:  # with required approval the gate says what is missing
        raise AccessError(_("answer the registration questions of %(title)s before joining a team: on the team page, or "
                            "with answers in the request (POST %(path)s)", title=challenge.title, path=_access_path(challenge)),
                          403, ACCESS_REQUIRED)


def access_block(user: User | None, challenge: Challenge) -> tuple[str, str, str] | None:
    """Return (problem type, title, sentence) when required approval bars the user from taking part, else None."""
    if not challenge.settings.access.required or is_organiser(user, challenge):
        return None
    item = latest_request(user, challenge)
    words = {"title": challenge.title, "path": _access_path(challenge)}
    if item is None:
        return (ACCESS_REQUIRED, _("Access request needed"),
                _("%(title)s admits participants after the organisers approve their access request; make one on the team "
                  "page of %(title)s or with POST %(path)s", **words))
    if item.status == PENDING:
        return (ACCESS_PENDING, _("Access request pending"),
                _("your access request to %(title)s is waiting for the organisers' approval; you can download, upload "
                  "and join a team once they approve it", **words))
    if item.status == REFUSED:
        return (ACCESS_REFUSED, _("Access request refused"),
                _("the organisers of %(title)s refused your access request: %(reason)s (you may ask again on the team "
                  "page of %(title)s or with POST %(path)s)", reason=item.reason, **words))
    return None


def _access_path(challenge: Challenge) -> str:
    return f"/api/v1/challenges/{challenge.slug}/access-request"


def pending_requests(challenge: Challenge) -> list[AccessRequest]:
    """Return the challenge's requests waiting for a decision, oldest first."""
    return list(db.session.execute(
        db.select(AccessRequest).where(AccessRequest.challenge_id == challenge.id, AccessRequest.status == PENDING)
        .order_by(AccessRequest.created_at, AccessRequest.id)
    ).scalars())


def request_to_dict(challenge: Challenge, item: AccessRequest | None) -> dict[str, Any]:
    """Return the API's view of the caller's access request in force (state "none" when they have made none)."""
    access = challenge.settings.access
    body: dict[str, Any] = {
        "approval": access.approval,
        "questions": [{"name": q.name, "label": q.label, "required": q.required} for q in access.questions],
        "state": item.status if item is not None else "none",
    }
    if item is not None:
        body.update(id=item.id, answers=item.answers, created_at=item.created_at.isoformat(),
                    decided_at=item.decided_at.isoformat() if item.decided_at else None,
                    reason=item.reason, approved_by_domain=item.by_domain)
    return body
