"""Reliability diagrams and decision curves as static/js/curves.js draws them: one submission, or the top teams."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from flask_babel import gettext as _
from flask_babel import ngettext

from ultrathon.scorers.curves import MIN_BIN_ROWS

from ..extensions import db
from ..languages.formatting import shown_number
from ..models import Score
from .board import Board
from .standings import compute_standings
from .wording import shown_percent, split_name

CURVE_TEAMS = 5  # more lines than this on one chart cannot be told apart


@dataclass(frozen=True)
class CurveSeries:
    """One line of a curve chart: a team's or submission's, or a reference strategy's."""

    label: str
    bins: list[dict] = field(default_factory=list)  # reliability: the scorer's bins
    values: list[float] = field(default_factory=list)  # decision: net benefit per threshold
    reference: bool = False  # treat-all and treat-none are drawn dashed
    strategy: str = ""  # a reference line's strategy, "all" or "none": its label is in the reader's language

    @property
    def withheld(self) -> int:
        """Return how many thresholds of a decision curve the disclosure rule withheld."""
        return sum(v is None for v in self.values)

    @property
    def legend(self) -> str:
        """Return the line's legend entry, which says so when every threshold is withheld and nothing is drawn."""
        if self.values and self.withheld == len(self.values):
            return _("%(label)s (all thresholds withheld)", label=self.label)
        return self.label

    @property
    def chart_data(self) -> dict:
        """Return the line as curves.js reads it: points (x, y, interval) of a reliability diagram, or values per threshold."""
        points = [{"x": b["mean_predicted"], "y": b["observed"], "low": b.get("low"), "high": b.get("high")}
                  for b in self.bins]
        return {"label": self.legend, "reference": self.reference, "strategy": self.strategy, "points": points,
                "values": self.values}


@dataclass(frozen=True)
class CurveChart:
    """A reliability diagram or a decision curve, with the words that describe it."""

    key: str  # names the canvas the chart is drawn on
    kind: str  # "reliability" or "decision"
    title: str
    description: str
    series: list[CurveSeries]
    thresholds: list[float] = field(default_factory=list)
    prevalence: float | None = None
    horizon: float | None = None  # survival figures: the time the event probabilities are taken at

    @property
    def min_rows(self) -> int:
        """Return the fewest rows the disclosure rule lets a figure rest on."""
        return MIN_BIN_ROWS

    @property
    def horizon_phrase(self) -> str | None:
        """Return what the probabilities are of, "event by time 365", for survival figures only."""
        return None if self.horizon is None else horizon_words(self.horizon)

    @property
    def observed_heading(self) -> str:
        """Return the reliability table's heading of the observed rates."""
        if self.horizon is None:
            return _("Observed rate")
        return _("Kaplan-Meier event rate by time %(time)s", time=time_words(self.horizon))

    @property
    def axes(self) -> dict[str, str | list[str]]:
        """Return the x and y axis titles, naming the horizon of survival figures."""
        event = self.horizon_phrase
        if self.kind == "reliability":
            # Kaplan-Meier is named in the description; on two lines the horizon fits the chart's height.
            observed = (_("Observed event rate") if event is None
                        else _("Observed event rate\nby time %(time)s", time=time_words(self.horizon)).split("\n"))
            x = _("Mean predicted probability") if event is None else _("Mean predicted probability of %(event)s", event=event)
            return {"x": x, "y": observed}
        x = _("Threshold probability") if event is None else _("Threshold probability of %(event)s", event=event)
        return {"x": x, "y": _("Net benefit")}

    @property
    def chart_data(self) -> dict:
        """Return what curves.js hands to Chart.js, as JSON-ready values."""
        data = {name: getattr(self, name) for name in ("key", "kind", "title", "thresholds", "prevalence", "axes")}
        data["series"] = [series.chart_data for series in self.series]
        if self.kind == "reliability":
            # The legend's words curves.js draws beside the lines: it writes no English of its own.
            data["words"] = {"diagonal": _("Perfect calibration"),
                             "interval": _("%(level)s interval", level=shown_percent(0.95))}
        return data


def time_words(horizon: float) -> str:
    """Return a horizon as a time people read: 365, 2.5, 3650 (no trailing .0, no exponent)."""
    return np.format_float_positional(float(horizon), trim="-")


def horizon_words(horizon: float) -> str:
    """Return what a survival figure's probabilities are of: "event by time 365"."""
    return _("event by time %(time)s", time=time_words(horizon))


def withheld_note(series: list[CurveSeries], n_thresholds: int) -> str:
    """Return the caption's words on the thresholds the disclosure rule withheld, per line ("" when none is)."""
    counts = [(s.label, s.withheld) for s in series if not s.reference and s.withheld]
    if not counts:
        return ""
    each = ", ".join(_("%(label)s all", label=label) if n == n_thresholds
                     else _("%(label)s %(count)s of %(total)s", label=label, count=n, total=n_thresholds)
                     for label, n in counts)
    return "; " + _("thresholds withheld, as fewer than %(rows)s rows lie between them and the next shown cut "
                    "(the disclosure rule), are left as gaps: %(lines)s", rows=MIN_BIN_ROWS, lines=each)


def _titles(split: str, horizon: float | None) -> tuple[str, str]:
    """Return the titles of a split's reliability diagram and decision curve, naming the horizon if any."""
    where = split_name(split)
    if horizon is None:
        return _("Calibration, %(split)s", split=where), _("Decision curve, %(split)s", split=where)
    event = horizon_words(horizon)
    return (_("Calibration of %(event)s, %(split)s", event=event, split=where),
            _("Decision curve of %(event)s, %(split)s", event=event, split=where))


def _reliability_description(first: dict, n_bins: int, note: str) -> str:
    """Return what a reliability diagram shows: the observed rate and its interval against the predicted one."""
    horizon = first.get("horizon")
    if horizon is None:
        observed = _("Observed event rate (Wilson %(level)s interval, drawn as bars)", level=shown_percent(0.95))
    else:
        observed = _("Kaplan-Meier event rate by time %(time)s (log-log Greenwood %(level)s interval, drawn as bars)",
                     time=time_words(horizon), level=shown_percent(0.95))
    return ngettext("%(observed)s against mean predicted probability in %(num)s equal-count bin, with the diagonal "
                    "of perfect calibration; %(rows)s rows",
                    "%(observed)s against mean predicted probability in %(num)s equal-count bins, with the diagonal "
                    "of perfect calibration; %(rows)s rows", n_bins, observed=observed, rows=shown_number(first["n"])) + note


def _decision_description(first: dict, lines: list[CurveSeries], note: str) -> str:
    """Return what a decision curve shows: net benefit over the thresholds, the event rate, what was withheld."""
    horizon = first.get("horizon")
    rate = _("prevalence") if horizon is None else _("Kaplan-Meier event rate by time %(time)s", time=time_words(horizon))
    return _("Net benefit over threshold probabilities %(low)s to %(high)s, against treating everyone and treating "
             "no one; %(rate)s %(share)s", low=shown_number(first["thresholds"][0]),
             high=shown_number(first["thresholds"][-1]), rate=rate, share=shown_percent(first["prevalence"], 1)) + \
        withheld_note(lines, len(first["thresholds"])) + note


def _pair(key: str, split: str, named: list[tuple[str, dict]], note: str = "") -> list[CurveChart]:
    """Return the reliability diagram and decision curve of curves, one line per (label, curves)."""
    first = named[0][1]
    horizon = first.get("horizon")
    n_bins = max(len(c["bins"]) for _label, c in named)
    reliability_title, decision_title = _titles(split, horizon)
    reliability = CurveChart(
        f"{key}-reliability", "reliability", reliability_title, _reliability_description(first, n_bins, note),
        [CurveSeries(label, bins=c["bins"]) for label, c in named], horizon=horizon)
    treat_none = [0.0] * len(first["thresholds"])
    lines = [CurveSeries(label, values=c["net_benefit"]) for label, c in named]
    decision = CurveChart(
        f"{key}-decision", "decision", decision_title, _decision_description(first, lines, note),
        lines + [CurveSeries(_("Treat all"), values=first["treat_all"], reference=True, strategy="all"),
                 CurveSeries(_("Treat none"), values=treat_none, reference=True, strategy="none")],
        thresholds=first["thresholds"], prevalence=first["prevalence"], horizon=horizon)
    return [reliability, decision]


def same_horizon(named: list[tuple[str, dict]]) -> tuple[list[tuple[str, dict]], list[str]]:
    """Return the lines at the horizon most of them share (the best-ranked one's on a tie), and the labels left out."""
    # One chart cannot set risks by two different times against each other, nor against one treat-all line.
    counts = Counter(c.get("horizon") for _label, c in named)
    common = max(counts, key=counts.__getitem__)  # max keeps the first of equals: counts are in rank order
    return ([(label, c) for label, c in named if c.get("horizon") == common],
            [label for label, c in named if c.get("horizon") != common])


def submission_charts(submission_id: int, label: str) -> dict[str, list[CurveChart]]:
    """Return each split's two charts of one submission, for the splits that have curves."""
    rows = db.session.execute(
        db.select(Score.split, Score.curves).where(Score.submission_id == submission_id)
    ).all()
    return {split: _pair(f"curves-{split}", split, [(label, curves)]) for split, curves in rows if curves}


def top_team_charts(board: Board, split: str = "private") -> list[CurveChart]:
    """Return the two charts of a split for the top teams' ranked submissions (none without curves)."""
    top = [row for row in compute_standings(board, split) if not row.baseline][:CURVE_TEAMS]
    if not top:
        return []
    stored = dict(db.session.execute(
        db.select(Score.submission_id, Score.curves)
        .where(Score.split == split, Score.submission_id.in_([row.submission_id for row in top]))
    ).all())
    named = [(f"{rank}. {row.team}", stored[row.submission_id]) for rank, row in enumerate(top, 1)
             if stored.get(row.submission_id)]
    if not named:
        return []
    named, left_out = same_horizon(named)
    note = "; " + _("left out, as scored at another horizon: %(labels)s", labels=", ".join(left_out)) if left_out else ""
    return _pair(f"lb-curves-{split}", split, named, note)
