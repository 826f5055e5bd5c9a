"""What a team sees of its public score: at once, through the Ladder, or nothing until the close."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ultrathon.i18n import gettext as _

FeedbackMode = Literal["live", "ladder", "hidden"]
FEEDBACK_MODES: tuple[str, ...] = ("live", "ladder", "hidden")


class FeedbackSpec(BaseModel):
    """The feedback a phase gives: `feedback: ladder`, or `feedback: {mode: ladder, step: 0.01}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: FeedbackMode = "live"
    # The Ladder's step, in the primary metric's units; by default 1/sqrt(public rows) (scorers/ladder.py).
    step: float | None = Field(default=None, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _bare_mode(cls, value: Any) -> Any:
        # `feedback: ladder` says the mode alone; anything else is judged as a mapping.
        return {"mode": value} if isinstance(value, str) else value

    @property
    def live(self) -> bool:
        """Return whether each public score is shown as it is, at once."""
        return self.mode == "live"


def feedback_problems(raw: dict) -> list[tuple[tuple[str, ...], str]]:
    """Return the problems across feedback's keys: a step given with a mode other than ladder."""
    feedback = raw.get("feedback")
    if isinstance(feedback, dict) and feedback.get("step") is not None and feedback.get("mode", "live") != "ladder":
        mode = feedback.get("mode", "live")
        return [(("feedback", "step"), _("is the Ladder's step and applies only with mode: ladder (mode is %(mode)s)",
                                         mode=mode))]
    mode = feedback.get("mode") if isinstance(feedback, dict) else feedback
    if mode == "ladder" and raw.get("sites"):
        # Each site's own figures, shown per site, would tell the score the Ladder holds back.
        return [(("feedback",), _("ladder cannot go with sites yet: each site's score would give the real public score away"))]
    return []
