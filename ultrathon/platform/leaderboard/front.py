"""Anonymous reads of fresh standings, answered before Flask from what this process keeps.

The leaderboard JSON is what hundreds of pages poll when their event stream fails, and what
scripts fetch; for a visitor without cookies or credentials it is the same bytes for everyone.
Flask's request machinery (session, CSRF, rate-limit bookkeeping) cost more than serving those
bytes, so this middleware answers such a read itself when the near cache (cache.py) holds the
bytes and vouches that they are current. Everything else, a miss included, goes on to Flask,
which applies the same rules, refuses what it must, and fills the near cache.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable
from urllib.parse import parse_qsl

from ultrathon.spec import SLUG_RULE

from ..challenges.access import private_shown_to_all
from ..headers import SECURITY_HEADERS
from .cache import cache_key, kept_board, near_cache
from .standings import UnknownSplit, check_split

STANDINGS_JSON_PATH = re.compile(rf"/challenges/({SLUG_RULE})/leaderboard\.json")
STANDINGS_JSON_HEADERS = (("Content-Type", "application/json"), ("Cache-Control", "no-cache"), ("Vary", "Cookie"))
MAX_GENERATION_CHARS = 64


def generation_from(value: str | None) -> str | None:
    """Return the standings state a live page names (its `g` parameter), or None if it names none."""
    return value if value and len(value) <= MAX_GENERATION_CHARS else None


class CachedStandingsFront:
    """WSGI middleware that serves an anonymous GET of a fresh cached leaderboard JSON itself."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        body = self._kept_body(environ)
        if body is None:
            return self.app(environ, start_response)
        # The headers Flask's answer gets from the view and from init_headers (headers.py).
        start_response("200 OK", [*STANDINGS_JSON_HEADERS, *SECURITY_HEADERS, ("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def _kept_body(environ: dict) -> bytes | None:
        """Return the bytes Flask would answer with, if this process holds them fresh; else None."""
        if environ.get("REQUEST_METHOD") != "GET" or "HTTP_COOKIE" in environ or "HTTP_AUTHORIZATION" in environ:
            return None
        match = STANDINGS_JSON_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None:
            return None
        try:
            fields = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True, max_num_fields=3)
        except ValueError:
            return None  # more fields than the three this read takes
        query = dict(fields)
        if len(query) < len(fields) or not set(query) <= {"split", "g", "phase"}:
            return None  # a repeated or unknown parameter: Flask's rules decide
        board = kept_board(f"{match.group(1)}@{query.get('phase') or ''}")
        if board is None:
            return None
        try:
            split = check_split(query.get("split"))
        except UnknownSplit:
            return None
        if split == "private" and not private_shown_to_all(board):
            return None  # organisers only: Flask decides
        if board.feedback == "hidden" and not private_shown_to_all(board):
            return None  # feedback: hidden shows organisers alone the scores until the results are out: Flask decides
        return near_cache.fresh(board.id, cache_key(board.id, split, phase=board.phase_id), generation_from(query.get("g")))
