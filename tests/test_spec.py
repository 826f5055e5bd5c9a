"""The challenge schema and folder validator: every problem, with its file, line, key and message."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ultrathon.challenge_folder import (
    ChallengeInvalid,
    Problem,
    list_command,
    list_folders,
    validate_command,
    validate_folder,
)
from ultrathon.metric_catalogue import CURVE_METRICS
from ultrathon.scorers.metrics import METRICS
from ultrathon.spec import ChallengeSpec, MetricsSpec, SurvivalTarget, parse_spec, schema_problems

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).parent / "challenges"
GOOD = CORPUS / "good"
DOCS = ROOT / "docs" / "challenge-format.md"

# Each broken folder and the exact problems it must get, paths relative to the folder.
BROKEN = {
    "malformed_yaml": [
        "challenge.yaml:12: (syntax): not valid YAML: while parsing a flow sequence (line 11): expected ',' or ']', but got ':'",
    ],
    "not_a_mapping": [
        "challenge.yaml:1: (file): challenge.yaml should be a mapping of keys, but it is a list",
    ],
    "duplicate_key": [
        "challenge.yaml:6: task: given twice (first on line 5)",
    ],
    "yaml_alias": [
        "challenge.yaml:3: summary: anchors and aliases (&name, *name) are not supported; write the value out",
    ],
    "unknown_key": [
        "challenge.yaml:18: metrics.secondry: unknown key 'secondry'; did you mean 'secondary'?",
    ],
    "wrong_type": [
        "challenge.yaml:21: limits.per_day: should be a whole number, got text 'five'",
    ],
    "missing_file": [
        "challenge.yaml:11: data.public[1]: file 'test.csv' not found in the challenge folder",
    ],
    "missing_solution": [
        "challenge.yaml:12: data.solution: file 'solution.csv' not found in the challenge folder",
    ],
    "hostile_file_name": [
        "challenge.yaml:11: data.public[3]: '../../etc/passwd' is not a plain file name in the challenge folder (letters, digits, '.', '_', '-'; no folders)",
    ],
    "naive_date": [
        "challenge.yaml:6: opens: a time must carry a zone, e.g. 2027-01-04T09:00:00+01:00",
    ],
    "closes_before_opens": [
        "challenge.yaml:7: closes: must be after opens (2027-01-04T09:00:00+01:00)",
    ],
    "unknown_metric": [
        "challenge.yaml:17: metrics.primary: unknown metric 'harrel_c'; did you mean 'harrell_c'?",
    ],
    "metric_wrong_task": [
        "challenge.yaml:17: metrics.primary: 'rmse' does not fit a survival task; metrics for survival: harrell_c, uno_c, td_auc",
    ],
    "target_does_not_fit_task": [
        "challenge.yaml:13: data.target: a binary task takes target: COLUMN; {time, event} is for survival",
        "challenge.yaml:17: metrics.primary: 'harrell_c' does not fit a binary task; metrics for binary: roc_auc, average_precision, log_loss, brier, balanced_accuracy, mcc, f1, sensitivity_at_specificity, calibration_slope, calibration_intercept, ece",
        "challenge.yaml:18: metrics.secondary[0]: 'uno_c' does not fit a binary task; metrics for binary: roc_auc, average_precision, log_loss, brier, balanced_accuracy, mcc, f1, sensitivity_at_specificity, calibration_slope, calibration_intercept, ece",
    ],
    "bad_options": [
        "challenge.yaml:19: metrics.options.tua: unknown option 'tua'; did you mean 'tau'?",
        "challenge.yaml:19: metrics.options.horizons: horizons should be a list of positive times, e.g. [365, 730]",
    ],
    "horizon_outside_follow_up": [
        "challenge.yaml:19: metrics.options.horizons[1]: 5000 lies outside the follow-up of the Public rows (120 to 3650); td_auc needs horizons inside it",
        "challenge.yaml:19: metrics.options.horizons[1]: 5000 lies outside the follow-up of the Private rows (90 to 4000); td_auc needs horizons inside it",
    ],
    "custom_scorer_without_function": [
        "challenge.yaml:18: metrics.custom: scorer.py defines no top-level function 'score'",
    ],
    "custom_scorer_not_python": [
        "scorer.py:1: (file): is not valid Python: expected ':'",
    ],
    "duplicate_ids": [
        "solution.csv:6: patient_id: duplicate id 'P03' (first on line 4)",
    ],
    "bad_solution_values": [
        "solution.csv:2: death: 'yes' should be 0/1 or true/false",
        "solution.csv:3: Usage: 'Secret' should be one of Public, Private, Ignored",
        "solution.csv:3: futime: '-4' is a negative time",
    ],
    "missing_columns": [
        "solution.csv:1: death: no such column (named by data.target.event); did you mean 'dead'?",
        "solution.csv:1: age_band: no such column (named by subgroups[1]); columns: patient_id, futime, dead, Usage, sex",
    ],
    "empty_solution": [
        "solution.csv:1: (file): is empty; it needs a header line and rows",
    ],
    "public_target_column": [
        "test.csv:1: death: is a target column, in a public file that holds 10 ids of the hidden solution; remove it",
    ],
    "public_target_values": [
        "test.csv:1: status: equals target 'death' on the 9 rows this public file shares with the hidden solution; remove it",
    ],
    "sample_wrong_ids": [
        "sample_submission.csv:1: patient_id: 1 id of the solution is missing, e.g. 'P10'; list every solution id, Ignored ones too",
        "sample_submission.csv:11: patient_id: id 'P99' is not in the solution",
    ],
    "sample_wrong_columns": [
        "sample_submission.csv:1: risk: no such column (named by submission.columns); columns: patient_id, prediction",
        "sample_submission.csv:1: prediction: unexpected column; a submission holds patient_id, risk",
    ],
    "sample_not_probabilities": [
        "sample_submission.csv:3: probability: probability 1.5 is outside [0, 1]",
    ],
    "not_utf8": [
        "test.csv:4: (file): is not UTF-8 text (byte 0xe9); save it as UTF-8",
    ],
    "ragged_csv": [
        "test.csv:6: (row): has 4 fields; the header has 3",
    ],
    "many_problems": [
        "challenge.yaml:6: opens: a time must carry a zone, e.g. 2027-01-04T09:00:00+01:00",
        "challenge.yaml:11: data.public[0]: file 'train.csv' not found in the challenge folder",
        "challenge.yaml:18: metrics.secondry: unknown key 'secondry'; did you mean 'secondary'?",
        "solution.csv:6: patient_id: duplicate id 'P03' (first on line 4)",
        "sample_submission.csv:1: patient_id: 1 id of the solution is missing, e.g. 'P10'; list every solution id, Ignored ones too",
    ],
}


def problems_of(folder: Path) -> list[str]:
    """Return the rendered problems of a folder, paths relative to it; [] if it is valid."""
    try:
        validate_folder(folder)
    except ChallengeInvalid as invalid:
        return [p.render().removeprefix(f"{folder}/") for p in invalid.problems]
    return []


def copy_good(tmp_path: Path, replace: dict[str, tuple[str, str]] | None = None) -> Path:
    """Copy the good folder and apply {file: (old, new)} text replacements."""
    folder = tmp_path / "challenge"
    shutil.copytree(GOOD, folder)
    for name, (old, new) in (replace or {}).items():
        path = folder / name
        text = path.read_text()
        assert old in text, (name, old)
        path.write_text(text.replace(old, new))
    return folder


def good_raw() -> dict:
    """Return the good folder's challenge.yaml, parsed."""
    return yaml.safe_load((GOOD / "challenge.yaml").read_text())


# --- The corpus ------------------------------------------------------------------------------

def test_good_folder_is_valid():
    """The base of the corpus passes, so each broken case fails for its own reason only."""
    assert problems_of(GOOD) == []


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_folder_gets_its_exact_problems(case):
    """Each broken folder gets exactly its listed problems: every one, in file and line order."""
    assert problems_of(CORPUS / "broken" / case) == BROKEN[case]


def test_every_broken_folder_has_expected_problems():
    """A folder added to the corpus without its expected messages fails here."""
    assert sorted(p.name for p in (CORPUS / "broken").iterdir()) == sorted(BROKEN)


def test_validate_command_prints_every_problem_and_exits_1():
    """The command prints path:line: key: message for every folder and fails if any is broken."""
    out = io.StringIO()
    folders = [GOOD, CORPUS / "broken" / "many_problems", CORPUS / "broken" / "not_utf8"]
    assert validate_command(folders, out=out) == 1
    lines = out.getvalue().splitlines()
    assert lines[0] == f"{GOOD}: ok (tiny-survival)"
    assert len(lines) == 1 + len(BROKEN["many_problems"]) + len(BROKEN["not_utf8"])
    assert all(re.match(r"^\S+:\d+: \S+: .+", line) for line in lines[1:])
    assert "Traceback" not in out.getvalue()


def test_validate_command_exits_0_when_all_valid():
    """A valid folder prints one ok line and exits 0."""
    out = io.StringIO()
    assert validate_command([GOOD], out=out) == 0
    assert out.getvalue() == f"{GOOD}: ok (tiny-survival)\n"


def test_missing_folder_and_missing_yaml_are_problems(tmp_path):
    """A folder that is not there, or has no challenge.yaml, is a problem, not a crash."""
    assert problems_of(tmp_path / "nope") == [f"{tmp_path}/nope:1: (file): no such challenge folder"]
    (tmp_path / "empty").mkdir()
    assert problems_of(tmp_path / "empty") == [
        "challenge.yaml:1: (file): not found; a challenge folder holds challenge.yaml and its files"
    ]


# --- The bundle the platform stores ----------------------------------------------------------

def test_validated_challenge_carries_every_stored_byte():
    """The result holds the spec, README, public files, solution and a scoring hash."""
    challenge = validate_folder(GOOD)
    assert challenge.slug == "tiny-survival"
    assert challenge.folder == GOOD
    assert challenge.readme.startswith("# Tiny survival challenge")
    assert list(challenge.public_files) == ["train.csv", "test.csv", "sample_submission.csv"]
    assert challenge.public_files["test.csv"] == (GOOD / "test.csv").read_bytes()
    assert challenge.solution == (GOOD / "solution.csv").read_bytes()
    assert challenge.scorer_source is None
    assert re.fullmatch(r"[0-9a-f]{64}", challenge.scoring_hash)


def test_scoring_hash_follows_what_decides_scores(tmp_path):
    """The hash changes with the solution or metrics, not with the title or limits."""
    base = validate_folder(GOOD).scoring_hash
    title = copy_good(tmp_path / "a", {"challenge.yaml": ("title: Tiny survival challenge", "title: Renamed")})
    assert validate_folder(title).scoring_hash == base
    solution = copy_good(tmp_path / "b", {"solution.csv": ("P01,120,1", "P01,121,1")})
    assert validate_folder(solution).scoring_hash != base
    metrics = copy_good(tmp_path / "c", {"challenge.yaml": ("tau: 3650", "tau: 3000")})
    assert validate_folder(metrics).scoring_hash != base


def test_custom_scorer_source_is_carried(tmp_path):
    """A custom metric's file is read, dry-run sealed on the sample submission, and stored."""
    folder = copy_good(tmp_path, {"challenge.yaml": (
        "  primary: harrell_c\n  secondary: [uno_c]\n  options: {tau: 3650}\n",
        "  primary: custom\n  custom: scorer.py:score\n  custom_higher_is_better: false\n  options: {anything: 1}\n",
    )})
    source = "def score(solution, submission, row_id_column_name):\n    return 0.5\n"
    (folder / "scorer.py").write_text(source)
    challenge = validate_folder(folder)
    assert challenge.scorer_source == source
    assert challenge.spec.metrics.custom_function == "score"
    assert challenge.spec.metrics.custom_higher_is_better is False


def test_custom_metric_needs_its_file_reference(tmp_path):
    """Naming the custom metric without metrics.custom, or the reverse, is an error."""
    raw = good_raw()
    raw["metrics"] = {"primary": "custom"}
    assert [(p.key, p.message) for p in schema_problems(raw)] == [
        ("metrics.primary", "the custom metric needs metrics.custom: FILE.py:FUNCTION, e.g. scorer.py:score")
    ]
    raw["metrics"] = {"primary": "harrell_c", "custom": "scorer.py:score"}
    assert [p.message for p in schema_problems(raw)] == [
        "is set, but neither metrics.primary nor metrics.secondary is 'custom'"
    ]
    raw["metrics"] = {"primary": "custom", "custom": "../x.py:score"}
    assert [p.key for p in schema_problems(raw)] == ["metrics.custom"]


# --- Schema, key by key ----------------------------------------------------------------------

def test_design_example_parses():
    """The YAML in DESIGN.md's contract parses with the keys others code against."""
    example = (CORPUS / "design-example.yaml").read_text()
    design = ROOT.parent / "shared" / "DESIGN.md"
    if design.exists():  # beside the design itself, the copy must still be its example
        assert yaml.safe_load(example) == yaml.safe_load(design.read_text().split("```yaml")[1].split("```")[0])
    spec = parse_spec(yaml.safe_load(example))
    assert isinstance(spec.data.target, SurvivalTarget)
    assert spec.target_columns == ["futime", "death"]
    assert spec.metrics.all == ["harrell_c", "uno_c"]


def test_the_schema_loads_neither_the_scorers_nor_pandas():
    """The schema needs the metric catalogue alone: importing it stays cheap for the web and the CLI."""
    probe = "import sys, ultrathon.spec; print(sorted(m for m in ('pandas', 'numpy', 'ultrathon.scorers') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert loaded.strip() == "[]"


def test_every_catalogued_metric_has_its_code():
    """The catalogue the schema checks against and the registry the scorers use name the same metrics."""
    from ultrathon.metric_catalogue import CATALOGUE
    from ultrathon.scorers.metrics import _CODE

    assert list(_CODE) == list(METRICS) == list(CATALOGUE)
    assert all(callable(m.fn) and m.label == CATALOGUE[name].label for name, m in METRICS.items())


def test_direct_model_validation_refuses_cross_field_problems():
    """ChallengeSpec itself refuses an inconsistent spec, so every ChallengeSpec is sound."""
    raw = good_raw()
    raw["closes"] = "2026-01-01T00:00:00+00:00"
    raw["metrics"]["primary"] = "rmse"
    with pytest.raises(ValueError) as error:
        ChallengeSpec.model_validate(raw)
    assert "closes: must be after opens" in str(error.value)
    assert "metrics.primary: 'rmse' does not fit a survival task" in str(error.value)


@pytest.mark.parametrize("value, message", [
    ("2027-01-04T09:00:00", "a time must carry a zone, e.g. 2027-01-04T09:00:00+01:00"),
    ("2027-01-04", "a time must carry a zone, e.g. 2027-01-04T09:00:00+01:00"),
    ("next monday", "should be a date and time with a zone, e.g. 2027-01-04T09:00:00+01:00, got text 'next monday'"),
])
def test_times_must_carry_a_zone(value, message):
    """A naive time, a bare date or prose is refused with the format to use."""
    raw = yaml.safe_load((GOOD / "challenge.yaml").read_text().replace("2027-01-04T09:00:00+01:00", value))
    assert [(p.key, p.message) for p in schema_problems(raw)] == [("opens", message)]


def test_quoted_time_with_zone_is_accepted():
    """A time written as a quoted string is read like an unquoted one."""
    raw = good_raw()
    raw["opens"] = "2027-01-04T09:00:00Z"
    assert schema_problems(raw) == []


@pytest.mark.parametrize("name", ["../x.csv", "/etc/passwd", ".hidden.csv", "sub/x.csv", "C:\\x.csv", "x..csv", "", "a b.csv"])
def test_public_names_are_plain_file_names(name):
    """Names that could reach outside the folder, or hide, are refused."""
    raw = good_raw()
    raw["data"]["public"].append(name)
    assert [p.key for p in schema_problems(raw)] == ["data.public[3]"]


def test_link_out_of_the_folder_is_refused(tmp_path):
    """A public file that is a symlink to elsewhere is refused, not served."""
    folder = copy_good(tmp_path)
    secret = tmp_path / "secret.csv"
    secret.write_text("patient_id,age,sex\n")
    (folder / "test.csv").unlink()
    (folder / "test.csv").symlink_to(secret)
    assert problems_of(folder) == [
        "challenge.yaml:11: data.public[1]: file 'test.csv' points outside the challenge folder"
    ]


def test_nested_unknown_key_and_missing_key_in_a_survival_target():
    """A typo inside target gets did-you-mean at its own key, with no duplicate 'missing' problem."""
    raw = good_raw()
    raw["data"]["target"] = {"time": "futime", "evnt": "death"}
    assert [(p.key, p.message) for p in schema_problems(raw)] == [
        ("data.target.evnt", "unknown key 'evnt'; did you mean 'event'?")
    ]


def test_unknown_top_level_key_without_a_close_match_lists_known_keys():
    """With no close match, the message lists the keys that are allowed there."""
    raw = good_raw()
    raw["colour"] = "blue"
    [problem] = schema_problems(raw)
    assert problem.key == "colour"
    assert problem.message.startswith("unknown key 'colour'; known: slug, title, summary")


def test_unknown_task_gets_a_hint():
    """A misspelt task names the right one."""
    raw = good_raw()
    raw["task"] = "survial"
    assert [p.message for p in schema_problems(raw)][0] == "unknown task 'survial'; did you mean 'survival'?"


def test_multiclass_needs_classes_and_one_column_per_class():
    """Multiclass takes classes and a probability column per class; other tasks take no classes."""
    raw = good_raw()
    raw["task"] = "multiclass"
    raw["data"]["target"] = "grade"
    raw["metrics"] = {"primary": "log_loss"}
    raw["submission"]["columns"] = ["risk"]
    assert [(p.key, p.message) for p in schema_problems(raw)] == [
        ("data", "a multiclass task needs data.classes: at least two class names"),
    ]
    raw["data"]["classes"] = [1, 2, 3]  # numbers are class names too
    assert [(p.key, p.message) for p in schema_problems(raw)] == [
        ("submission.columns", "a multiclass task takes one probability column per class, named as data.classes: 1, 2, 3"),
    ]
    raw["submission"]["columns"] = ["1", "2", "3"]
    assert schema_problems(raw) == []
    raw["task"], raw["metrics"] = "binary", {"primary": "roc_auc"}
    assert ("data.classes", "classes apply to a multiclass task only") in [(p.key, p.message) for p in schema_problems(raw)]


def test_options_are_checked_against_the_chosen_metrics():
    """An option no chosen metric takes, or a bad value, is an error; a known one passes."""
    raw = good_raw()
    raw["task"], raw["data"]["target"], raw["submission"]["columns"] = "binary", "death", ["p"]
    raw["metrics"] = {"primary": "sensitivity_at_specificity", "options": {"specificity": 1.5}}
    assert [p.message for p in schema_problems(raw)] == ["specificity should be a number between 0 and 1, e.g. 0.9"]
    raw["metrics"]["options"] = {"specificity": 0.95}
    assert schema_problems(raw) == []


LEVEL_MESSAGE = "should be a fraction strictly between 0.5 and 1, e.g. 0.95 for a 95% interval"


@pytest.mark.parametrize("interval, key, message", [
    ({"ci_level": 95}, "leaderboard.ci_level", LEVEL_MESSAGE),
    ({"ci_level": 0.5}, "leaderboard.ci_level", LEVEL_MESSAGE),
    ({"ci_level": 1}, "leaderboard.ci_level", LEVEL_MESSAGE),
    ({"ci_level": "high"}, "leaderboard.ci_level", "should be a number, got text 'high'"),
    ({"ci_method": "bcaa"}, "leaderboard.ci_method", "unknown interval method 'bcaa'; did you mean 'bca'?"),
    ({"ci_method": "studentized"}, "leaderboard.ci_method", "unknown interval method 'studentized'; one of percentile, bca"),
])
def test_interval_settings_are_checked_at_their_key(interval, key, message):
    raw = good_raw()
    raw["leaderboard"] = {**(raw.get("leaderboard") or {}), **interval}
    assert [(p.key, p.message) for p in schema_problems(raw)] == [(key, message)]


def test_interval_settings_default_and_take_a_level_and_bca():
    raw = good_raw()
    raw.pop("leaderboard", None)
    assert parse_spec(raw).leaderboard.model_dump(include={"ci_level", "ci_method"}) == {"ci_level": 0.95, "ci_method": "percentile"}
    raw["leaderboard"] = {"ci_level": 0.9, "ci_method": "bca"}
    assert (parse_spec(raw).leaderboard.ci_level, parse_spec(raw).leaderboard.ci_method) == (0.9, "bca")


def test_bca_is_refused_for_a_custom_primary_metric():
    """Its jackknife would run the organisers' metric once per scored row."""
    raw = good_raw()
    raw["metrics"] = {"primary": "custom", "custom": "scorer.py:score"}
    raw["leaderboard"] = {"ci_method": "bca"}
    assert [(p.key, p.message) for p in schema_problems(raw)] == [("leaderboard.ci_method",
        "bca needs a built-in primary metric: its jackknife would run the custom metric once per scored row; use percentile")]


def test_only_a_changed_interval_changes_the_scoring_hash(tmp_path):
    """Stored intervals follow ci_level and ci_method; writing the defaults out keeps the hash."""
    base = validate_folder(GOOD).scoring_hash
    text = (GOOD / "challenge.yaml").read_text()
    assert "leaderboard:" not in text
    for name, extra, same in (("a", "{ci_level: 0.95, ci_method: percentile}", True), ("b", "{ci_level: 0.9}", False),
                              ("c", "{ci_method: bca}", False)):
        folder = tmp_path / name
        shutil.copytree(GOOD, folder)
        (folder / "challenge.yaml").write_text(text + f"leaderboard: {extra}\n")
        assert (validate_folder(folder).scoring_hash == base) is same, extra


def test_metric_listed_twice_is_an_error():
    """Repeating a metric would show the same column twice."""
    raw = good_raw()
    raw["metrics"]["secondary"] = ["uno_c", "harrell_c"]
    assert [(p.key, p.message) for p in schema_problems(raw)] == [("metrics.secondary[1]", "'harrell_c' is already named")]


def test_every_registered_metric_fits_some_task_and_validates():
    """Each ranking metric is accepted as primary on each of its tasks, every metric as secondary."""
    for metric in METRICS.values():
        for task in metric.tasks:
            raw = good_raw()
            raw["task"] = task
            raw["data"]["target"] = {"time": "futime", "event": "death"} if task == "survival" else "y"
            if task == "multiclass":
                raw["data"]["classes"] = ["a", "b"]
            raw["submission"]["columns"] = ["a", "b"] if task == "multiclass" else ["p"]
            if metric.name in CURVE_METRICS:
                raw["submission"] |= {"kind": "survival_curve", "horizons": [10, 20], "columns": ["s10", "s20"]}
            primary = metric.name if metric.ranks else next(m.name for m in METRICS.values() if task in m.tasks and m.ranks)
            raw["metrics"] = {"primary": primary, "secondary": [] if metric.ranks else [metric.name]}
            assert schema_problems(raw) == [], (metric.name, task)


@pytest.mark.parametrize("name", ["calibration_slope", "calibration_intercept"])
def test_a_metric_whose_ideal_is_a_value_cannot_rank(name):
    """A calibration slope is best at 1, so neither direction orders teams; it is reported only."""
    raw = good_raw()
    raw["task"], raw["data"]["target"], raw["submission"]["columns"] = "binary", "death", ["p"]
    raw["metrics"] = {"primary": name}
    assert [(p.key, p.message) for p in schema_problems(raw)] == [
        ("metrics.primary", f"{name!r} cannot rank a leaderboard (its ideal is a value, not an extreme); name it in metrics.secondary")
    ]


def test_yaml_lines_point_at_the_key(tmp_path):
    """A problem deep in the YAML is reported at the line of its key."""
    folder = copy_good(tmp_path, {"challenge.yaml": ("  columns: [risk]", "  columns: [risk]\n  max_mb: 9000")})
    assert problems_of(folder) == ["challenge.yaml:16: submission.max_mb: should be less than or equal to 500"]


def test_yaml_that_is_not_utf8_or_empty_is_a_problem(tmp_path):
    """challenge.yaml in Latin-1, or empty, gets a message, not a traceback."""
    folder = copy_good(tmp_path)
    (folder / "challenge.yaml").write_bytes("title: Caf\u00e9\n".encode("latin-1"))
    assert problems_of(folder) == ["challenge.yaml:1: (file): is not UTF-8 text (byte 0xe9); save it as UTF-8"]
    (folder / "challenge.yaml").write_text("# nothing yet\n")
    assert problems_of(folder) == ["challenge.yaml:1: (file): is empty; see docs/challenge-format.md for an example"]


def test_alias_bomb_is_refused_quickly(tmp_path):
    """Nested aliases (a billion laughs) are refused before anything expands them."""
    folder = copy_good(tmp_path)
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    (folder / "challenge.yaml").write_text("\n".join(lines) + "\n")
    assert problems_of(folder)[0].endswith("anchors and aliases (&name, *name) are not supported; write the value out")


def test_csv_with_bom_semicolons_and_header_only(tmp_path):
    """A byte-order mark is accepted; semicolons and header-only files get clear messages."""
    folder = copy_good(tmp_path)
    (folder / "test.csv").write_bytes(b"\xef\xbb\xbf" + (GOOD / "test.csv").read_bytes())
    assert problems_of(folder) == []
    (folder / "test.csv").write_text("patient_id;age;sex\nP01;61;F\n")
    assert problems_of(folder) == ["test.csv:1: (file): uses ';' between columns; use ','"]
    (folder / "test.csv").write_text("patient_id,age,sex\n")
    assert problems_of(folder) == ["test.csv:1: (file): has a header but no rows"]


def test_many_bad_rows_are_summarised(tmp_path):
    """Five bad rows are shown, then a count of the rest, so other problems stay visible."""
    folder = copy_good(tmp_path)
    lines = (folder / "solution.csv").read_text().splitlines()
    bad = [lines[0]] + [re.sub(r",[01],", ",maybe,", line, count=1) for line in lines[1:]]
    (folder / "solution.csv").write_text("\n".join(bad) + "\n")
    problems = problems_of(folder)
    assert len(problems) == 6
    assert problems[-1] == "solution.csv:7: death: and 4 more rows with the same kind of problem, from this line on"


def test_ignored_rows_may_hold_placeholder_targets(tmp_path):
    """An Ignored row is never scored, so a blank target there is fine."""
    folder = copy_good(tmp_path, {"solution.csv": ("P10,2000,0,Ignored", "P10,,,Ignored")})
    assert problems_of(folder) == []


def test_usage_column_is_optional_unless_named(tmp_path):
    """Without a Usage column the split is seeded; naming a column that is absent is an error."""
    folder = copy_good(tmp_path)
    rows = [line.rsplit(",", 2) for line in (folder / "solution.csv").read_text().splitlines()]
    (folder / "solution.csv").write_text("".join(f"{a},{c}\n" for a, b, c in rows))
    assert problems_of(folder) == []
    text = (folder / "challenge.yaml").read_text() + "split: {usage_column: Usage}\n"
    (folder / "challenge.yaml").write_text(text)
    assert problems_of(folder) == [
        "solution.csv:1: Usage: no such column (named by split.usage_column); columns: patient_id, futime, death, sex"
    ]


def test_solution_needs_both_leaderboards_and_some_events(tmp_path):
    """No Private rows, or no events among scored rows, cannot make a leaderboard."""
    folder = copy_good(tmp_path)
    text = (folder / "solution.csv").read_text().replace("Private", "Public").replace(",1,", ",0,")
    (folder / "solution.csv").write_text(text)
    assert problems_of(folder) == [
        "solution.csv:1: Usage: no Private rows: each leaderboard needs some",
        "solution.csv:1: death: no scored row has an event; survival metrics need some",
    ]


def test_problem_renders_as_path_line_key_message():
    """The one output format that editors and CI parse."""
    assert Problem("c/challenge.yaml", 3, "task", "bad").render() == "c/challenge.yaml:3: task: bad"


def test_list_folders_reports_valid_and_invalid(tmp_path):
    """Listing shows each folder's slug and window, and marks invalid ones."""
    shutil.copytree(GOOD, tmp_path / "good")
    shutil.copytree(CORPUS / "broken" / "naive_date", tmp_path / "naive")
    (tmp_path / "not-a-challenge").mkdir()
    summaries = list_folders(tmp_path)
    assert [(s.folder.name, s.slug, s.problems) for s in summaries] == [("good", "tiny-survival", 0), ("naive", None, 1)]
    out = io.StringIO()
    assert list_command(tmp_path, out=out) == 1
    assert "tiny-survival  survival  2027-01-04T09:00:00+01:00 -> 2027-02-15T12:00:00+01:00" in out.getvalue()


# --- The documentation cannot drift ----------------------------------------------------------

def _doc_example() -> str:
    text = DOCS.read_text()
    return text.split("<!-- validated example -->\n```yaml\n", 1)[1].split("```", 1)[0]


def test_docs_example_validates_against_the_demo_files(tmp_path):
    """The complete example in docs/challenge-format.md is a valid challenge.yaml."""
    folder = tmp_path / "flchain-survival"
    shutil.copytree(ROOT / "challenges" / "flchain-survival", folder)
    (folder / "challenge.yaml").write_text(_doc_example())
    assert problems_of(folder) == []


def _schema_keys(model, prefix="") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        keys.append(prefix + name)
        annotation = field.annotation
        inner = [a for a in getattr(annotation, "__args__", (annotation,)) if isinstance(a, type)]
        for candidate in [annotation, *inner]:
            if isinstance(candidate, type) and candidate.__module__.startswith("ultrathon.spec") and candidate is not SurvivalTarget:
                keys += _schema_keys(candidate, prefix + name + ".")
    return keys


def test_docs_describe_every_key_and_the_example_sets_them():
    """Every schema key has a row in the docs; the example sets all but the custom-metric ones."""
    text = DOCS.read_text()
    keys = _schema_keys(ChallengeSpec)
    assert "data.target" in keys and "metrics.options" in keys
    undocumented = [k for k in keys if f"| `{k}` |" not in text]
    assert undocumented == []
    example = yaml.safe_load(_doc_example())

    def present(key):
        node = example
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    # The curve keys belong to a survival-curve challenge: docs/challenge-format.md has its own example.
    custom = {"metrics.custom", "metrics.custom_higher_is_better", "data.classes",
              "submission.kind", "submission.horizons", "submission.figure_horizon",
              # An agent challenge's keys: the example is a challenge the platform scores.
              "scoring.solution_sha256", "scoring.split_sizes", "scoring.split_sizes.public", "scoring.split_sizes.private",
              # Several sites: a challenge scored by one agent per site (docs/agents.md has the example).
              "sites", "scoring.sites", "leaderboard.combine",
              # A phased challenge: the Phases section has its own example.
              "phases", "combine_phases", "data.phase_column",
              # The Ladder's step goes with feedback: ladder; a card's fields are a list the example does set.
              "feedback.step", "method_card.fields.name", "method_card.fields.label", "method_card.fields.required",
              # Approval and registration questions: the Access section has its own example.
              "access", "access.approval", "access.allowed_domains", "access.questions",
              "access.questions.name", "access.questions.label", "access.questions.required"}
    assert [k for k in keys if not present(k) and k not in custom] == []


def test_docs_metric_table_matches_the_registry():
    """The metric table lists every registered metric with its tasks, direction and options."""
    rows = {}
    for line in DOCS.read_text().splitlines():
        match = re.match(r"^\| `(\w+)` \| ([a-z, ]+) \| (higher|lower) \|(.*)\|$", line)
        if match:
            options = re.findall(r"^`(\w+)`", match[4].strip())
            rows[match[1]] = (set(match[2].split(", ")), match[3] == "higher", tuple(options))
    expected = {m.name: (set(m.tasks), m.higher_is_better, m.options) for m in METRICS.values()}
    assert rows == expected


def test_metrics_spec_helpers():
    """metrics.all lists the primary first, once; custom splits into file and function."""
    spec = MetricsSpec(primary="a", secondary=["b", "a"], custom="scorer.py:score")
    assert spec.all == ["a", "b"]
    assert (spec.custom_file, spec.custom_function) == ("scorer.py", "score")


# --- No traceback, whatever the folder holds --------------------------------------------------

def _mutations(rng):
    """Yield (yaml text, {file: bytes}) pairs: random values at random keys, random bytes in CSVs."""
    import copy

    values = [None, 0, -1, 1.5, "x", "", [], {}, [1, "a"], {"a": 1}, True, "2027-01-01", "../x",
              "Usage", "patient_id", "death", "custom", "scorer.py:score", float("nan"), 10**30]
    base = good_raw()

    def paths(node, prefix=()):
        if prefix:
            yield prefix
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            yield from paths(value, prefix + (key,))

    while True:
        raw = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(list(paths(raw)))
            node = raw
            for part in path[:-1]:
                node = node[part]
            if rng.random() < 0.2:
                del node[path[-1]]
            else:
                node[path[-1]] = copy.deepcopy(rng.choice(values))
        text = yaml.safe_dump(raw, allow_unicode=True)
        if rng.random() < 0.2:
            i = rng.randrange(len(text))
            text = text[:i] + rng.choice(["{", "[", ":", "- ", "\t", "&a", "*a", "'", "\x00", "\n  "]) + text[i:]
        files = {}
        if rng.random() < 0.7:
            name = rng.choice(["solution.csv", "test.csv", "train.csv", "sample_submission.csv"])
            data = (GOOD / name).read_bytes()
            i = rng.randrange(len(data))
            files[name] = data[:i] + rng.choice([b",", b"\n", b'"', b"\xff", b"", b"nan", b"-1", b";"]) + data[i + 1:]
        yield text, files


def test_no_folder_makes_the_validator_crash(tmp_path):
    """Hundreds of random breakages each end in ChallengeInvalid or success, never another exception."""
    import random

    rng = random.Random(20261122)
    folder = copy_good(tmp_path)
    originals = {p.name: p.read_bytes() for p in folder.iterdir()}
    for _, (text, files) in zip(range(300), _mutations(rng)):
        for name, data in originals.items():
            (folder / name).write_bytes(files.get(name, data))
        (folder / "challenge.yaml").write_text(text)
        try:
            validate_folder(folder)
        except ChallengeInvalid as invalid:
            assert invalid.problems and all(p.line >= 1 for p in invalid.problems)


@pytest.mark.parametrize("ranking, expected", [
    ({"scheme": "mean_rank", "metrics": ["harrell_c", "brier"]},
     [("ranking.metrics[1]", "'brier' is not a metric of this challenge; name the primary or a secondary metric: harrell_c, uno_c")]),
    ({"scheme": "mean_rank", "metrics": ["harrell_c"]},
     [("ranking.metrics", "mean_rank ranks by two or more metrics; name them in ranking.metrics (the primary and secondary metrics by default)")]),
    ({"scheme": "significance", "metrics": ["uno_c", "uno_c"]}, [("ranking.metrics[1]", "'uno_c' is listed twice")]),
    ({"scheme": "significance", "metrics": []}, [("ranking.metrics", "significance ranks by one or more metrics; name at least one")]),
    ({"scheme": "mean-rank"}, [("ranking.scheme", "unknown value 'mean-rank'; did you mean 'mean_rank'?")]),
])
def test_ranking_problems_are_reported_at_their_key(ranking, expected):
    """The ranking metrics must be the challenge's own, enough for the scheme."""
    raw = good_raw()
    raw["ranking"] = ranking
    assert [(p.key, p.message) for p in schema_problems(raw)] == expected


def test_a_scheme_of_one_default_metric_or_without_resamples_is_refused():
    """mean_rank needs two metrics even by default; the resample schemes need the bootstrap."""
    raw = good_raw()
    raw["metrics"] = {"primary": "harrell_c"}
    raw["ranking"] = {"scheme": "rank_then_aggregate"}
    assert [p.key for p in schema_problems(raw)] == ["ranking.scheme"]
    raw["ranking"] = {"scheme": "significance"}
    raw["leaderboard"] = {"bootstrap": 0}
    assert [(p.key, p.message) for p in schema_problems(raw)] == [
        ("ranking.scheme", "significance needs bootstrap resamples; set leaderboard.bootstrap above 0")]


def test_the_ranking_metrics_default_to_those_that_can_rank():
    """By default a scheme ranks by the primary and the secondary metrics, leaving out those whose ideal is a value."""
    raw = good_raw()
    raw["ranking"] = {"scheme": "mean_rank"}
    spec = parse_spec(raw)
    assert spec.ranking.chosen(spec.metrics) == ["harrell_c", "uno_c"] and spec.replicated_metrics == ["uno_c"]
    assert parse_spec(good_raw()).replicated_metrics == []
    binary = {**good_raw(), "task": "binary", "data": {**good_raw()["data"], "target": "death"},
              "metrics": {"primary": "roc_auc", "secondary": ["calibration_slope", "brier"]}, "ranking": {"scheme": "mean_rank"}}
    spec = parse_spec(binary)
    assert spec.ranking.chosen(spec.metrics) == ["roc_auc", "brier"]


def test_the_stored_ranking_metrics_change_the_scoring_hash(tmp_path):
    """Taking up a scheme stores more replicates (re-score); writing the default scheme out does not."""
    base = validate_folder(GOOD).scoring_hash
    text = (GOOD / "challenge.yaml").read_text()
    for name, extra, same in (("a", "{scheme: primary}", True), ("b", "{scheme: mean_rank}", False),
                              ("c", "{scheme: significance, metrics: [harrell_c]}", True)):
        folder = tmp_path / name
        shutil.copytree(GOOD, folder)
        (folder / "challenge.yaml").write_text(text + f"ranking: {extra}\n")
        assert (validate_folder(folder).scoring_hash == base) is same, extra


@pytest.mark.parametrize("folder", sorted(
    p.parent for p in [*(Path(__file__).parents[1] / "challenges").glob("*/challenge.yaml"),
                       *(Path(__file__).parent / "challenges").glob("*/challenge.yaml")] if p.parent.name != "broken"),
    ids=lambda folder: folder.name)
def test_a_validated_spec_validates_again_from_its_own_dump(folder):
    """Code builds specs from dumps (the stored settings, the sealed process): the cross checks see only what was written."""
    spec = parse_spec(yaml.safe_load((folder / "challenge.yaml").read_text()))
    again = ChallengeSpec.model_validate(spec.model_dump(mode="json"))
    assert again == spec
