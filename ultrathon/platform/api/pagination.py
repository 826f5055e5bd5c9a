"""Limit-and-cursor pagination for the API's lists."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any, Callable

from flask import request
from flask_babel import gettext as _

from ..arguments import positive_int
from ..extensions import db
from .errors import ApiProblem

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


@dataclass(frozen=True)
class PageRequest:
    """What the caller asked for: at most `limit` items after the position in `cursor`."""

    limit: int
    position: int | None  # None for the first page, else where the previous page ended


MAX_POSITION = 2**31 - 1  # ids and offsets both fit a PostgreSQL integer
# A cursor is a position's four bytes in URL-safe base64 without padding: six characters, the
# first (top bit clear) A-f, the last (four spare bits clear) A, Q, g or w. Every string of that
# shape is a position from 0 to MAX_POSITION and no other is, so the OpenAPI document can say
# exactly which cursors the API takes.
CURSOR_PATTERN = "^[A-Za-f][A-Za-z0-9_-]{4}[AQgw]$"


def encode_cursor(position: int) -> str:
    """Return an opaque cursor for a position in a list."""
    return base64.urlsafe_b64encode(position.to_bytes(4, "big")).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Return the position a cursor stands for; raise a 400 for one this API did not issue."""
    if re.fullmatch(CURSOR_PATTERN, cursor) is None:
        raise ApiProblem(400, _("query parameter cursor: %(cursor)s is not a cursor this API issued; pass back the "
                                "next_cursor of the previous page", cursor=repr(cursor[:40])))
    return int.from_bytes(base64.urlsafe_b64decode(cursor + "=="), "big")


def page_request() -> PageRequest:
    """Read and check `limit` and `cursor` from the query string."""
    raw_limit = request.args.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        limit = positive_int(raw_limit, MAX_LIMIT)
        if limit is None:
            raise ApiProblem(400, _("query parameter limit: must be a whole number from 1 to %(most)s, got %(limit)s",
                                    most=MAX_LIMIT, limit=repr(raw_limit[:20])))
    raw_cursor = request.args.get("cursor")
    return PageRequest(limit=limit, position=None if raw_cursor is None else decode_cursor(raw_cursor))


def keyset_page(select, id_column, page: PageRequest, *, descending: bool = False) -> tuple[list, str | None]:
    """Run `select` ordered by a unique integer column; return one page of rows and the next cursor."""
    if page.position is not None:
        select = select.where(id_column < page.position if descending else id_column > page.position)
    select = select.order_by(id_column.desc() if descending else id_column.asc()).limit(page.limit + 1)
    rows = list(db.session.execute(select).scalars())
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    return rows, (encode_cursor(getattr(rows[-1], id_column.key)) if more else None)


def slice_page(items: list, page: PageRequest) -> tuple[list, str | None]:
    """Return one page of an in-memory list, the position being an offset."""
    start = page.position or 0
    chunk = items[start:start + page.limit]
    more = start + page.limit < len(items)
    return chunk, (encode_cursor(start + page.limit) if more else None)


def page_body(items: list, next_cursor: str | None, to_dict: Callable[[Any], dict], **extra: Any) -> dict:
    """Return the list envelope: `items` and `next_cursor` (null on the last page)."""
    return {"items": [to_dict(item) for item in items], "next_cursor": next_cursor, **extra}
