"""Checking a custom metric: its source defines the function, and it scores the sample submission sealed."""

from __future__ import annotations

import ast

from ultrathon.i18n import gettext as _
from ultrathon.spec import ChallengeSpec, custom_reference_parts

from .problems import WHOLE_FILE, Problem
from .reading import _Checker


def _check_scorer(check: _Checker, raw: dict, flagged: set) -> str | None:
    """Check the custom scorer file parses and defines its function; return its source."""
    metrics = raw.get("metrics")
    if not isinstance(metrics, dict) or ("metrics",) in flagged or not isinstance(metrics.get("custom"), str):
        return None
    file_name, function = custom_reference_parts(metrics["custom"])
    source = check.text(file_name, ("metrics", "custom"))
    if source is None:
        return None
    try:
        tree = ast.parse(source, filename=file_name)
    except SyntaxError as error:
        check.problems.append(Problem(check.display(file_name), error.lineno or 1, WHOLE_FILE,
                                      _("is not valid Python: %(reason)s", reason=error.msg)))
        return None
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if function not in defined:
        check.at_yaml(("metrics", "custom"), _("%(file)s defines no top-level function %(function)s",
                                               file=file_name, function=repr(function)))
        return None
    return source


def _dry_run_custom_metric(check: _Checker, spec: ChallengeSpec, source: str) -> None:
    """Score the sample submission with the custom metric, sealed as the workers will run it."""
    from ultrathon.scorers.errors import ScoringError, SubmissionError, scoring_failed
    from ultrathon.sealed import default_scorer, score_sealed

    for phase in spec.phase_list:  # each phase's sample, on that phase's rows
        sample = phase.sample_submission
        if not sample or sample not in check.files:
            continue
        try:
            score_sealed(spec, check.files[sample], check.files[spec.data.solution], source, bootstrap=False,
                         scorer=default_scorer(), phase=phase.slug if spec.data.phase_column else None)
        except SubmissionError as error:
            check.problems.append(Problem(check.display(sample), 1, WHOLE_FILE,
                                          _("the custom metric cannot score it: %(reason)s", reason=error)))
        except ScoringError as error:
            # Organisers read their own metric's error, not the plain message their teams would.
            detail = error.detail.strip().splitlines()
            what = detail[-1] if error.message == scoring_failed() and detail else error.message
            check.problems.append(Problem(check.display(spec.metrics.custom_file), 1, WHOLE_FILE,
                                          _("the custom metric failed on %(file)s: %(reason)s", file=sample, reason=what)))
