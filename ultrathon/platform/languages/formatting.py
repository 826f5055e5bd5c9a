"""Times and numbers written for the page's language (Babel), for templates and messages alike."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask
from flask_babel import format_date, format_decimal, format_number, format_time


def shown_time(moment: datetime | None, seconds: bool = False) -> str:
    """Return a moment in UTC the way the language writes dates, with a 24-hour clock, e.g. 3. dec. 2026 13.41 UTC."""
    if moment is None:
        return "—"
    moment = moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    clock = format_time(moment, "HH:mm:ss" if seconds else "HH:mm", rebase=False)
    return f"{format_date(moment, 'medium', rebase=False)} {clock} UTC"


def shown_number(value: float | int | None, decimals: int | None = None) -> str:
    """Return a number with the language's decimal mark and grouping; `decimals` fixes the digits after it."""
    if value is None:
        return "—"
    if decimals is None:
        return format_number(value)
    return format_decimal(value, format="#,##0." + "0" * decimals if decimals > 0 else "#,##0")


def init_formatting(app: Flask) -> None:
    """Give every template the time and number writers."""
    app.jinja_env.globals.update(shown_time=shown_time, shown_number=shown_number)
