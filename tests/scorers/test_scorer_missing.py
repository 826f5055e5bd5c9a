"""submission.missing: refuse (the default), fill with the worst prediction, or with an uninformative one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ultrathon.scorers import SubmissionError, read_solution, read_submission, score
from ultrathon.scorers.report import report_from_wire, report_to_wire
from ultrathon.spec import schema_problems


def _read(solution, predictions, spec, to_csv):
    solution = read_solution(to_csv(solution), spec)
    return solution, read_submission(to_csv(predictions), spec, solution_ids=solution[spec.data.id_column])


def _score(solution, predictions, spec, metrics):
    report = score(predictions, solution, spec, bootstrap=False)
    return {name: report.splits["private"].metrics[name] for name in metrics}


def _task_data(task, n=120, seed=0):
    """Return (solution, predictions) of a task: decent predictions, ids 1..n, a Usage column."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1)
    usage = np.where(np.arange(n) % 10 < 3, "Public", "Private")
    if task == "binary":
        y = (rng.random(n) < 0.35).astype(int)
        return (pd.DataFrame({"patient_id": ids, "outcome": y, "Usage": usage}),
                pd.DataFrame({"patient_id": ids, "prob": np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1)}))
    if task == "multiclass":
        y = rng.integers(0, 3, n)
        logits = rng.normal(size=(n, 3))
        logits[np.arange(n), y] += 1.5
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return (pd.DataFrame({"patient_id": ids, "grade": np.array(["I", "II", "III"])[y], "Usage": usage}),
                pd.DataFrame({"patient_id": ids, "I": p[:, 0], "II": p[:, 1], "III": p[:, 2]}))
    if task == "regression":
        y = rng.normal(size=n)
        return (pd.DataFrame({"patient_id": ids, "level": y, "Usage": usage}),
                pd.DataFrame({"patient_id": ids, "prediction": y + rng.normal(size=n)}))
    hazard = rng.normal(size=n)
    time = np.ceil(rng.exponential(100 * np.exp(-hazard))).astype(int) + 1
    return (pd.DataFrame({"patient_id": ids, "futime": time, "death": (rng.random(n) < 0.6).astype(int), "Usage": usage}),
            pd.DataFrame({"patient_id": ids, "risk": hazard + rng.normal(size=n)}))


# The metrics for which docs/challenge-format.md says no other fill scores lower.
GUARANTEED = {
    "binary": ["roc_auc", "average_precision", "log_loss", "brier", "balanced_accuracy", "mcc", "f1", "sensitivity_at_specificity"],
    "multiclass": ["log_loss", "accuracy", "balanced_accuracy"],
    "regression": ["rmse", "mae", "r2"],
    "survival": ["harrell_c"],
}
HIGHER_IS_BETTER = {"log_loss": False, "brier": False, "rmse": False, "mae": False}


def _random_fill(task, rng, n, solution):
    if task == "binary":
        return {"prob": rng.choice([rng.random(n), rng.integers(0, 2, n).astype(float)])}
    if task == "multiclass":
        p = rng.dirichlet(np.ones(3) * rng.choice([0.2, 1.0, 5.0]), n)
        return {"I": p[:, 0], "II": p[:, 1], "III": p[:, 2]}
    if task == "regression":
        return {"prediction": rng.uniform(solution["level"].min(), solution["level"].max(), n)}
    return {"risk": rng.normal(size=n) * rng.choice([0.1, 1.0, 5.0])}


def test_refuse_is_the_default_and_names_the_missing_ids(make_spec, binary_data, to_csv):
    spec = make_spec("binary")
    assert spec.submission.missing == "refuse"
    solution, predictions = binary_data(50)
    predictions.loc[3, "prob"] = np.nan
    with pytest.raises(SubmissionError) as error:
        _read(solution, predictions.drop(index=[7, 8]), spec, to_csv)
    assert [str(p) for p in error.value.problems] == [
        "line 5, column 'prob': empty value",
        "column 'patient_id': 2 of the challenge's ids have no row: 'P00007', 'P00008'",
    ]


@pytest.mark.parametrize("policy", ["worst", "prevalence"])
def test_absent_ids_and_empty_cells_become_missing_predictions_in_solution_order(policy, make_spec, binary_data, to_csv):
    spec = make_spec("binary", submission={"missing": policy})
    solution, predictions = binary_data(30)
    predictions = predictions.drop(index=[4, 9]).iloc[::-1]
    text = to_csv(predictions).replace(b"P00002," + str(predictions.loc[2, "prob"]).encode(), b"P00002,NA")
    read = read_submission(text, spec, solution_ids=read_solution(to_csv(solution), spec)["patient_id"])
    assert list(read["patient_id"]) == list(solution["patient_id"])
    assert list(np.flatnonzero(read["prob"].isna())) == [2, 4, 9]


@pytest.mark.parametrize("cell, message", [("abc", "not a number: 'abc'"), ("inf", "infinite value 'inf'")])
def test_a_cell_that_is_not_a_number_is_still_an_error(cell, message, make_spec, binary_data, to_csv):
    spec = make_spec("binary", submission={"missing": "worst"})
    solution, predictions = binary_data(20)
    predictions["prob"] = predictions["prob"].astype(object)
    predictions.loc[5, "prob"] = cell
    with pytest.raises(SubmissionError) as error:
        _read(solution, predictions, spec, to_csv)
    assert [str(p) for p in error.value.problems] == [f"line 7, column 'prob': {message}"]


def test_a_multiclass_row_is_missing_whole_or_not_at_all(make_spec, to_csv):
    spec = make_spec("multiclass", submission={"missing": "worst"})
    solution, predictions = _task_data("multiclass", 20)
    predictions.loc[3, ["I", "II", "III"]] = np.nan
    predictions.loc[6, "II"] = np.nan
    with pytest.raises(SubmissionError) as error:
        _read(solution, predictions, spec, to_csv)
    assert [str(p) for p in error.value.problems] == [
        "line 8, column 'II': empty value; leave every class probability of a row empty, or none"]


def test_a_file_without_any_prediction_is_refused(make_spec, binary_data, to_csv):
    spec = make_spec("binary", submission={"missing": "prevalence"})
    solution, predictions = binary_data(20)
    predictions["prob"] = np.nan
    with pytest.raises(SubmissionError, match="every prediction is empty"):
        _read(solution, predictions, spec, to_csv)


@pytest.mark.parametrize("task", sorted(GUARANTEED))
def test_the_worst_fill_scores_no_better_than_any_other_fill(task, make_spec, to_csv):
    metrics = GUARANTEED[task]
    spec = make_spec(task, submission={"missing": "worst"}, metrics={"primary": metrics[0], "secondary": metrics[1:]})
    rng = np.random.default_rng(7)
    for seed in range(3):
        solution, predictions = _task_data(task, seed=seed)
        missing = rng.random(len(solution)) < 0.25
        solution_read, partial = _read(solution, predictions[~missing], spec, to_csv)
        worst = _score(solution_read, partial, spec, metrics)
        for _ in range(8):
            other = predictions.copy()
            for column, values in _random_fill(task, rng, int(missing.sum()), solution).items():
                other.loc[missing, column] = values
            filled = _score(solution_read, read_submission(to_csv(other), spec, solution_ids=solution_read["patient_id"]), spec, metrics)
            for name in metrics:
                sign = 1 if HIGHER_IS_BETTER.get(name, True) else -1
                assert sign * worst[name] <= sign * filled[name] + 1e-12, (name, worst[name], filled[name])
        perfect = _score(solution_read, read_submission(to_csv(predictions), spec, solution_ids=solution_read["patient_id"]), spec, metrics)
        assert all((1 if HIGHER_IS_BETTER.get(m, True) else -1) * (worst[m] - perfect[m]) < 0 for m in metrics)


def test_the_worst_binary_fill_is_the_wrong_class_and_log_loss_clips_it(make_spec, binary_data, to_csv):
    spec = make_spec("binary", submission={"missing": "worst"}, metrics={"primary": "log_loss", "secondary": ["brier"]})
    solution, predictions = binary_data(40, usage=False)
    predictions.loc[:, "prob"] = solution["outcome"].astype(float)  # perfect, apart from the missing row
    solution_read, partial = _read(solution, predictions.drop(index=[0]), spec, to_csv)
    report = score(partial, solution_read, spec, bootstrap=False)
    split = "public" if report.splits["public"].n_filled else "private"
    n = report.splits[split].n_rows
    assert report.splits[split].metrics["brier"] == pytest.approx(1 / n)
    # The row's true class gets probability 0, clipped to 1e-15 (as 1 - (1 - 1e-15) in floats when it is class 0).
    true_class_probability = 1e-15 if solution.loc[0, "outcome"] == 1 else 1 - (1 - 1e-15)
    assert report.splits[split].metrics["log_loss"] == pytest.approx(-np.log(true_class_probability) / n, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("task, expected", [
    ("binary", lambda p: {"prob": p["prob"].mean()}),
    ("multiclass", lambda p: {c: p[c].mean() for c in ["I", "II", "III"]}),
    ("regression", lambda p: {"prediction": p["prediction"].median()}),
    ("survival", lambda p: {"risk": p["risk"].median()}),
])
def test_the_prevalence_fill_is_the_teams_own_average_prediction(task, expected, make_spec, to_csv):
    spec = make_spec(task, submission={"missing": "prevalence"})
    solution, predictions = _task_data(task)
    missing = np.arange(len(solution)) % 4 == 1
    solution_read, partial = _read(solution, predictions[~missing], spec, to_csv)
    explicit = predictions.copy()
    for column, value in expected(predictions[~missing]).items():
        explicit.loc[missing, column] = value
    filled = score(partial, solution_read, spec, bootstrap=False)
    by_hand = score(explicit, solution_read, make_spec(task), bootstrap=False)
    for split in ("public", "private"):
        assert filled.splits[split].metrics == pytest.approx(by_hand.splits[split].metrics, abs=1e-12)


def test_the_report_counts_the_filled_predictions_per_split(make_spec, binary_data, to_csv):
    spec = make_spec("binary", submission={"missing": "worst"})
    solution, predictions = binary_data(100)  # rows 0-2 of every ten are public
    predictions.loc[[5, 15], "prob"] = np.nan  # private
    solution_read, partial = _read(solution, predictions.drop(index=[0, 1, 2, 3]), spec, to_csv)
    report = score(partial, solution_read, spec)
    assert (report.splits["public"].n_filled, report.splits["private"].n_filled) == (3, 3)
    assert report.to_dict()["splits"]["public"]["n_filled"] == 3
    back = report_from_wire(report_to_wire(report), spec.metrics.all, spec.leaderboard.bootstrap)
    assert back.splits["private"].n_filled == 3 and back.fingerprint() == report.fingerprint()
    complete = score(*reversed(_read(solution, predictions.fillna(0.5), spec, to_csv)), spec, bootstrap=False)
    assert complete.splits["public"].n_filled == complete.splits["private"].n_filled == 0


def test_a_custom_metric_sees_the_filled_predictions(make_spec, binary_data, to_csv):
    seen = []
    spec = make_spec("binary", submission={"missing": "prevalence"}, metrics={"primary": "custom", "custom": "scorer.py"})
    solution, predictions = binary_data(30, usage=False)
    solution_read, partial = _read(solution, predictions.drop(index=[2]), spec, to_csv)
    score(partial, solution_read, spec, bootstrap=False, custom_metric=lambda s, p, id_column: seen.append(p) or 0.5)
    frames = pd.concat(seen)
    row = frames.set_index("patient_id").loc["P00002", "prob"]
    assert list(frames.columns) == ["patient_id", "prob"] and row == pytest.approx(predictions.drop(index=[2])["prob"].mean())


def _raw(**submission):
    return {
        "slug": "demo-binary", "title": "Demo", "task": "binary",
        "opens": "2027-01-04T09:00:00+01:00", "closes": "2027-02-15T12:00:00+01:00",
        "data": {"id_column": "patient_id", "target": "outcome", "public": ["sample_submission.csv"]},
        "submission": {"columns": ["prob"], **submission}, "metrics": {"primary": "roc_auc"},
    }


@pytest.mark.parametrize("value, message", [
    ("wrost", "unknown value 'wrost'; did you mean 'worst'?"),
    (True, "unknown value True; one of refuse, worst, prevalence"),
])
def test_a_bad_value_is_reported_at_submission_missing(value, message):
    problems = schema_problems(_raw(missing=value))
    assert [(p.key, p.message) for p in problems] == [("submission.missing", message)]


@pytest.mark.parametrize("primary", ["ece", "custom"])
def test_worst_is_refused_where_the_primary_metric_has_no_worst(primary):
    raw = _raw(missing="worst")
    raw["metrics"] = {"primary": primary, **({"custom": "scorer.py"} if primary == "custom" else {})}
    problems = schema_problems(raw)
    assert [p.key for p in problems] == ["submission.missing"] and f"primary metric {primary!r}" in problems[0].message
    raw["submission"]["missing"] = "prevalence"
    assert schema_problems(raw) == []
