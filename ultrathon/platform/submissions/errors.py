"""Why a submission request is refused, carrying the HTTP answer that fits it."""

from __future__ import annotations

from .quota import Quota


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
    ):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.retry_after = retry_after
        self.quota = quota
        self.problems = problems
