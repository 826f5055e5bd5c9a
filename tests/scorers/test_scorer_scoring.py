"""score(): splits, bootstrap CIs paired across teams, subgroups, custom metrics, and no leaks."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sksurv.metrics import concordance_index_censored

from ultrathon.scorers import (
    SCORER_VERSION,
    ScoreReport,
    ScoringError,
    SubmissionError,
    bootstrap_indices,
    load_custom_metric,
    read_solution,
    read_submission,
    score,
    stream_id,
)
from ultrathon.scorers.errors import SCORING_FAILED


def scored(solution, predictions, spec, to_csv, **kwargs) -> ScoreReport:
    """Score through the real readers, as the worker does."""
    solution = read_solution(to_csv(solution), spec)
    predictions = read_submission(to_csv(predictions), spec, solution_ids=solution[spec.data.id_column])
    return score(predictions, solution, spec, **kwargs)


def scored_all_private(solution, predictions, spec, to_csv, **kwargs) -> ScoreReport:
    """Score with every row Private: read_solution refuses a Usage column with no Public row, score() does not."""
    read = read_solution(to_csv(solution.assign(Usage=["Public"] + ["Private"] * (len(solution) - 1))), spec)
    read["Usage"] = "Private"
    predictions = read_submission(to_csv(predictions), spec, solution_ids=read[spec.data.id_column])
    return score(predictions, read, spec, **kwargs)


def test_a_report_has_every_metric_per_split_with_counts_and_ci(make_spec, binary_data, to_csv):
    spec = make_spec("binary", metrics={"secondary": ["brier", "log_loss"]})
    solution, predictions = binary_data(400)
    report = scored(solution, predictions, spec, to_csv)
    assert set(report.splits) == {"public", "private"}
    public = report.splits["public"]
    rows = solution["Usage"] == "Public"
    assert public.n_rows == rows.sum() == 120
    assert public.n_positive == solution["outcome"][rows].sum()
    assert list(public.metrics) == ["roc_auc", "brier", "log_loss"]
    assert public.metrics["roc_auc"] == pytest.approx(roc_auc_score(solution["outcome"][rows], predictions["prob"][rows]), abs=1e-12)
    assert public.replicates.dtype == np.float64 and public.replicates.size == 200
    assert public.ci_low == pytest.approx(np.percentile(public.replicates, 2.5))
    assert public.ci_high == pytest.approx(np.percentile(public.replicates, 97.5))
    assert public.ci_low < public.metrics["roc_auc"] < public.ci_high
    assert report.primary == "roc_auc" and report.higher_is_better is True
    assert report.version == SCORER_VERSION
    json.dumps(report.to_dict(), allow_nan=False)


def test_the_same_inputs_give_a_bit_identical_report(make_spec, survival_data, to_csv):
    spec = make_spec("survival", subgroups=["sex"])
    solution, predictions = survival_data(300)
    first = scored(solution, predictions, spec, to_csv)
    shuffled = predictions.sample(frac=1, random_state=3)
    second = scored(solution, shuffled, spec, to_csv)
    assert json.dumps(first.to_dict()) == json.dumps(second.to_dict())
    for split in ("public", "private"):
        assert first.replicates_bytes(split) == second.replicates_bytes(split)
    assert first.fingerprint() == second.fingerprint()


def test_another_submission_changes_the_fingerprint(make_spec, binary_data, to_csv):
    spec = make_spec("binary")
    solution, predictions = binary_data(200)
    changed = predictions.assign(prob=predictions["prob"].iloc[::-1].to_numpy())
    assert scored(solution, predictions, spec, to_csv).fingerprint() != scored(solution, changed, spec, to_csv).fingerprint()


def test_replicates_are_paired_across_submissions(make_spec, binary_data, to_csv):
    """Replicate b of every team is its metric on the same resampled rows, drawn from the challenge seed."""
    spec = make_spec("binary", leaderboard={"bootstrap": 30})
    solution, team_a = binary_data(300, seed=1)
    team_b = team_a.assign(prob=np.random.default_rng(9).random(len(team_a)))
    for team in (team_a, team_b):
        report = scored(solution, team, spec, to_csv)
        for split, usage in (("public", "Public"), ("private", "Private")):
            rows = np.flatnonzero(solution["Usage"] == usage)
            y, p = solution["outcome"].to_numpy()[rows], team["prob"].to_numpy()[rows]
            for b in (0, 17, 29):
                drawn = bootstrap_indices(spec.split.seed, rows.size, b, strata=y, stream=stream_id("split", split))
                assert report.splits[split].replicates[b] == pytest.approx(roc_auc_score(y[drawn], p[drawn]), abs=1e-12)


def test_replicates_round_trip_through_bytes(make_spec, binary_data, to_csv):
    report = scored(*binary_data(200), make_spec("binary", leaderboard={"bootstrap": 50}), to_csv)
    data = report.replicates_bytes("public")
    assert len(data) == 50 * 8
    assert np.array_equal(ScoreReport.replicates_from_bytes(data), report.splits["public"].replicates)


def test_without_bootstrap_there_are_no_cis(make_spec, binary_data, to_csv):
    report = scored(*binary_data(200), make_spec("binary"), to_csv, bootstrap=False)
    assert report.splits["public"].replicates is None
    assert report.splits["public"].ci_low is None and report.splits["public"].ci_high is None
    assert report.to_dict()["splits"]["public"]["n_resamples"] == 0


def test_ignored_rows_are_never_scored(make_spec, binary_data, to_csv):
    spec = make_spec("binary")
    solution, predictions = binary_data(300)
    solution["Usage"] = np.where(np.arange(300) % 3 == 0, "Ignored", solution["Usage"])
    solution.loc[solution["Usage"] == "Ignored", "outcome"] = np.nan  # dummy targets, as on Kaggle
    first = scored(solution, predictions, spec, to_csv)
    ignored = solution["Usage"] == "Ignored"
    other = predictions.assign(prob=np.where(ignored, 1 - predictions["prob"], predictions["prob"]))
    second = scored(solution, other, spec, to_csv)
    assert first.fingerprint() == second.fingerprint()
    assert first.splits["public"].n_rows + first.splits["private"].n_rows == (~ignored).sum()


def test_harrell_c_matches_scikit_survival_with_tied_times_and_risks(make_spec, survival_data, to_csv):
    spec = make_spec("survival")
    solution, predictions = survival_data(600)
    report = scored(solution, predictions, spec, to_csv, bootstrap=False)
    assert solution["futime"].duplicated().any() and predictions["risk"].duplicated().any()
    for split, usage in (("public", "Public"), ("private", "Private")):
        rows = solution["Usage"] == usage
        reference = concordance_index_censored(
            solution["death"][rows].astype(bool).to_numpy(), solution["futime"][rows].to_numpy(float), predictions["risk"][rows].to_numpy()
        )[0]
        assert abs(report.splits[split].metrics["harrell_c"] - reference) <= 1e-9
        assert report.splits[split].n_positive == solution["death"][rows].sum()


def test_a_higher_risk_for_earlier_deaths_scores_higher(make_spec, survival_data, to_csv):
    spec = make_spec("survival")
    solution, predictions = survival_data(300)
    good = predictions.assign(risk=-solution["futime"].to_numpy() + 0.0)
    bad = predictions.assign(risk=solution["futime"].to_numpy() + 0.0)
    assert scored(solution, good, spec, to_csv, bootstrap=False).splits["private"].metrics["harrell_c"] > 0.95
    assert scored(solution, bad, spec, to_csv, bootstrap=False).splits["private"].metrics["harrell_c"] < 0.05


def test_predictions_must_cover_every_solution_id(make_spec, binary_data):
    spec = make_spec("binary")
    solution, predictions = binary_data(50)
    with pytest.raises(SubmissionError, match="1 of the challenge's ids have no row: 'P00049'"):
        score(predictions.iloc[:-1], solution, spec)


# --- subgroups ----------------------------------------------------------------------------------


def test_subgroup_cells_with_fewer_than_20_events_are_suppressed_with_the_next_smallest(make_spec, to_csv):
    rng = np.random.default_rng(0)
    n = 400
    site = np.array(["a"] * 100 + ["b"] * 100 + ["c"] * 100 + ["small"] * 100)
    death = np.zeros(n, dtype=int)
    death[:40], death[100:150], death[200:260] = 1, 1, 1  # 40, 50 and 60 events at the big sites
    death[300:319] = 1  # 19 at the small one
    solution = pd.DataFrame({"patient_id": np.arange(n), "futime": rng.integers(1, 200, n), "death": death, "site": site, "Usage": "Private"})
    solution.loc[0, "Usage"] = "Public"
    predictions = pd.DataFrame({"patient_id": np.arange(n), "risk": rng.normal(size=n)})
    spec = make_spec("survival", subgroups=["site"])
    cells = {(c.split, c.group): c for c in scored(solution, predictions, spec, to_csv).subgroups}
    small, a = cells[("private", "small")], cells[("private", "a")]
    for cell in (small, a):  # "a" has the fewest events of the others: without it, small = overall - b - c
        assert cell.suppressed and cell.value is None and cell.ci_low is None and cell.n is None and cell.n_positive is None
    for big in (cells[("private", "b")], cells[("private", "c")]):
        assert not big.suppressed and big.value is not None and big.ci_low <= big.value <= big.ci_high
        assert big.n == 100 and big.n_positive in (50, 60)
    # one more event makes the small cell reportable, and so every cell
    solution.loc[319, "death"] = 1
    cells = {(c.split, c.group): c for c in scored(solution, predictions, spec, to_csv).subgroups}
    assert not any(cells[("private", g)].suppressed for g in ("a", "b", "c", "small"))
    assert cells[("private", "small")].n_positive == 20


def test_binary_subgroups_need_20_positives_and_a_two_group_column_is_suppressed_whole(make_spec, binary_data, to_csv):
    solution, predictions = binary_data(400, prevalence=0.3)
    solution["site"] = np.where(np.arange(400) < 40, "tiny", "large")
    cells = {(c.split, c.group): c for c in scored(solution, predictions, make_spec("binary", subgroups=["site"]), to_csv).subgroups}
    # "large" is the split less "tiny": showing it would give "tiny" away
    for group in ("tiny", "large"):
        cell = cells[("private", group)]
        assert cell.suppressed and cell.value is None and cell.n is None and cell.n_positive is None
    solution["site"] = np.where(np.arange(400) < 200, "one", "other")
    cells = {(c.split, c.group): c for c in scored(solution, predictions, make_spec("binary", subgroups=["site"]), to_csv).subgroups}
    rows = (solution["Usage"] == "Private") & (solution["site"] == "other")
    assert not cells[("private", "other")].suppressed and cells[("private", "other")].n_positive >= 20
    assert cells[("private", "other")].value == pytest.approx(roc_auc_score(solution["outcome"][rows], predictions["prob"][rows]), abs=1e-12)


def small_cells_solution(task: str):
    """Return (solution, predictions, groups): a site with 1 patient and a missing site with 5, and a ward with 1."""
    rng = np.random.default_rng(7)
    n = 600
    site = np.array(["A", "B", "C", "D"] * (n // 4), dtype=object)
    ward = np.array(["W1", "W2", "W3"] * (n // 3), dtype=object)
    site[0], site[1:6], ward[7] = "one", "", "Z"  # one patient; five with no site; another patient alone
    solution = pd.DataFrame({"patient_id": np.arange(n), "site": site, "ward": ward,
                             "Usage": np.where(np.arange(n) < 500, "Private", "Public")})
    if task == "regression":
        solution["level"] = np.round(rng.normal(80, 15, n), 1)
        predictions = pd.DataFrame({"patient_id": np.arange(n), "prediction": np.zeros(n)})
    elif task == "binary":
        solution["outcome"] = rng.integers(0, 2, n)
        predictions = pd.DataFrame({"patient_id": np.arange(n), "prob": np.round(rng.random(n), 3)})
    else:
        solution["grade"] = rng.choice(["I", "II", "III"], n)
        probabilities = rng.dirichlet(np.ones(3), n)
        predictions = pd.DataFrame({"patient_id": np.arange(n), **{g: probabilities[:, i] for i, g in enumerate(["I", "II", "III"])}})
    return solution, predictions


@pytest.mark.parametrize("task, metric", [("regression", "mae"), ("binary", "brier"), ("binary", "log_loss"), ("multiclass", "accuracy")])
def test_the_differencing_attack_recovers_no_suppressed_subgroup(task, metric, make_spec, to_csv, differencing_attack):
    """Cells of 1 and 5 patients are hidden, with enough others that the overall score cannot give them back."""
    solution, predictions = small_cells_solution(task)
    spec = make_spec(task, metrics={"primary": metric}, subgroups=["site", "ward"])
    report = scored(solution, predictions, spec, to_csv)
    stored = [cell.to_dict() for cell in report.subgroups]
    private = [c for c in stored if c["split"] == "private"]
    rows = solution["Usage"] == "Private"
    split = report.splits["private"]
    groups_of = {c: solution[c][rows].replace("", "(missing)").to_numpy() for c in ("site", "ward")}
    assert differencing_attack(private, task, split.metrics[metric], split.n_rows, split.n_positive, groups_of) == []

    for cell in stored:
        if cell["suppressed"]:
            assert cell["n"] is None and cell["n_positive"] is None and cell["value"] is None
            assert cell["ci_low"] is None and cell["ci_high"] is None
    by_group = {(c["column"], c["group"]): c for c in private}
    assert by_group[("site", "one")]["suppressed"] and by_group[("site", "(missing)")]["suppressed"]
    assert by_group[("ward", "Z")]["suppressed"]
    # complementary suppression, not the whole column: two sites and two wards are still shown
    assert sum(not c["suppressed"] for c in private if c["column"] == "site") >= 2
    assert sum(not c["suppressed"] for c in private if c["column"] == "ward") >= 2


def test_the_attack_finds_a_small_group_when_its_count_is_shown(differencing_attack):
    """The attack itself works: a suppressed cell with the others shown is recovered exactly."""
    groups_of = {"site": np.array(["one"] + ["A"] * 30 + ["B"] * 30, dtype=object)}
    losses = np.r_[82.3, np.full(30, 10.0), np.full(30, 20.0)]
    cells = [{"column": "site", "group": "A", "n": 30, "n_positive": None, "value": 10.0, "suppressed": False},
             {"column": "site", "group": "B", "n": 30, "n_positive": None, "value": 20.0, "suppressed": False},
             {"column": "site", "group": "one", "n": None, "n_positive": None, "value": None, "suppressed": True}]
    found = differencing_attack(cells, "regression", losses.mean(), 61, None, groups_of)
    assert [(f["rows"], round(f["value"], 6)) for f in found] == [(1, 82.3)]


def test_a_column_refining_another_cannot_give_a_small_group_away(make_spec, to_csv, differencing_attack):
    """age_band 40-49 (3 patients) = (age under 50) - (30-39) unless a column is suppressed whole."""
    rng = np.random.default_rng(3)
    band = np.array(["30-39"] * 50 + ["40-49"] * 3 + ["50-59"] * 40 + ["60+"] * 45, dtype=object)
    n = band.size
    solution = pd.DataFrame({"patient_id": np.arange(n), "level": np.round(rng.normal(80, 15, n), 1), "age_band": band,
                             "under_50": np.where(np.isin(band, ["30-39", "40-49"]), "yes", "no"),
                             "sex": np.array(["F", "M"] * n)[:n], "Usage": "Private"})
    predictions = pd.DataFrame({"patient_id": np.arange(n), "prediction": np.zeros(n)})
    spec = make_spec("regression", metrics={"primary": "mae"}, subgroups=["age_band", "under_50", "sex"])
    report = scored_all_private(solution, predictions, spec, to_csv)
    cells = [cell.to_dict() for cell in report.subgroups if cell.split == "private"]
    groups_of = {c: solution[c].to_numpy() for c in ("age_band", "under_50", "sex")}
    split = report.splits["private"]
    assert differencing_attack(cells, "regression", split.metrics["mae"], split.n_rows, None, groups_of) == []
    shown = {(c["column"], c["group"]) for c in cells if not c["suppressed"]}
    assert ("age_band", "40-49") not in shown and {("sex", "F"), ("sex", "M")} <= shown
    assert ("age_band", "30-39") in shown or ("under_50", "yes") in shown  # one column is kept


def test_two_columns_that_never_meet_somewhere_cannot_give_a_small_crossing_away(make_spec, to_csv, differencing_attack):
    """With no men at site 2, the 3 women at site 1 are (site 1) - (men), though every group has 40 or more."""
    rng = np.random.default_rng(5)
    sex = np.array(["F"] * 3 + ["F"] * 40 + ["M"] * 40, dtype=object)
    site = np.array(["1"] * 3 + ["2"] * 40 + ["1"] * 40, dtype=object)
    n = sex.size
    solution = pd.DataFrame({"patient_id": np.arange(n), "level": np.round(rng.normal(80, 15, n), 1), "sex": sex,
                             "site": site, "Usage": "Private"})
    predictions = pd.DataFrame({"patient_id": np.arange(n), "prediction": np.zeros(n)})
    report = scored_all_private(solution, predictions, make_spec("regression", metrics={"primary": "mae"}, subgroups=["sex", "site"]), to_csv)
    cells = [cell.to_dict() for cell in report.subgroups if cell.split == "private"]
    split = report.splits["private"]
    assert differencing_attack(cells, "regression", split.metrics["mae"], split.n_rows, None, {"sex": sex, "site": site}) == []
    assert [(c["column"], c["suppressed"]) for c in cells] == [("sex", False), ("sex", False), ("site", True), ("site", True)]


def test_subgroup_groups_are_ordered_and_missing_values_grouped(make_spec, binary_data, to_csv):
    solution, predictions = binary_data(400, prevalence=0.5)
    solution["age_band"] = np.array(["80+", "10", "9", ""] * 100)
    report = scored(solution, predictions, make_spec("binary", subgroups=["age_band"]), to_csv)
    assert [c.group for c in report.subgroups if c.split == "public"] == ["9", "10", "80+", "(missing)"]


# --- custom metrics -----------------------------------------------------------------------------

CUSTOM_SOURCE = '''
import pandas as pd
import pandas.api.types


class ParticipantVisibleError(Exception):
    pass


def score(solution: pd.DataFrame, submission: pd.DataFrame, row_id_column_name: str) -> float:
    merged = solution.merge(submission, on=row_id_column_name)
    if len(merged) != len(solution):
        raise ParticipantVisibleError("ids do not line up")
    if (merged["prob"] > 0.99).any():
        raise ParticipantVisibleError("probabilities above 0.99 are not allowed in this challenge")
    if (merged["prob"] < 0.001).any():
        raise KeyError("secret-column")
    return float(((merged["prob"] > 0.5) == (merged["outcome"] == 1)).mean())
'''


@pytest.fixture
def custom_spec(make_spec):
    return make_spec("binary", metrics={"primary": "custom", "custom": "scorer.py:score", "secondary": ["roc_auc"]})


def test_a_custom_metric_scores_and_bootstraps(custom_spec, binary_data, to_csv):
    solution, predictions = binary_data(300)
    predictions["prob"] = predictions["prob"].clip(0.01, 0.98)
    report = scored(solution, predictions, custom_spec, to_csv, custom_metric=load_custom_metric(CUSTOM_SOURCE, "score"))
    rows = solution["Usage"] == "Private"
    expected = ((predictions["prob"][rows] > 0.5) == (solution["outcome"][rows] == 1)).mean()
    private = report.splits["private"]
    assert private.metrics["custom"] == pytest.approx(expected, abs=1e-15)
    assert "roc_auc" in private.metrics
    assert private.replicates.size == 200 and private.ci_low <= expected <= private.ci_high
    assert report.primary == "custom" and report.higher_is_better is True


def test_a_participant_visible_error_reaches_the_team(custom_spec, binary_data, to_csv):
    solution, predictions = binary_data(100)
    predictions["prob"] = predictions["prob"].clip(0.01, 1.0)
    predictions.loc[3, "prob"] = 0.995
    with pytest.raises(ScoringError) as caught:
        scored(solution, predictions, custom_spec, to_csv, custom_metric=load_custom_metric(CUSTOM_SOURCE, "score"))
    assert caught.value.message == "probabilities above 0.99 are not allowed in this challenge"
    assert "Traceback" in caught.value.detail


def test_any_other_custom_failure_is_hidden_from_the_team(custom_spec, binary_data, to_csv):
    solution, predictions = binary_data(100)
    predictions["prob"] = predictions["prob"].clip(0.01, 0.98)
    predictions.loc[3, "prob"] = 0.0001
    with pytest.raises(ScoringError) as caught:
        scored(solution, predictions, custom_spec, to_csv, custom_metric=load_custom_metric(CUSTOM_SOURCE, "score"))
    assert str(caught.value) == caught.value.message == SCORING_FAILED == "scoring failed; the organisers have been told"
    assert "KeyError: 'secret-column'" in caught.value.detail


def test_a_custom_metric_returning_nan_fails_safely(custom_spec, binary_data):
    solution, predictions = binary_data(50)
    metric = load_custom_metric("def score(solution, submission, row_id_column_name):\n    return float('nan')\n", "score")
    with pytest.raises(ScoringError, match="^scoring failed; the organisers have been told$") as caught:
        score(predictions, solution, custom_spec, custom_metric=metric)
    assert "nan" in caught.value.detail


def test_load_custom_metric_names_a_missing_function():
    with pytest.raises(ValueError, match="scorer.py defines no function 'score'"):
        load_custom_metric("def other(a, b, c):\n    return 1.0\n", "score")


def test_our_participant_visible_error_is_available_to_scorers(custom_spec, binary_data):
    solution, predictions = binary_data(50)
    source = "def score(solution, submission, row_id_column_name):\n    raise ParticipantVisibleError('bad file')\n"
    with pytest.raises(ScoringError, match="^bad file$"):
        score(predictions, solution, custom_spec, custom_metric=load_custom_metric(source, "score"))


# --- nothing from the solution's outcomes reaches a team ---------------------------------------------

SECRET_TIMES = [9137.25, 8211.75, 7323.5, 6455.125, 5571.375, 4688.0625]


def _texts(error: BaseException) -> list[str]:
    texts = [str(error)]
    texts += [str(p) for p in getattr(error, "problems", [])]
    if isinstance(error, ScoringError):
        texts.append(error.message)
    return texts


def test_no_message_to_a_team_contains_an_outcome_value(make_spec, to_csv):
    spec = make_spec("survival", metrics={"secondary": ["td_auc"], "options": {"horizons": [9999.0]}})
    n = 6
    solution = pd.DataFrame({"patient_id": [f"P{i}" for i in range(n)], "futime": SECRET_TIMES, "death": [1, 0, 1, 1, 0, 1], "Usage": ["Public", "Private"] * 3})
    solution_bytes = to_csv(solution)
    sol = read_solution(solution_bytes, spec)
    secrets = set()
    for t in SECRET_TIMES:
        secrets |= {repr(t), str(t), f"{t:g}", str(int(t)), f"{t:.2f}"}
    bad_files = [
        b"",
        b"patient_id;risk\nP0;1\n",
        b"patient_id,Risk\nP0,1\n",
        b"patient_id,risk\nP0,1\nP0,2\nQ7,3\n",
        b"patient_id,risk\n" + b"".join(f"P{i},abc\n".encode() for i in range(n)),
        b"patient_id,risk\n" + b"".join(f"P{i},\n".encode() for i in range(n)),
        b"patient_id,risk\n" + b"".join(f"P{i},inf\n".encode() for i in range(n)),
        b"patient_id,risk,extra\nP0,1,2\n",
        b"patient_id,risk\nP0,1,2\n",
    ]
    seen = []
    for data in bad_files:
        with pytest.raises(SubmissionError) as caught:
            read_submission(data, spec, solution_ids=sol["patient_id"])
        seen += _texts(caught.value)
    good = read_submission(b"patient_id,risk\n" + b"".join(f"P{i},{i}\n".encode() for i in range(n)), spec, solution_ids=sol["patient_id"])
    with pytest.raises(SubmissionError) as caught:
        score(good.iloc[:-2], sol, spec)
    seen += _texts(caught.value)
    failing = load_custom_metric("def score(s, p, i):\n    raise ValueError(f'times: {list(s.futime)}')\n", "score")
    custom_spec = make_spec("survival", metrics={"primary": "custom", "custom": "scorer.py:score"})
    with pytest.raises(ScoringError) as caught:
        score(good, sol, custom_spec, custom_metric=failing)
    seen += _texts(caught.value)
    assert "9137.25" in caught.value.detail  # organisers do see it
    assert seen
    for text in seen:
        numbers = set(re.findall(r"\d+(?:\.\d+)?", text))
        assert not numbers & secrets, text


def test_a_secondary_metric_that_cannot_be_computed_is_nan(make_spec, survival_data, to_csv, monkeypatch):
    import ultrathon.scorers.metrics as metrics

    def broken(*args, **kwargs):
        raise ValueError("censoring survival function is zero at one or more time points")

    spec = make_spec("survival", metrics={"secondary": ["uno_c"]})
    monkeypatch.setitem(metrics.METRICS, "uno_c", dataclasses.replace(metrics.METRICS["uno_c"], fn=broken))
    report = scored(*survival_data(200), spec, to_csv, bootstrap=False)
    assert np.isnan(report.splits["private"].metrics["uno_c"])
    assert report.to_dict()["splits"]["private"]["metrics"]["uno_c"] is None
    assert report.splits["private"].metrics["harrell_c"] > 0.5


def test_a_primary_metric_that_fails_fails_safely(make_spec, survival_data, to_csv, monkeypatch):
    import ultrathon.scorers.metrics as metrics

    def broken(*args, **kwargs):
        raise ValueError("all times must be within follow-up time of test data: [1; 9137.25[")

    monkeypatch.setitem(metrics.METRICS, "uno_c", dataclasses.replace(metrics.METRICS["uno_c"], fn=broken))
    with pytest.raises(ScoringError) as caught:
        scored(*survival_data(200), make_spec("survival", metrics={"primary": "uno_c"}), to_csv, bootstrap=False)
    assert caught.value.message == SCORING_FAILED
    assert "9137.25" in caught.value.detail


def test_an_empty_split_scores_nan_rather_than_failing(make_spec, binary_data, to_csv):
    solution, predictions = binary_data(100)
    report = scored_all_private(solution, predictions, make_spec("binary"), to_csv)
    assert report.splits["public"].n_rows == 0 and np.isnan(report.splits["public"].metrics["roc_auc"])
    assert report.splits["public"].ci_low is None and report.splits["private"].ci_low is not None


def test_multiclass_scores_use_the_yaml_class_order(make_spec, to_csv):
    from sklearn.metrics import cohen_kappa_score, log_loss

    rng = np.random.default_rng(4)
    n = 300
    classes = ["I", "II", "III"]
    grade = rng.integers(0, 3, n)
    raw = rng.random((n, 3)) + np.eye(3)[grade]
    probs = raw / raw.sum(axis=1, keepdims=True)
    solution = pd.DataFrame({"patient_id": np.arange(n), "grade": np.array(classes)[grade], "Usage": "Private"})
    solution.loc[:49, "Usage"] = "Public"
    # Columns in another order than the YAML lists the classes.
    predictions = pd.DataFrame({"patient_id": np.arange(n), "III": probs[:, 2], "I": probs[:, 0], "II": probs[:, 1]})
    spec = make_spec("multiclass", metrics={"primary": "quadratic_kappa", "secondary": ["log_loss", "roc_auc_ovr"]})
    private = scored(solution, predictions, spec, to_csv).splits["private"]
    rows = np.arange(50, n)
    assert private.metrics["quadratic_kappa"] == pytest.approx(
        cohen_kappa_score(grade[rows], probs[rows].argmax(1), weights="quadratic", labels=[0, 1, 2]), abs=1e-12)
    assert private.metrics["log_loss"] == pytest.approx(log_loss(grade[rows], probs[rows], labels=[0, 1, 2]), abs=1e-9)
    assert private.n_positive is None and private.replicates.size == 200


def test_regression_scores_and_bootstraps(make_spec, to_csv):
    rng = np.random.default_rng(5)
    n = 200
    level = rng.normal(50, 10, n)
    solution = pd.DataFrame({"patient_id": [f"S{i}" for i in range(n)], "level": level})
    predictions = pd.DataFrame({"patient_id": solution["patient_id"], "prediction": level + rng.normal(0, 5, n)})
    spec = make_spec("regression", split={"usage_column": None, "public_fraction": 0.25}, metrics={"secondary": ["mae", "r2"]})
    report = scored(solution, predictions, spec, to_csv)
    assert report.splits["public"].n_rows == 50 and report.splits["private"].n_rows == 150
    assert report.higher_is_better is False
    private = report.splits["private"]
    assert private.ci_low < private.metrics["rmse"] < private.ci_high
    assert 3 < private.metrics["rmse"] < 7 and private.metrics["r2"] > 0.6
