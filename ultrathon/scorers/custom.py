"""Organisers' own metrics: `score(solution, submission, row_id_column_name) -> float` in scorer.py."""

from __future__ import annotations

import hashlib
import math
import sys
import traceback
import types
from typing import Callable

import pandas as pd

from ultrathon.i18n import gettext as _
from ultrathon.scorers.errors import SCORING_FAILED, ParticipantVisibleError, ScoringError
from ultrathon.spec.vocabulary import CUSTOM_FUNCTION

PARTICIPANT_MESSAGE_CHARS = 500  # a custom metric's message to teams is cut to this length


def load_custom_metric(source: str, function: str = CUSTOM_FUNCTION) -> Callable[..., float]:
    """Compile a custom metric's source text and return its scoring function."""
    name = "ultrathon_custom_metric_" + hashlib.sha256(source.encode()).hexdigest()[:16]
    module = types.ModuleType(name)
    # Kaggle-style scorers define their own ParticipantVisibleError; ours is there for those
    # that use it without defining or importing it.
    module.ParticipantVisibleError = ParticipantVisibleError
    # Registered because dataclasses and pickling look a class's module up by name.
    sys.modules[name] = module
    exec(compile(source, "scorer.py", "exec"), module.__dict__)  # noqa: S102 - organisers' own code
    scorer = module.__dict__.get(function)
    if not callable(scorer):
        raise ValueError(f"scorer.py defines no function {function!r}")
    return scorer


def is_participant_visible(error: BaseException) -> bool:
    """Return True for our ParticipantVisibleError or a scorer's own class of that name."""
    return isinstance(error, ParticipantVisibleError) or type(error).__name__ == "ParticipantVisibleError"


def call_custom_metric(metric: Callable[..., float], solution: pd.DataFrame, submission: pd.DataFrame, id_column: str) -> float:
    """Run a custom metric; raise ScoringError whose message is safe for the team."""
    try:
        value = metric(solution, submission, id_column)
    except MemoryError:
        raise  # the sealed process's memory limit, reported as such
    except Exception as exc:  # noqa: BLE001 - any failure of organisers' code is reported, never shown
        detail = traceback.format_exc()
        if is_participant_visible(exc):
            raise ScoringError(str(exc)[:PARTICIPANT_MESSAGE_CHARS], detail=detail) from exc
        raise ScoringError(SCORING_FAILED, detail=detail) from exc
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ScoringError(SCORING_FAILED, detail=_("the custom metric returned %(type)s, not a number",
                                                          type=type(value).__name__)) from None
    if not math.isfinite(number):
        raise ScoringError(SCORING_FAILED, detail=_("the custom metric returned %(value)s, not a finite number",
                                                          value=number))
    return number
