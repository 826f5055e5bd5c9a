"""What the leaderboard and submissions pages write in the reader's language (the JSON and CSV keep English)."""

from __future__ import annotations

from datetime import datetime, timezone

from babel import Locale
from babel.numbers import format_percent
from flask_babel import get_locale
from flask_babel import gettext as _

from ultrathon.i18n import N_, SOURCE_LANGUAGE

from .board import Board

# A split as a page names it in a sentence ("Calibration, private split").
SPLIT_NAMES = {"public": N_("public split"), "private": N_("private split")}
# The tie rule, as the JSON, the exports (in English) and the pages (translated) state it.
TIE_RULE = N_("unadjusted paired %(level)s comparison with the leader: a team is tied with the leader when the "
              "%(level)s percentile interval of the paired bootstrap difference in %(metric)s (the team's minus "
              "the leader's, on the same resamples) holds 0; no multiplicity adjustment")


def _locale() -> str:
    """Return the page's language, English outside a request."""
    return str(get_locale() or SOURCE_LANGUAGE)


def shown_percent(fraction: float | None, decimals: int | None = None) -> str:
    """Return a fraction as the language writes a percentage: 95%, 97,5 %; `decimals` fixes the digits."""
    if fraction is None:
        return "—"
    locale = _locale()
    if decimals is None:
        return format_percent(fraction, locale=locale, decimal_quantization=False)
    # The language's own pattern ("#,##0 %" in Danish), with the digits asked for after the mark.
    pattern = Locale.parse(locale).percent_formats[None].pattern
    digits = "0." + "0" * decimals if decimals > 0 else "0"
    return format_percent(fraction, format=pattern.replace("0", digits, 1), locale=locale)


def moment_from_iso(iso: str | None) -> datetime | None:
    """Return the time an ISO 8601 text of the standings names, in UTC, for the pages' time macro."""
    if not iso:
        return None
    moment = datetime.fromisoformat(iso)
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def split_name(split: str) -> str:
    """Return "public split" or "private split" in the reader's language."""
    return _(SPLIT_NAMES[split])


def tie_rule_text(level: str, metric: str, translate: bool) -> str:
    """Return the tie rule with its level and metric filled in, in English or in the reader's language."""
    return (_(TIE_RULE) if translate else TIE_RULE) % {"level": level, "metric": metric}


def shown_tie_rule(board: Board) -> str:
    """Return the tie rule of a board as its page states it, in the reader's language."""
    return tie_rule_text(shown_percent(board.ci_level), board.metric_label, translate=True)
