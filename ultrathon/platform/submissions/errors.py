"""Why a submission request is refused, carrying the HTTP answer that fits it."""

from __future__ import annotations

from ultrathon.i18n import N_, gettext as _

from ..governance.gate import participation_refusal
from .quota import Quota

# A submission's status as a refusal names it (the API's `status` field keeps the value itself).
STATUS_NAMES = {"queued": N_("queued"), "scoring": N_("scoring"), "scored": N_("scored"), "failed": N_("failed")}


def shown_status(status: str) -> str:
    """Return a submission's status in the current language."""
    return _(STATUS_NAMES[status]) if status in STATUS_NAMES else status


class SubmissionRefused(Exception):
    """A submission request that cannot be carried out, with the HTTP answer that fits it."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        retry_after: int | None = None,
        quota: Quota | None = None,
        problems: list[dict] | None = None,
        kind: str | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.retry_after = retry_after
        self.quota = quota
        self.problems = problems
        self.kind = kind  # the API's problem type, when a governance rule refused (unverified, suspended)


def refuse_if_barred(challenge, user, *, need_verified: bool = True) -> None:
    """Refuse an unverified or suspended user's upload or choice, saying why and what to do."""
    refusal = participation_refusal(user, challenge, need_verified=need_verified)
    if refusal is not None:
        raise SubmissionRefused(403, refusal.title, refusal.detail, kind=refusal.kind)
