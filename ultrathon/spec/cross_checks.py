"""Checks across fields, run on the raw YAML so that they report even when other keys are wrong."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ultrathon.i18n import gettext as _
from ultrathon.metric_catalogue import CATALOGUE, CURVE_METRICS, CUSTOM

from .vocabulary import RANKING_SCHEMES, TASKS, Path, did_you_mean
from .access import access_problems
from .feedback import feedback_problems
from .method_card import method_card_problems
from .phases import phase_problems
from .sites import _MISSING, _at, site_names, site_problems  # one reader of raw YAML keys, one sentinel


def _aware_time(value: Any) -> datetime | None:
    try:
        parsed = TypeAdapter(datetime).validate_python(value)
    except ValidationError:
        return None
    return parsed if parsed.utcoffset() is not None else None


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        return [str(v) for v in value]
    return None


def _positive_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _check_tau(value: Any) -> str | None:
    return None if _positive_number(value) else _("tau should be a positive time, in the unit of the time column")


def _check_horizons(value: Any) -> str | None:
    if isinstance(value, list) and value and all(_positive_number(v) for v in value):
        return None
    return _("horizons should be a list of positive times, e.g. [365, 730]")


def _check_specificity(value: Any) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 1
    return None if ok else _("specificity should be a number between 0 and 1, e.g. 0.9")


# Primary metrics whose worst value a missing row cannot be given: a calibration gap one row
# widens another narrows, and a custom metric's worst is the organisers' to say.
NO_WORST_FILL = ("ece", CUSTOM)

# Values the registry's options must take; an option the registry adds later passes unchecked.
def _check_horizon(value: Any) -> str | None:
    return None if _positive_number(value) else _("horizon should be a positive time, e.g. 365")


OPTION_CHECKS = {"tau": _check_tau, "horizons": _check_horizons, "specificity": _check_specificity,
                 "horizon": _check_horizon}


def cross_problems(raw: dict, options: bool = True) -> list[tuple[Path, str]]:
    """Return the problems that involve more than one key (dates, task, metrics, columns)."""
    out: list[tuple[Path, str]] = []
    opens, closes = _aware_time(raw.get("opens")), _aware_time(raw.get("closes"))
    if opens and closes and opens >= closes:
        out.append((("closes",), _("must be after opens (%(opens)s)", opens=opens.isoformat())))

    task = raw.get("task") if raw.get("task") in TASKS else None
    target = _at(raw, "data", "target")
    classes = _strings(_at(raw, "data", "classes"))
    if task and target is not _MISSING:
        if task == "survival" and not isinstance(target, dict):
            out.append((("data", "target"), _("a survival task takes target: {time: COLUMN, event: COLUMN}")))
        elif task != "survival" and isinstance(target, dict):
            out.append((("data", "target"), _("a %(task)s task takes target: COLUMN; {time, event} is for survival",
                                              task=task)))
    if task == "multiclass" and (classes is None or len(classes) < 2):
        out.append((("data", "classes") if classes is not None else ("data",),
                    _("a multiclass task needs data.classes: at least two class names")))
    if task and task != "multiclass" and _at(raw, "data", "classes") not in (_MISSING, None):
        out.append((("data", "classes"), _("classes apply to a multiclass task only")))
    if classes and len(set(classes)) != len(classes):
        out.append((("data", "classes"), _("a class is listed twice")))

    out += _column_problems(raw, task, target, classes)
    out += _file_name_problems(raw)
    out += _metric_problems(raw, task, options)
    out += _curve_problems(raw, task)
    out += _ranking_problems(raw)
    out += _scoring_place_problems(raw)
    out += site_problems(raw)
    out += feedback_problems(raw)
    if _at(raw, "submission", "delimiter") == "," and _at(raw, "submission", "decimal") == ",":
        out.append((("submission", "decimal"), _("',' cannot be the decimal mark of a file whose columns are separated "
                                                 "by ','; use delimiter ';' with decimal ','")))
    out += method_card_problems(raw)
    out += access_problems(raw)
    out += phase_problems(raw, _aware_time)
    primary = _at(raw, "metrics", "primary")
    if _at(raw, "submission", "missing") == "worst" and primary in NO_WORST_FILL:
        out.append((("submission", "missing"), _("'worst' has no worst prediction for the primary metric %(metric)s; "
                                                 "use refuse or prevalence", metric=repr(primary))))
    if _at(raw, "leaderboard", "ci_method") == "bca" and _at(raw, "metrics", "primary") == CUSTOM:
        # BCa's acceleration comes from a jackknife: one evaluation per scored row.
        out.append((("leaderboard", "ci_method"), _("bca needs a built-in primary metric: its jackknife would run "
                                                    "the custom metric once per scored row; use percentile")))
    return out


def _scoring_place_problems(raw: dict) -> list[tuple[Path, str]]:
    """Return what is wrong with where the challenge is scored (scoring.where and its keys)."""
    where = _at(raw, "scoring", "where")
    pinned = _at(raw, "scoring", "solution_sha256") not in (_MISSING, None)
    if where == "agent":
        if not pinned and not site_names(raw):  # several sites pin theirs under scoring.sites
            return [(("scoring", "solution_sha256"), _(
                "where: agent needs the solution's SHA-256 pinned here (sha256sum solution.csv), so an agent holding "
                "another solution is refused"))]
        if _at(raw, "data", "sample_submission") is None:
            return [(("data", "sample_submission"), _(
                "where: agent needs a sample submission: its ids are the ones the platform accepts"))]
        return []
    if where in (_MISSING, None, "platform"):
        out = []
        for key in ("solution_sha256", "split_sizes"):
            if _at(raw, "scoring", key) not in (_MISSING, None):
                out.append((("scoring", key), _("applies only with scoring.where: agent; the platform reads its own solution")))
        return out
    return []


def _column_problems(raw: dict, task: str | None, target: Any, classes: list[str] | None) -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    id_column = _at(raw, "data", "id_column")
    id_column = id_column if isinstance(id_column, str) else None
    targets = [v for v in (target.values() if isinstance(target, dict) else [target]) if isinstance(v, str)]
    if id_column and id_column in targets:
        out.append((("data", "id_column"), _("the id column cannot also be a target column")))
    columns = _strings(_at(raw, "submission", "columns"))
    if columns:
        if len(set(columns)) != len(columns):
            out.append((("submission", "columns"), _("a column is listed twice")))
        if id_column in columns:
            out.append((("submission", "columns"), _("lists the id column %(column)s; name the prediction columns only",
                                                     column=repr(id_column))))
        if task == "multiclass" and classes and sorted(set(columns)) != sorted(set(classes)):
            out.append((("submission", "columns"), _(
                "a multiclass task takes one probability column per class, named as data.classes: %(classes)s",
                classes=", ".join(classes))))
        curves = _at(raw, "submission", "kind") == "survival_curve"
        if task in ("binary", "regression", "survival") and len(columns) != 1 and not curves:
            # The example is a column name the organiser may write as it stands: not translated.
            example = {"binary": "probability", "regression": "prediction", "survival": "risk"}[task]
            out.append((("submission", "columns"), _("a %(task)s task takes one prediction column, e.g. [%(example)s]",
                                                     task=task, example=example)))
    usage = _at(raw, "split", "usage_column")
    if isinstance(usage, str) and (usage == id_column or usage in targets):
        out.append((("split", "usage_column"), _("must be a column of its own, not the id or a target column")))
    subgroups = _at(raw, "subgroups")
    if isinstance(subgroups, list):
        seen: set[str] = set()
        for i, name in enumerate(subgroups):
            if not isinstance(name, str):
                continue
            if name in seen:
                out.append((("subgroups", i), _("%(name)s is listed twice", name=repr(name))))
            elif name == id_column or name in targets:
                out.append((("subgroups", i), _("%(name)s is the id or a target column; subgroups are other solution columns",
                                                name=repr(name))))
            seen.add(name)
    return out


def _file_name_problems(raw: dict) -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    public = _at(raw, "data", "public")
    public = public if isinstance(public, list) else []
    seen: set[Any] = set()
    for i, name in enumerate(public):
        if isinstance(name, str) and name in seen:
            out.append((("data", "public", i), _("%(name)s is listed twice", name=repr(name))))
        seen.add(name if isinstance(name, str) else None)
    solution = _at(raw, "data", "solution")
    solution = "solution.csv" if solution is _MISSING else solution
    if isinstance(solution, str) and solution in public:
        out.append((("data", "public", public.index(solution)), _("%(name)s is the hidden solution; it cannot be public",
                                                                  name=repr(solution))))
    sample = _at(raw, "data", "sample_submission")
    sample_path: Path = ("data", "sample_submission")
    if sample is _MISSING:
        sample, sample_path = "sample_submission.csv", ("data", "public")
    phases = raw.get("phases") if isinstance(raw.get("phases"), list) else []
    # With phases, the sample is the default of the phases that list it among their files.
    offered = public + [n for p in phases if isinstance(p, dict) and isinstance(p.get("public"), list) for n in p["public"]]
    if isinstance(sample, str) and isinstance(_at(raw, "data", "public"), list) and sample not in offered:
        out.append((sample_path, _("the sample submission %(name)s must be one of data.public or a phase's public files",
                                   name=repr(sample)) if phases
                    else _("the sample submission %(name)s must be one of data.public", name=repr(sample))))
    return out


def _metric_problems(raw: dict, task: str | None, check_options: bool) -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    metrics = raw.get("metrics")
    if not isinstance(metrics, dict):
        return out
    named: list[tuple[Path, str]] = []
    if isinstance(metrics.get("primary"), str):
        named.append((("metrics", "primary"), metrics["primary"]))
    if isinstance(metrics.get("secondary"), list):
        named += [(("metrics", "secondary", i), m) for i, m in enumerate(metrics["secondary"]) if isinstance(m, str)]
    curves = _at(raw, "submission", "kind") == "survival_curve"
    fitting = [n for n, m in CATALOGUE.items() if (task is None or task in m.tasks) and (curves or n not in CURVE_METRICS)]
    chosen: list[str] = []
    for path, name in named:
        if name in chosen:
            out.append((path, _("%(name)s is already named", name=repr(name))))
            continue
        chosen.append(name)
        if name == CUSTOM:
            continue
        if name not in CATALOGUE:
            hint = did_you_mean(name, fitting + [CUSTOM])
            out.append((path, _("unknown metric %(name)s; %(hint)s", name=repr(name), hint=hint)))
        elif task and task not in CATALOGUE[name].tasks:
            out.append((path, _("%(name)s does not fit a %(task)s task; metrics for %(task)s: %(metrics)s",
                                name=repr(name), task=task, metrics=", ".join(fitting))))
        elif path == ("metrics", "primary") and not CATALOGUE[name].ranks:
            out.append((path, _("%(name)s cannot rank a leaderboard (its ideal is a value, not an extreme); "
                                "name it in metrics.secondary", name=repr(name))))

    custom = metrics.get("custom")
    if CUSTOM in chosen and not custom:
        path = next(p for p, n in named if n == CUSTOM)
        out.append((path, _("the custom metric needs metrics.custom: FILE.py:FUNCTION, e.g. scorer.py:score")))
    if custom and CUSTOM not in chosen:
        out.append((("metrics", "custom"), _("is set, but neither metrics.primary nor metrics.secondary is 'custom'")))

    options = metrics.get("options")
    if isinstance(options, dict) and check_options:
        takes = sorted({o for n in chosen if n in CATALOGUE for o in CATALOGUE[n].options})
        for option, value in options.items():
            path = ("metrics", "options", option)
            if option in takes:
                check = OPTION_CHECKS.get(option)
                message = check(value) if check else None
                if message:
                    out.append((path, message))
            elif CUSTOM not in chosen:  # a custom scorer receives every option
                if takes:
                    out.append((path, _("unknown option %(name)s; %(hint)s", name=repr(option),
                                        hint=did_you_mean(str(option), takes))))
                else:
                    out.append((path, _("unknown option %(name)s; the chosen metrics take no options", name=repr(option))))
    return out


def _curve_problems(raw: dict, task: str | None) -> list[tuple[Path, str]]:
    """Return the problems of survival curves as predictions: kind, horizons, columns, fill and metrics."""
    kind = _at(raw, "submission", "kind")
    horizons = _at(raw, "submission", "horizons")
    named = _named_metrics(raw)
    if kind != "survival_curve":
        out = [(("submission", key), _("applies to kind: survival_curve only"))
               for key in ("horizons", "figure_horizon") if _at(raw, "submission", key) not in (_MISSING, None)]
        return out + [(path, _("%(name)s scores survival curves: it needs submission.kind: survival_curve", name=repr(name)))
                      for path, name in named if name in CURVE_METRICS]
    out = []
    if task and task != "survival":
        out.append((("submission", "kind"), _("survival_curve is for a survival task, not a %(task)s task", task=task)))
    if _at(raw, "submission", "missing") == "worst":
        # A row censored before a horizon has no known outcome there: no curve is surely its worst.
        out.append((("submission", "missing"), _("'worst' has no worst survival curve (a row censored before a horizon "
                                                 "has no known outcome there); use refuse or prevalence")))
    if horizons in (_MISSING, None):
        return out + [(("submission",), _("a survival_curve submission needs submission.horizons: the times its "
                                          "columns give survival at, e.g. [365, 730, 1095]"))]
    if not isinstance(horizons, list) or not horizons:
        return out + [(("submission", "horizons"), _("should be a list of positive times, e.g. [365, 730, 1095]"))]
    wrong = _horizon_list_problems(horizons)
    out += wrong
    columns = _strings(_at(raw, "submission", "columns"))
    if columns is not None and len(columns) != len(horizons):
        out.append((("submission", "columns"), _("a survival_curve submission takes one column per horizon, in order: "
                                                 "%(horizons)s horizons, %(columns)s columns",
                                                 horizons=len(horizons), columns=len(columns))))
    out += [(path, _("integrated_brier integrates over submission.horizons: it needs two or more"))
            for path, name in named if name == "integrated_brier" and len(horizons) < 2]
    # Other times are judged against the horizons only once those are right themselves.
    return out + ([] if wrong else _among_horizons(raw, horizons))


def _horizon_list_problems(horizons: list) -> list[tuple[Path, str]]:
    """Return the problems of submission.horizons itself: each a positive time, later than the one before."""
    out = []
    for i, value in enumerate(horizons):
        if not _positive_number(value):
            out.append((("submission", "horizons", i), _("%(value)s is not a positive time", value=repr(value))))
        elif i and _positive_number(horizons[i - 1]) and value <= horizons[i - 1]:
            out.append((("submission", "horizons", i), _("%(value)s does not come after %(previous)s; "
                                                         "horizons must be strictly increasing",
                                                         value=format(value, "g"), previous=format(horizons[i - 1], "g"))))
    return out


def _named_metrics(raw: dict) -> list[tuple[Path, str]]:
    """Return the metrics challenge.yaml names, each at its key path."""
    metrics = raw.get("metrics") if isinstance(raw.get("metrics"), dict) else {}
    named: list[tuple[Path, str]] = []
    if isinstance(metrics.get("primary"), str):
        named.append((("metrics", "primary"), metrics["primary"]))
    if isinstance(metrics.get("secondary"), list):
        named += [(("metrics", "secondary", i), m) for i, m in enumerate(metrics["secondary"]) if isinstance(m, str)]
    return named


def _among_horizons(raw: dict, horizons: list) -> list[tuple[Path, str]]:
    """Return the times (metric options, figure_horizon) that are not among the submission's horizons."""
    out: list[tuple[Path, str]] = []
    listed = ", ".join(f"{h:g}" for h in horizons)

    def elsewhere(value: float) -> str:
        return _("%(value)s is not one of submission.horizons (%(horizons)s); a curve gives survival there only",
                 value=format(value, "g"), horizons=listed)

    options = _at(raw, "metrics", "options")
    options = options if isinstance(options, dict) else {}
    times = options.get("horizons")
    for i, value in enumerate(times if isinstance(times, list) else []):
        if _positive_number(value) and value not in horizons:
            out.append((("metrics", "options", "horizons", i), elsewhere(value)))
    for path, value in ((("metrics", "options", "horizon"), options.get("horizon")),
                        (("submission", "figure_horizon"), _at(raw, "submission", "figure_horizon"))):
        if _positive_number(value) and value not in horizons:
            out.append((path, elsewhere(value)))
        elif path[0] == "submission" and isinstance(value, (int, float)) and not _positive_number(value):
            out.append((path, _("%(value)s is not a positive time", value=repr(value))))
    return out


NEEDS_RESAMPLES = ("rank_then_aggregate", "significance")


def _ranking_problems(raw: dict) -> list[tuple[Path, str]]:
    """Return the problems of the ranking section against the metrics and the bootstrap."""
    ranking = raw.get("ranking")
    metrics = raw.get("metrics")
    if not isinstance(ranking, dict) or not isinstance(metrics, dict):
        return []
    scheme = ranking.get("scheme", "primary")
    if scheme not in RANKING_SCHEMES:
        return []  # the schema reports the unknown scheme itself
    primary = metrics.get("primary")
    secondary = _strings(metrics.get("secondary", [])) or []
    named = [primary, *secondary] if isinstance(primary, str) else secondary
    chosen = _strings(ranking.get("metrics"))
    out: list[tuple[Path, str]] = []
    if chosen is not None:
        for i, name in enumerate(chosen):
            if name not in named:
                out.append((("ranking", "metrics", i), _(
                    "%(name)s is not a metric of this challenge; name the primary or a secondary metric: %(metrics)s",
                    name=repr(name), metrics=", ".join(map(str, named)))))
            elif chosen.index(name) != i:
                out.append((("ranking", "metrics", i), _("%(name)s is listed twice", name=repr(name))))
            elif name in CATALOGUE and not CATALOGUE[name].ranks:
                out.append((("ranking", "metrics", i), _("%(name)s cannot rank (its ideal is a value, not an extreme)",
                                                         name=repr(name))))
    ranking_by_default = [m for m in dict.fromkeys(named) if m not in CATALOGUE or CATALOGUE[m].ranks]
    count = len(chosen) if chosen is not None else len(ranking_by_default)
    path: Path = ("ranking", "metrics") if chosen is not None else ("ranking", "scheme")
    if scheme in ("mean_rank", "rank_then_aggregate") and count < 2:
        out.append((path, _("%(scheme)s ranks by two or more metrics; name them in ranking.metrics "
                            "(the primary and secondary metrics by default)", scheme=scheme)))
    if scheme == "significance" and chosen is not None and count < 1:
        out.append((path, _("significance ranks by one or more metrics; name at least one")))
    bootstrap = _at(raw, "leaderboard", "bootstrap")
    if scheme in NEEDS_RESAMPLES and bootstrap == 0:
        out.append((("ranking", "scheme"), _("%(scheme)s needs bootstrap resamples; set leaderboard.bootstrap above 0",
                                             scheme=scheme)))
    return out
