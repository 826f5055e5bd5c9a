"""The metrics match their independent references to 1e-9 (bench/references.py, the quick subset)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where bench/ lives

from bench import reference_data as data  # noqa: E402
from bench.reference_cases import CASES, QUICK, Case, run, verdict  # noqa: E402
from bench.reference_intervals import BCA_CASES, bca_rows  # noqa: E402
from ultrathon.scorers import METRICS  # noqa: E402


@pytest.fixture(scope="module")
def rows():
    """Return the quick subset's rows, each scored by the platform and by its reference."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the references' warnings on one-class rows
        return {(row.metric, row.dataset): row for row in map(run, QUICK)}


def test_every_quick_case_matches_its_reference(rows):
    """No case whose reference is defined differs by more than 1e-9, or is undefined on our side."""
    mismatches = [f"{r.metric} on {r.dataset}: ours {r.ours!r}, reference {r.theirs!r}"
                  for r in rows.values() if r.status == "MISMATCH"]
    assert not mismatches, "\n".join(mismatches)


def test_the_quick_subset_covers_every_registered_metric():
    """A metric added to the registry without a reference case fails here: add it to CASES."""
    assert {case.metric for case in QUICK} == set(METRICS) == {case.metric for case in CASES}


def test_the_known_quirks_keep_their_status(rows):
    """Where a reference is undefined by its own rule the table says so, and does not count it."""
    assert rows[("uno_c", "whas500/yearly")].status == "reference-undefined"
    assert rows[("td_auc", "whas500/yearly")].status == "reference-undefined"
    assert rows[("uno_c", "whas500/yearly+tau")].status == "ok"
    assert rows[("td_auc", "whas500/yearly/curves")].status == "reference-undefined"
    for metric in ("integrated_brier", "brier_at_horizon", "td_auc"):
        assert rows[(metric, "whas500/curves+last-time")].status == "undefined-both"
    assert rows[("calibration_at_horizon", "whas500/curves+last-time")].status == "ok"
    assert rows[("roc_auc", "breast_cancer/benign-only")].status == "undefined-both"
    assert rows[("calibration_slope", "breast_cancer/overconfident")].status == "undefined-both"
    overconfident = rows[("calibration_intercept", "breast_cancer/overconfident")]
    assert overconfident.status == "ok" and "brentq" in overconfident.note


def test_a_different_value_is_a_mismatch():
    """The table is not blind: a reference that is another metric, or a gap past 1e-9, is a MISMATCH."""
    assert run(Case("roc_auc", data.breast_cancer, "average_precision")).status == "MISMATCH"
    assert verdict(0.5, 0.5 + 2e-9) == "MISMATCH"
    assert verdict(float("nan"), 0.5) == "MISMATCH"
    assert verdict(0.5, 0.5 + 5e-10) == "ok"


def test_bca_interval_matches_scipy_on_the_same_resamples():
    """Our BCa ends equal scipy.stats.bootstrap(method='BCa') handed our replicates."""
    rows = bca_rows(*BCA_CASES[0])
    assert [row.status for row in rows] == ["ok", "ok"], [(row.ours, row.theirs) for row in rows]


def test_the_intercept_reference_has_the_closed_form_where_one_group_is_pure():
    """Overconfident: no positive is predicted 1e-6, so a = logit(share of positives at 1 - 1e-6) - logit(1 - 1e-6)."""
    from scipy.special import logit

    from bench.reference_cases import calibration_intercept

    case = data.overconfident_breast_cancer()
    high = case.y_pred > 0.5
    assert case.y_true[~high].sum() == 0
    closed_form = logit(case.y_true[high].mean()) - logit(1 - data.OVERCONFIDENT)
    assert calibration_intercept(case)[0] == pytest.approx(closed_form, abs=1e-9)
