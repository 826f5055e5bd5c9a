"""The submission section of a survival-curve challenge: each mistake gets its own message at its own key."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml

from ultrathon.challenge_folder import ChallengeInvalid, validate_folder
from ultrathon.spec import parse_spec, schema_problems

FOLDER = Path(__file__).resolve().parent / "challenges" / "survival_curve"


def curve_raw() -> dict:
    return yaml.safe_load((FOLDER / "challenge.yaml").read_text())


def problems(change) -> list[tuple[str, str]]:
    raw = copy.deepcopy(curve_raw())
    change(raw)
    return [(p.key, p.message) for p in schema_problems(raw)]


def test_the_test_challenge_is_valid_and_its_figure_horizon_is_the_middle_one():
    spec = parse_spec(curve_raw())
    assert spec.submission.curves and spec.submission.horizons == [200, 400, 600]
    assert spec.submission.figure_horizon == 400


@pytest.mark.parametrize("horizons, middle", [([1, 2], 1), ([1, 2, 3, 4], 2), ([5], 5)])
def test_figure_horizon_defaults_to_the_earlier_middle_horizon(horizons, middle):
    raw = curve_raw()
    raw["submission"] |= {"horizons": horizons, "columns": [f"s{h}" for h in horizons]}
    raw["metrics"] = {"primary": "harrell_c"}
    assert parse_spec(raw).submission.figure_horizon == middle


def test_horizons_must_increase():
    assert problems(lambda r: r["submission"].update(horizons=[200, 600, 400])) == [
        ("submission.horizons[2]", "400 does not come after 600; horizons must be strictly increasing"),
    ]


def test_horizons_must_be_positive_and_given():
    assert problems(lambda r: r["submission"].update(horizons=[0, 400, 600])) == [
        ("submission.horizons[0]", "0 is not a positive time"),
    ]
    assert problems(lambda r: r["submission"].pop("horizons")) == [
        ("submission", "a survival_curve submission needs submission.horizons: the times its columns give survival "
                       "at, e.g. [365, 730, 1095]"),
    ]


def test_one_column_per_horizon():
    assert problems(lambda r: r["submission"].update(columns=["surv_200", "surv_400"])) == [
        ("submission.columns", "a survival_curve submission takes one column per horizon, in order: 3 horizons, 2 columns"),
    ]


def test_worst_is_refused_with_curves_saying_why():
    assert problems(lambda r: r["submission"].update(missing="worst")) == [
        ("submission.missing", "'worst' has no worst survival curve (a row censored before a horizon has no known "
                               "outcome there); use refuse or prevalence"),
    ]


def test_curves_are_for_a_survival_task():
    def binary(raw):
        raw.update(task="binary")
        raw["data"]["target"] = "death"
        raw["metrics"] = {"primary": "roc_auc"}
    assert ("submission.kind", "survival_curve is for a survival task, not a binary task") in problems(binary)


def test_integrated_brier_needs_two_horizons():
    def one(raw):
        raw["submission"] |= {"horizons": [400], "columns": ["surv_400"]}
        raw["metrics"].pop("options")
        raw["metrics"]["secondary"] = []
    assert problems(one) == [("metrics.primary", "integrated_brier integrates over submission.horizons: it needs two or more")]


def test_metric_times_and_figure_horizon_must_be_among_the_horizons():
    why = "is not one of submission.horizons (200, 400, 600); a curve gives survival there only"
    assert problems(lambda r: r["metrics"]["options"].update(horizons=[200, 500], horizon=300)) == [
        ("metrics.options.horizons[1]", f"500 {why}"), ("metrics.options.horizon", f"300 {why}"),
    ]
    assert problems(lambda r: r["submission"].update(figure_horizon=650)) == [("submission.figure_horizon", f"650 {why}")]


def test_curve_keys_and_metrics_need_kind_survival_curve():
    def standard(raw):
        raw["submission"] = {"columns": ["risk"], "horizons": [200, 400]}
        raw["metrics"] = {"primary": "harrell_c", "secondary": ["integrated_brier"]}
    assert problems(standard) == [
        ("submission.horizons", "applies to kind: survival_curve only"),
        ("metrics.secondary[0]", "'integrated_brier' scores survival curves: it needs submission.kind: survival_curve"),
    ]


def test_a_horizon_beyond_the_follow_up_is_refused_at_its_yaml_line(tmp_path):
    folder = tmp_path / "challenge"
    shutil.copytree(FOLDER, folder)
    text = (folder / "challenge.yaml").read_text().replace("horizons: [200, 400, 600]", "horizons: [200, 400, 950]")
    text = text.replace("options: {horizons: [200, 600], horizon: 400}", "options: {horizon: 400}")
    (folder / "challenge.yaml").write_text(text)
    with pytest.raises(ChallengeInvalid) as caught:
        validate_folder(folder)
    assert [p.render().removeprefix(f"{folder}/") for p in caught.value.problems] == [
        "challenge.yaml:16: submission.horizons[2]: 950 lies outside the follow-up of the Public rows (1 to 894); "
        "survival curves are scored at horizons inside it",
        "challenge.yaml:16: submission.horizons[2]: 950 lies outside the follow-up of the Private rows (2 to 892); "
        "survival curves are scored at horizons inside it",
    ]
