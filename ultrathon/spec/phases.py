"""A challenge's phases: `phases: [...]`, each with its window, files, limits and feedback.

A challenge without `phases:` is one phase, MAIN_PHASE, made of today's top-level keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from ultrathon.i18n import N_, gettext as _

from .feedback import FeedbackSpec
from .sites import _MISSING, _at
from .strict import StrictModel
from .vocabulary import SLUG_RULE, FileName, Path, zoned_time

MAIN_PHASE = "main"  # the slug of the one phase of a challenge without `phases:`
MAIN_TITLE = "Main phase"
CombinePhases = Literal["final_phase_only", "mean_rank"]


class LimitsSpec(StrictModel):
    """Submission quotas per team (per phase, with phases)."""

    per_day: int = Field(default=5, ge=1)
    total: int | None = Field(default=None, ge=1)
    final_selections: int = Field(default=2, ge=1)


class PhaseSpec(StrictModel):
    """One phase as challenge.yaml writes it; a key left out takes the challenge's own."""

    slug: str = Field(pattern=f"^{SLUG_RULE}$")
    title: str = Field(min_length=1, max_length=200)
    opens: datetime
    closes: datetime
    public: list[FileName] | None = None  # released when the phase opens; default data.public
    sample_submission: FileName | None = None  # default data.sample_submission
    limits: LimitsSpec | None = None
    feedback: FeedbackSpec | None = None

    @field_validator("opens", "closes")
    @classmethod
    def _carries_zone(cls, value: datetime) -> datetime:
        return zoned_time(value)


@dataclass(frozen=True)
class PhaseSettings:
    """One phase with every key resolved: what the platform reads of it."""

    slug: str
    title: str
    position: int
    opens: datetime
    closes: datetime
    public: tuple[str, ...]
    sample_submission: str | None
    limits: LimitsSpec
    feedback: FeedbackSpec
    final: bool  # the last phase: the one the winners come from under final_phase_only


def resolve_phases(spec: Any) -> list[PhaseSettings]:
    """Return a ChallengeSpec's phases, resolved; one MAIN_PHASE when it lists none."""
    data = spec.data
    if not spec.phases:
        return [PhaseSettings(MAIN_PHASE, MAIN_TITLE, 0, spec.opens, spec.closes, tuple(data.public),
                              data.sample_submission, spec.limits, spec.feedback, True)]
    last = len(spec.phases) - 1
    return [
        PhaseSettings(
            p.slug, p.title, i, p.opens, p.closes,
            tuple(p.public if p.public is not None else data.public),
            p.sample_submission if p.sample_submission is not None else _inherited_sample(data, p.public),
            p.limits or spec.limits, p.feedback or spec.feedback, i == last,
        )
        for i, p in enumerate(spec.phases)
    ]


def _inherited_sample(data: Any, public: list[str] | None) -> str | None:
    """Return data.sample_submission for a phase that names no sample, if the phase offers that file."""
    if public is None or data.sample_submission in public:
        return data.sample_submission
    return None


def fill_window(raw: Any) -> Any:
    """Return raw YAML with opens and closes taken from the phases where it leaves them out."""
    phases = raw.get("phases") if isinstance(raw, dict) else None
    if not isinstance(phases, list) or not phases or not all(isinstance(p, dict) for p in phases):
        return raw
    filled = dict(raw)
    if "opens" not in filled and "opens" in phases[0]:
        filled["opens"] = phases[0]["opens"]
    if "closes" not in filled and "closes" in phases[-1]:
        filled["closes"] = phases[-1]["closes"]
    return filled


def phase_problems(raw: dict, aware_time) -> list[tuple[Path, str]]:
    """Return what is wrong across the phases: slugs, windows in order, files, feedback, the phase column."""
    phases = raw.get("phases")
    column = _at(raw, "data", "phase_column")
    if not isinstance(phases, list) or not phases:
        if column not in (_MISSING, None):
            return [(("data", "phase_column"), _("applies only with phases: [...], to say which phase scores each solution row"))]
        return []
    out: list[tuple[Path, str]] = []
    if len(phases) > 1 and _at(raw, "scoring", "where") == "agent":
        out.append((("phases",), _("several phases cannot go with scoring.where: agent yet: the agent's solution "
                                   "would need each row's phase; run one challenge per phase")))
    if len(phases) > 1 and column in (_MISSING, None):
        out.append((("data",), _("with %(count)s phases, data.phase_column must name the solution column "
                                 "that holds each row's phase slug, e.g. phase_column: Phase", count=len(phases))))
    if isinstance(column, str) and column in (_at(raw, "data", "id_column"), _at(raw, "split", "usage_column")):
        out.append((("data", "phase_column"), _("%(column)s is already the id or the Usage column; name a column of its own",
                                                column=repr(column))))
    seen: set[str] = set()
    previous = None
    for i, phase in enumerate(phases):
        if not isinstance(phase, dict):
            continue
        slug = phase.get("slug")
        if isinstance(slug, str) and slug in seen:
            out.append((("phases", i, "slug"), _("%(slug)s is the slug of an earlier phase; each phase needs its own",
                                                 slug=repr(slug))))
        seen.add(slug if isinstance(slug, str) else "")
        opens, closes = aware_time(phase.get("opens")), aware_time(phase.get("closes"))
        if opens and closes and opens >= closes:
            out.append((("phases", i, "closes"), _("must be after this phase opens (%(opens)s)", opens=opens.isoformat())))
        if opens and previous and opens < previous:
            out.append((("phases", i, "opens"), _("must be at or after the previous phase closes (%(closes)s); "
                                                  "phases run one after another", closes=previous.isoformat())))
        previous = closes or previous
        out += _phase_file_problems(raw, phase, i)
        out += _phase_feedback_problems(raw, phase, i)
    out += _window_problems(raw, phases, aware_time)
    return out


def _window_problems(raw: dict, phases: list, aware_time) -> list[tuple[Path, str]]:
    """Return a top-level opens or closes that disagrees with the phases' (a dump of a spec writes both)."""
    out: list[tuple[Path, str]] = []
    sentences = {"opens": N_("with phases, the challenge opens when its first phase opens (%(moment)s); leave opens out"),
                 "closes": N_("with phases, the challenge closes when its last phase closes (%(moment)s); leave closes out")}
    for key, phase in (("opens", phases[0]), ("closes", phases[-1])):
        given, own = aware_time(raw.get(key)), aware_time(phase.get(key)) if isinstance(phase, dict) else None
        if given and own and given != own:
            out.append(((key,), _(sentences[key], moment=own.isoformat())))
    return out


def _phase_file_problems(raw: dict, phase: dict, i: int) -> list[tuple[Path, str]]:
    """Return a phase's public files that are the solution or listed twice, and a sample that is not public."""
    out: list[tuple[Path, str]] = []
    public = phase.get("public")
    solution = _at(raw, "data", "solution")
    solution = "solution.csv" if solution is _MISSING else solution
    if isinstance(public, list):
        for j, name in enumerate(public):
            if name == solution:
                out.append((("phases", i, "public", j), _("%(name)s is the hidden solution; it cannot be public",
                                                          name=repr(name))))
            elif isinstance(name, str) and name in public[:j]:
                out.append((("phases", i, "public", j), _("%(name)s is listed twice", name=repr(name))))
    sample = phase.get("sample_submission")
    listed = public if isinstance(public, list) else _at(raw, "data", "public")
    if isinstance(sample, str) and isinstance(listed, list) and sample not in listed:
        out.append((("phases", i, "sample_submission"), _(
            "the sample submission %(name)s must be one of this phase's public files", name=repr(sample))
            if isinstance(public, list) else _("the sample submission %(name)s must be one of data.public", name=repr(sample))))
    return out


def _phase_feedback_problems(raw: dict, phase: dict, i: int) -> list[tuple[Path, str]]:
    """Return a phase's Ladder step given without the Ladder, and a Ladder beside several sites."""
    feedback = phase.get("feedback")
    mode = feedback.get("mode", "live") if isinstance(feedback, dict) else feedback
    if isinstance(feedback, dict) and feedback.get("step") is not None and mode != "ladder":
        return [(("phases", i, "feedback", "step"), _(
            "is the Ladder's step and applies only with mode: ladder (mode is %(mode)s)", mode=mode))]
    if mode == "ladder" and raw.get("sites"):
        return [(("phases", i, "feedback"), _(
            "ladder cannot go with sites yet: each site's score would give the real public score away"))]
    return []
