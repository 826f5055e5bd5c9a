"""The security headers every answer carries: no inline script or style, no framing, no sniffing."""

from __future__ import annotations

from flask import Flask, Response

# Pages load only their own vendored scripts and styles; data for scripts rides in data-*
# attributes or <script type="application/json"> blocks, which the policy does not execute.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
))

SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),  # frame-ancestors for browsers that predate it
    ("X-Content-Type-Options", "nosniff"),
    # A hospital's internal host name and paths (reset tokens included) stay off other sites' logs.
    ("Referrer-Policy", "same-origin"),
)


def add_security_headers(response: Response) -> Response:
    """Give a response the security headers it does not set itself."""
    for name, value in SECURITY_HEADERS:
        response.headers.setdefault(name, value)
    return response


def init_headers(app: Flask) -> None:
    """Send the security headers on every answer of the app, errors included."""
    # CachedStandingsFront (leaderboard/front.py) answers some reads before Flask: it adds SECURITY_HEADERS itself.
    app.after_request(add_security_headers)
