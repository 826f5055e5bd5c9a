"""Benchmark the web-side checks of an upload against hostile files and an ordinary one.

Run: .venv/bin/python bench/upload_checks.py
Each file goes through the checks the upload runs in the web process (the size check, then the
format check: uploads._check_size and uploads._check_format) for the flchain-survival demo
challenge (patient_id + risk, max_mb 5). Files:
- ordinary: a plain 200-row submission (the baseline; it is accepted);
- header-fields: a ~19 KB gzip whose header has 10 million fields;
- column-names: a gzip whose header has 1 million distinct column names;
- gzip-bomb: a ~200 KB gzip that expands to 100 MB.
Each case runs in a fresh Python process, after one warm-up check of the ordinary file (so the
imports and first-call caches are not counted). Printed per case: the answer (HTTP status and
message), wall and CPU time of the check in ms (the best of --repeats runs), and the extra peak
memory in MB: the growth of the process's peak RSS (ru_maxrss) over the check, which counts
memory allocated in C (zlib, the pandas parser) that tracemalloc would miss. Then one JSON line
per case. Targets: every hostile file refused with a 400 in under 200 ms and 50 MB.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHALLENGE = ROOT / "challenges" / "flchain-survival"
MB = 2**20
CASES = ("ordinary", "header-fields", "column-names", "gzip-bomb")


def build(case: str) -> bytes:
    """Return the uploaded bytes of a case."""
    if case == "ordinary":
        rows = "".join(f"P{i:05d},{(i * 37 % 1000) / 1000:.3f}\n" for i in range(200))
        return ("patient_id,risk\n" + rows).encode()
    if case == "header-fields":
        return gzip.compress(b"a," * (10_000_000 - 1) + b"a\nP00001,0.5\n", 9)
    if case == "column-names":
        header = ",".join(f"col{i}" for i in range(1_000_000))
        return gzip.compress(f"{header}\nP00001,0.5\n".encode(), 9)
    if case == "gzip-bomb":
        rows = b"P00004,0.37\n" * (100 * MB // 12)
        return gzip.compress(b"patient_id,risk\n" + rows, 9)
    raise ValueError(case)


def bench_challenge():
    """Return an unsaved Challenge row of the demo challenge, as the upload sees it."""
    import yaml

    from ultrathon.platform.models import Challenge
    from ultrathon.spec import parse_spec

    spec = parse_spec(yaml.safe_load((CHALLENGE / "challenge.yaml").read_text()))
    return Challenge(id=1, slug=spec.slug, content_hash="bench", spec=spec.model_dump(mode="json"))


def web_check(challenge, data: bytes) -> tuple[int, str]:
    """Run the upload's web-side file checks; return the HTTP status and message it answers."""
    from ultrathon.platform.submissions.errors import SubmissionRefused
    from ultrathon.platform.submissions.uploads import _check_format, _check_size

    try:
        _check_size(challenge, data)
        _check_format(challenge, data)
    except SubmissionRefused as refused:
        return refused.status, refused.detail
    return 202, "accepted"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def run_case(path: Path, repeats: int) -> dict:
    """Check one file in this (fresh) process and return the figures."""
    challenge = bench_challenge()
    web_check(challenge, build("ordinary"))  # warm-up: imports, spec cache
    data = path.read_bytes()
    before = peak_rss_mb()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        status, message = web_check(challenge, data)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return {
        "status": status,
        "message": message,
        "upload_kb": round(len(data) / 1024, 1),
        "wall_ms": round(min(walls), 1),
        "cpu_ms": round(min(cpus), 1),
        "extra_peak_rss_mb": round(peak_rss_mb() - before, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per case (the best is printed)")
    parser.add_argument("--case", choices=CASES, nargs="*", default=list(CASES))
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_case(args.child, args.repeats)))
        return

    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.case:
            path = Path(tmp) / case
            path.write_bytes(build(case))
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(path), "--repeats", str(args.repeats)],
                check=True, capture_output=True, text=True,
            ).stdout
            figures.append({"case": case, **json.loads(out.strip().splitlines()[-1])})

    print(f"{'case':<14} {'upload':>9} {'status':>6} {'wall ms':>8} {'cpu ms':>7} {'+peak MB':>9}  message")
    for f in figures:
        message = f["message"] if len(f["message"]) <= 110 else f["message"][:109] + "…"
        print(f"{f['case']:<14} {f['upload_kb']:>7.1f}KB {f['status']:>6} {f['wall_ms']:>8.1f} {f['cpu_ms']:>7.1f} "
              f"{f['extra_peak_rss_mb']:>9.1f}  {message}")
    for f in figures:
        print(json.dumps(f))


if __name__ == "__main__":
    main()
