"""Benchmark the scoring library against plain baselines run in the same process.

Prints a table, then one JSON line per figure. Run: .venv/bin/python bench/scoring.py
Figures:
- binary AUROC and survival Harrell's C on 10k and 1M rows: (a) pandas.read_csv + the fastest
  reference metric (scikit-learn roc_auc_score; lifelines concordance_index, O(n log n));
  (b) read_submission + score without bootstrap; the ratio b/a (target <= 1.5 on 1M rows);
- the 1,000-resample bootstrap on 10k rows (targets: 2 s AUROC, 5 s Harrell's C, one core),
  beside a loop of reference calls;
- the 1,000-resample bootstrap of Uno's C and td_auc on 10k rows (target 5 s each), beside a
  loop of scikit-survival calls on the same resamples, timed on 20 and extrapolated (target 40x);
- Harrell's C against scikit-survival on 10k rows with tied times and risks (target 1e-9);
- peak memory for 1M rows, in a fresh process (target 4x the file's size + 200 MB).
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

# One core, as the targets say; set before numpy loads its thread pools.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ultrathon.scorers import METRICS, bootstrap_weights, read_solution, read_submission, score  # noqa: E402
from ultrathon.scorers.bootstrap import MAX_CHUNK_CELLS  # noqa: E402
from ultrathon.spec import ChallengeSpec  # noqa: E402

MB = 2**20
FIGURES: list[dict] = []


def make_spec(task: str) -> ChallengeSpec:
    """Return a minimal challenge of the task, scored by its fastest primary metric."""
    common = {
        "slug": f"bench-{task}",
        "title": "Benchmark",
        "task": task,
        "opens": "2027-01-04T09:00:00+01:00",
        "closes": "2027-02-15T12:00:00+01:00",
        "split": {"seed": 20270104},
        "leaderboard": {"bootstrap": 1000},
        "submission": {"columns": ["prob" if task == "binary" else "risk"], "max_mb": 500},
    }
    if task == "binary":
        data = {"id_column": "patient_id", "target": "outcome", "public": ["sample_submission.csv"]}
        return ChallengeSpec.model_validate({**common, "data": data, "metrics": {"primary": "roc_auc"}})
    data = {"id_column": "patient_id", "target": {"time": "futime", "event": "death"}, "public": ["sample_submission.csv"]}
    return ChallengeSpec.model_validate({**common, "data": data, "metrics": {"primary": "harrell_c"}})


def make_data(task: str, n: int, seed: int = 0) -> tuple[bytes, bytes]:
    """Return (solution CSV, submission CSV) of n rows; the submission in the sample's order."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("P", np.char.zfill(np.arange(n).astype(str), 7))
    usage = np.where(rng.random(n) < 0.3, "Public", "Private")
    signal = rng.normal(size=n)
    if task == "binary":
        outcome = (rng.random(n) < 1 / (1 + np.exp(-(signal - 1)))).astype(int)
        solution = pd.DataFrame({"patient_id": ids, "outcome": outcome, "Usage": usage})
        submission = pd.DataFrame({"patient_id": ids, "prob": 1 / (1 + np.exp(-(signal + rng.normal(size=n))))})
    else:
        futime = np.ceil(rng.exponential(1000 * np.exp(-signal))).astype(int) + 1  # whole days: tied times
        death = (rng.random(n) < 0.4).astype(int)
        solution = pd.DataFrame({"patient_id": ids, "futime": futime, "death": death, "Usage": usage})
        submission = pd.DataFrame({"patient_id": ids, "risk": np.round(signal + rng.normal(size=n), 3)})  # tied risks
    return solution.to_csv(index=False).encode(), submission.to_csv(index=False).encode()


def best_time(fn, repeats: int) -> float:
    """Return the fastest of several runs, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def record(name: str, value: float, unit: str, target: str = "", note: str = "") -> None:
    """Keep one figure for the table and the JSON lines."""
    FIGURES.append({"figure": name, "value": round(value, 6), "unit": unit, "target": target, "note": note})


def baseline_binary(submission: bytes, y: np.ndarray) -> float:
    """Return AUROC the bare way: read_csv and scikit-learn, no checks."""
    from sklearn.metrics import roc_auc_score

    frame = pd.read_csv(io.BytesIO(submission))
    return roc_auc_score(y, frame["prob"])


def baseline_survival(submission: bytes, futime: np.ndarray, death: np.ndarray) -> float:
    """Return Harrell's C the bare way: read_csv and lifelines, no checks."""
    from lifelines.utils import concordance_index

    frame = pd.read_csv(io.BytesIO(submission))
    # lifelines expects a predicted survival time: the negated risk.
    return concordance_index(futime, -frame["risk"].to_numpy(), death)


def ours(submission: bytes, solution: pd.DataFrame, spec: ChallengeSpec) -> float:
    """Return the primary metric the way a worker gets it: validated read, then score."""
    predictions = read_submission(submission, spec, solution_ids=solution[spec.data.id_column])
    return score(predictions, solution, spec, bootstrap=False).splits["private"].metrics[spec.metrics.primary]


def bench_pipeline(task: str, n: int) -> None:
    """Time baseline and library on one task and size; record both and their ratio."""
    spec = make_spec(task)
    solution_bytes, submission = make_data(task, n)
    solution = read_solution(solution_bytes, spec)
    repeats = 5 if n <= 100_000 else 2
    if task == "binary":
        y = solution["outcome"].to_numpy()
        base = best_time(lambda: baseline_binary(submission, y), repeats)
        reference = "read_csv + sklearn roc_auc_score"
    else:
        futime, death = solution["futime"].to_numpy(), solution["death"].to_numpy()
        base = best_time(lambda: baseline_survival(submission, futime, death), 1 if n > 100_000 else repeats)
        reference = "read_csv + lifelines concordance_index"
    mine = best_time(lambda: ours(submission, solution, spec), repeats)
    shuffled = pd.read_csv(io.BytesIO(submission)).sample(frac=1, random_state=1).to_csv(index=False).encode()
    mine_shuffled = best_time(lambda: ours(shuffled, solution, spec), repeats)
    label = f"{task} {spec.metrics.primary} {n:,} rows"
    target = "ratio <= 1.5" if n >= 1_000_000 else ""
    record(f"{label}: (a) {reference}", base, "s")
    record(f"{label}: (b) read_submission + score, no bootstrap", mine, "s")
    record(f"{label}: ratio b/a", mine / base, "x", target)
    record(f"{label}: ratio b/a, submission rows shuffled", mine_shuffled / base, "x", "", "ids matched by hash instead of the in-order fast path")


def bench_bootstrap(n: int = 10_000, resamples: int = 1000) -> None:
    """Time the vectorised bootstrap of AUROC and Harrell's C beside loops of reference calls."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(1)
    y = (rng.random(n) < 0.3).astype(int)
    p = np.round(np.clip(0.3 * y + rng.random(n), 0, 1), 3)
    strata = y

    def auc_bootstrap():
        return np.concatenate([METRICS["roc_auc"].batch(y, p, w) for w in bootstrap_weights(1, n, resamples, strata=strata)])

    spent = best_time(auc_bootstrap, 3)
    record(f"bootstrap AUROC {resamples:,} x {n:,} rows (ours, all resamples at once)", spent, "s", "<= 2 s")
    draws = [rng.integers(0, n, n) for _ in range(100)]
    loop = best_time(lambda: [roc_auc_score(y[d], p[d]) for d in draws], 1) * resamples / 100
    record(f"bootstrap AUROC {resamples:,} x {n:,} rows (loop of roc_auc_score, from 100)", loop, "s")

    time_ = rng.integers(1, 2000, n).astype(float)
    event = rng.random(n) < 0.4
    risk = np.round(rng.normal(size=n) - time_ / 2000, 2)
    survival = np.zeros(n, dtype=[("event", bool), ("time", np.float64)])
    survival["event"], survival["time"] = event, time_

    def c_bootstrap():
        return np.concatenate([METRICS["harrell_c"].batch(survival, risk, w) for w in bootstrap_weights(1, n, resamples, strata=event)])

    spent = best_time(c_bootstrap, 2)
    record(f"bootstrap Harrell's C {resamples:,} x {n:,} rows (ours, all resamples at once)", spent, "s", "<= 5 s")
    from lifelines.utils import concordance_index

    loop = best_time(lambda: [concordance_index(time_[d], -risk[d], event[d]) for d in draws[:20]], 1) * resamples / 20
    record(f"bootstrap Harrell's C {resamples:,} x {n:,} rows (loop of lifelines, from 20)", loop, "s")


def bench_ipcw_bootstrap(n: int = 10_000, resamples: int = 1000, timed: int = 20) -> None:
    """Time the vectorised bootstrap of Uno's C and td_auc beside a loop of scikit-survival on the same resamples."""
    from sksurv.metrics import concordance_index_ipcw, cumulative_dynamic_auc

    rng = np.random.default_rng(3)
    time_ = np.round(rng.exponential(700, n), 1) + 1  # tied times, but rarely at the last one
    event = rng.random(n) < 0.4
    risk = np.round(rng.normal(size=n) - time_ / 2000, 2)
    survival = np.zeros(n, dtype=[("event", bool), ("time", np.float64)])
    survival["event"], survival["time"] = event, time_
    horizons = [365.0, 730.0, 1095.0]
    weights = np.concatenate(list(bootstrap_weights(1, n, resamples, strata=event)))
    references = {
        "uno_c": ("Uno's C", {}, lambda y, r: concordance_index_ipcw(y, y, r)[0]),
        "td_auc": ("td_auc, 3 horizons", {"horizons": horizons}, lambda y, r: np.mean(cumulative_dynamic_auc(y, y, r, horizons)[0])),
    }
    for name, (label, options, reference) in references.items():
        batch = METRICS[name].batch
        # In the platform's chunks (bootstrap_weights), the weights drawn beforehand as the loop's are.
        chunks = np.array_split(weights, -(-resamples // max(1, MAX_CHUNK_CELLS // n)))  # best of 3, as the loop
        ours = best_time(lambda: [batch(survival, risk, w, **options) for w in chunks], 3)
        record(f"bootstrap {label} {resamples:,} x {n:,} rows (ours, all resamples at once)", ours, "s", "<= 5 s")
        rows = [np.repeat(np.arange(n), w) for w in weights[:timed]]
        loop = best_time(lambda: [reference(survival[r], risk[r]) for r in rows], 3) * resamples / timed
        record(f"bootstrap {label} {resamples:,} x {n:,} rows (loop of scikit-survival, from {timed})", loop, "s",
               "", f"timed on the first {timed} resamples and extrapolated")
        record(f"bootstrap {label}: speed-up over the scikit-survival loop", loop / ours, "x", ">= 40x")
        ours_first = batch(survival, risk, weights[:timed], **options)
        gap = max(abs(ours_first[b] - reference(survival[r], risk[r])) for b, r in enumerate(rows[:3]))
        record(f"bootstrap {label}: |ours - scikit-survival|, first 3 resamples", gap, "", "<= 1e-9")


def bench_equality(n: int = 10_000) -> None:
    """Record how far Harrell's C is from scikit-survival's on tied data."""
    from sksurv.metrics import concordance_index_censored

    rng = np.random.default_rng(2)
    time_ = rng.integers(1, 365, n).astype(float)
    event = rng.random(n) < 0.35
    risk = np.round(rng.normal(size=n) - time_ / 365, 1)
    survival = np.zeros(n, dtype=[("event", bool), ("time", np.float64)])
    survival["event"], survival["time"] = event, time_
    mine = METRICS["harrell_c"].fn(survival, risk)
    reference = concordance_index_censored(event, time_, risk)[0]
    record(f"Harrell's C |ours - sksurv|, {n:,} rows, tied times and risks", abs(mine - reference), "", "<= 1e-9")
    start = time.perf_counter()
    concordance_index_censored(event, time_, risk)
    record(f"sksurv concordance_index_censored, {n:,} rows", time.perf_counter() - start, "s")


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def measure_memory(task: str, n: int) -> dict:
    """Run in a fresh process: peak resident memory added by read_submission + score."""
    spec = make_spec(task)
    solution_bytes, submission = make_data(task, n)
    solution = read_solution(solution_bytes, spec)
    del solution_bytes
    gc.collect()
    before = _status_kb("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark to the present
        reset = True
    except OSError:
        reset = False
    predictions = read_submission(submission, spec, solution_ids=solution[spec.data.id_column])
    score(predictions, solution, spec, bootstrap=False)
    peak = _status_kb("VmHWM")
    return {"file_mb": len(submission) / MB, "peak_mb": (peak - before) / 1024, "reset": reset}


def bench_memory(task: str, n: int = 1_000_000) -> None:
    """Record the peak memory measured in a fresh process."""
    out = subprocess.run(
        [sys.executable, __file__, "--memory", task, str(n)], capture_output=True, text=True, check=True
    ).stdout.strip().splitlines()[-1]
    result = json.loads(out)
    limit = 4 * result["file_mb"] + 200
    note = f"file {result['file_mb']:.1f} MB; limit {limit:.0f} MB" + ("" if result["reset"] else "; peak not resettable, upper bound")
    record(f"peak memory {task} {n:,} rows, read_submission + score", result["peak_mb"], "MB", "<= 4x file + 200 MB", note)


def main() -> None:
    """Run every figure, print the table, then the JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", nargs=2, metavar=("TASK", "ROWS"), help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="skip the 1M-row figures")
    args = parser.parse_args()
    if args.memory:
        print(json.dumps(measure_memory(args.memory[0], int(args.memory[1]))))
        return
    sizes = [10_000] if args.quick else [10_000, 1_000_000]
    for task in ("binary", "survival"):
        for n in sizes:
            bench_pipeline(task, n)
    bench_bootstrap()
    bench_ipcw_bootstrap()
    bench_equality()
    if not args.quick:
        for task in ("binary", "survival"):
            bench_memory(task)

    width = max(len(f["figure"]) for f in FIGURES)
    print(f"{'figure':<{width}}  {'value':>12}  {'unit':<4}  target")
    for f in FIGURES:
        value = f"{f['value']:.3g}" if f["unit"] == "" else f"{f['value']:.3f}"
        print(f"{f['figure']:<{width}}  {value:>12}  {f['unit']:<4}  {f['target']}{'  (' + f['note'] + ')' if f['note'] else ''}")
    print()
    for f in FIGURES:
        print(json.dumps(f))


if __name__ == "__main__":
    main()
