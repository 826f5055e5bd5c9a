"""What an address, query string or form may hold, checked before any of it reaches the database."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, request
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from ..i18n import N_, gettext as _
from .languages.formatting import shown_number

MAX_INT = 2**31 - 1  # the largest id, page or offset a PostgreSQL integer holds
_NUL_IN_QUERY = N_("query parameter %(name)r: NUL characters are not allowed")
_NUL_IN_FORM = N_("form field %(name)r: NUL characters are not allowed")


def positive_int(text: str | None, maximum: int = MAX_INT) -> int | None:
    """Return text as a whole number from 1 to maximum, or None when it is anything else."""
    text = text or ""
    # '²' and other non-ASCII digits pass isdigit() but not int(); the length check keeps int()
    # from thousands of digits, which Python refuses with a ValueError of its own.
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > len(str(maximum)):
        return None
    value = int(text)
    return value if 1 <= value <= maximum else None


def int_arg(name: str, default: int, maximum: int = MAX_INT) -> int:
    """Return a query argument as a whole number from 1 to maximum, or the default when absent; else 400."""
    raw = request.args.get(name, "")
    if not raw.strip():
        return default
    value = positive_int(raw, maximum)
    if value is None:
        shown = raw if len(raw) <= 40 else raw[:39] + "…"
        abort(400, description=_("Query parameter %(name)s: %(value)r is not a whole number from 1 to %(maximum)s.",
                                 name=name, value=shown, maximum=shown_number(maximum)))
    return value


def refuse_nul() -> None:
    """Refuse a NUL character in the address, a query parameter or a form field, before any view runs."""
    # No name, identifier or text here may hold NUL, and PostgreSQL fails on one rather than refusing it.
    if request.routing_exception is not None:
        return  # no view runs; the 404 or 405 is answered as its blueprint answers one
    if "\x00" in request.path:
        abort(404, description=_("no page has a NUL character in its address"))
    for refusal, values in ((_NUL_IN_QUERY, request.args), (_NUL_IN_FORM, request.form)):
        for name, value in values.items(multi=True):
            name = name or ""  # a multipart part may come with no name at all
            if "\x00" in name or "\x00" in value:
                abort(400, description=_(refusal, name=name.replace(chr(0), "")[:40]))


class IdConverter(IntegerConverter):
    """`<int:...>` in a route: a database id, so a larger number is 404 before any view runs."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_INT:
            # NotFound rather than the ValidationError of `max`: with that, Werkzeug answers 405
            # where another method shares the address (PUT and DELETE of a selection).
            raise NotFound()
        return number


def safe_next(target: str | None) -> str | None:
    """Return target if it is a path on this site, so ?next= cannot send anyone elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
