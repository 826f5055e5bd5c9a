"""The API's one error envelope: RFC 9457 problem details (`application/problem+json`)."""

from __future__ import annotations

import logging
import time
from http import HTTPStatus
from typing import Any

from flask import Response, json, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, MethodNotAllowed, default_exceptions

from ultrathon.i18n import N_

from ..extensions import limiter

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
API_PREFIX = "/api/"
BEARER_REALM = "ultrathon"

# Problem types beyond plain HTTP statuses; docs/api.md lists them with what to do about each.
PROBLEM_TYPES = {
    "invalid-request": "The request's parameters or body are not what this operation takes.",
    "unauthenticated": "No bearer token, or one that is unknown, expired or revoked.",
    "forbidden": "The token is valid but its user may not do this.",
    "not-found": "No such resource, or none this caller may see.",
    "invalid-submission": "The uploaded file cannot be scored; `problems` lists each row and column.",
    "invalid-method-card": "The method card does not fit the challenge's card; `problems` lists each field.",
    "submission-refused": "The upload was refused (challenge not open, no team, file too big, ...).",
    "quota-reached": "The team's submission quota is used up; `quota` says when it resets.",
    "rate-limited": "Too many requests with this token; wait `Retry-After` seconds.",
    "conflict": "The request clashes with the current state (a name taken, a team already joined).",
    "unverified-email": "The caller's e-mail address is not verified yet; follow the mailed link or resend it from the account page.",
    "suspended": "The organisers suspended the caller from this challenge; `detail` gives their reason.",
    "access-required": "The challenge admits people on request: POST answers to its access-request first.",
    "access-pending": "The caller's access request waits for the organisers' approval.",
    "access-refused": "The organisers refused the caller's access request; `detail` gives their reason. A new request may follow.",
    "results-being-verified": "The challenge has closed; its private standings wait for the organisers to publish them.",
}


# A problem's `title` in the caller's language: the phrases of the statuses this API answers with.
STATUS_PHRASES = {
    400: N_("Bad Request"), 401: N_("Unauthorized"), 403: N_("Forbidden"), 404: N_("Not Found"),
    405: N_("Method Not Allowed"), 406: N_("Not Acceptable"), 409: N_("Conflict"), 413: N_("Request Entity Too Large"),
    415: N_("Unsupported Media Type"), 422: N_("Unprocessable Entity"), 429: N_("Too Many Requests"),
    500: N_("Internal Server Error"), 503: N_("Service Unavailable"),
}
# Werkzeug's own descriptions of the statuses an API request may meet without a view's detail,
# marked word for word so that `_detail_for` finds their translation.
WERKZEUG_DESCRIPTIONS = (
    N_("The browser (or proxy) sent a request that this server could not understand."),
    N_("You don't have the permission to access the requested resource. It is either read-protected or not readable by "
       "the server."),
    N_("A conflict happened while processing the request. The resource might have been modified while the request was "
       "being processed."),
    N_("The server does not support the media type transmitted in the request."),
    N_("The request was well-formed but was unable to be followed due to semantic errors."),
)


def problem_type(name: str) -> str:
    """Return the URI of a problem type ("about:blank" for a plain HTTP status)."""
    if name == "about:blank":
        return name
    if name not in PROBLEM_TYPES:
        raise ValueError(f"unknown problem type {name!r}")
    return f"urn:ultrathon:problem:{name}"


class ApiProblem(Exception):
    """A failure a view raises to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or _default_kind(status)
        self.title = title or _status_phrase(status)
        self.headers = headers or {}
        self.extra = extra

    def to_response(self) -> Response:
        """Return the problem document as a response."""
        return problem_response(self.status, self.detail, kind=self.kind, title=self.title,
                                headers=self.headers, **self.extra)


def _status_phrase(status: int) -> str:
    if status in STATUS_PHRASES:
        return _(STATUS_PHRASES[status])
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _("Error")


def _default_kind(status: int) -> str:
    return {400: "invalid-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found",
            409: "conflict", 429: "rate-limited"}.get(status, "about:blank")


def problem_response(
    status: int,
    detail: str,
    *,
    kind: str = "about:blank",
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Build the problem+json response every API error goes out as."""
    body = {"type": problem_type(kind), "title": title or _status_phrase(status), "status": status, "detail": detail}
    body.update({key: value for key, value in extra.items() if value is not None})
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MEDIA_TYPE)
    if status == 401:
        response.headers["WWW-Authenticate"] = bearer_challenge()
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def bearer_challenge(error: str | None = None) -> str:
    """Return the WWW-Authenticate value of a 401, with the RFC 6750 error code when a token was at fault."""
    return f'Bearer realm="{BEARER_REALM}", error="{error}"' if error else f'Bearer realm="{BEARER_REALM}"'


def _from_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status == 429:
        return _rate_limited()
    headers = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    return problem_response(status, _detail_for(exc), kind=_default_kind(status), headers=headers)


def _detail_for(exc: HTTPException) -> str:
    status = exc.code or 500
    if status == 404:
        return _("nothing at %(path)s for this caller", path=request.path)
    if status == 405:
        allowed = ", ".join(sorted(getattr(exc, "valid_methods", None) or []))
        return _("%(method)s is not allowed on %(path)s; use %(allowed)s", method=request.method, path=request.path,
                 allowed=allowed)
    if status == 413:
        return _("the request body is larger than this server accepts")
    # Werkzeug's own descriptions are generic but safe; they never carry user data. Those marked
    # above read in the caller's language; an abort's own description was written in it already.
    return _(exc.description) if exc.description else _status_phrase(status)


def _rate_limited() -> Response:
    limit = limiter.current_limit
    if limit is None:
        return problem_response(429, _("too many requests; slow down"), kind="rate-limited", headers={"Retry-After": "1"})
    retry_after = max(1, int(limit.reset_at - time.time()))
    return problem_response(429, _("at most %(limit)s for this token; try again in %(seconds)s s", limit=limit.limit,
                                   seconds=retry_after),
                            kind="rate-limited", headers={"Retry-After": str(retry_after)})


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error under the API at %s", request.path)
    detail = N_("the server failed to answer; the error is logged for the operators")
    try:
        # Choosing the language may read the database, which may be what failed: then English.
        title, detail = _status_phrase(500), _(detail)
    except Exception:  # noqa: BLE001 - the answer must go out whatever broke
        title = HTTPStatus(500).phrase
    return problem_response(500, detail, title=title)


def is_api_request() -> bool:
    """Return whether the current request is addressed to the API."""
    return request.path == API_PREFIX.rstrip("/") or request.path.startswith(API_PREFIX)


def init_errors(bp) -> None:
    """Answer every error of the blueprint, and every unrouted /api path, with a problem document."""
    bp.register_error_handler(ApiProblem, lambda exc: exc.to_response())
    # Registered per status code, blueprint handlers win over any page-wide handler for that code.
    for code in default_exceptions:
        bp.register_error_handler(code, _from_http_exception)
    bp.register_error_handler(HTTPException, _from_http_exception)
    bp.register_error_handler(Exception, _unexpected)

    @bp.before_app_request
    def _unrouted_api_paths():
        # A path no route matches belongs to no blueprint, so the page-wide handlers would answer
        # in HTML; answer here before dispatch instead.
        exc = request.routing_exception
        if exc is not None and is_api_request() and isinstance(exc, HTTPException) and exc.code != 308:
            return _from_http_exception(exc)
        return None
