"""Benchmark agent scoring against the platform's workers: upload -> scored, and a burst on two agents.

Prints a table, then one JSON line per figure. Run: .venv/bin/python bench/agents.py
It starts its own instance as bench/pipeline.py does (SQLite and an embedded Redis in a temporary
folder unless DATABASE_URL or REDIS_URL name real servers), a real `ultrathon worker --processes 2`,
`ultrathon web` on loopback and real `ultrathon agent` processes holding the solution.
One 200-row binary challenge with 1,000 bootstrap resamples, loaded twice from the same data:
once scored by the platform's workers, once by an agent (no solution on the platform, a pinned
fingerprint). Uploads call the API's own service (accept_submission) in this process, as
bench/pipeline.py does; scored is when the live-events channel says so. Figures:
- upload -> scored latency p50 and p95 over 50 uploads to each, one after another and alternated
  so that both paths meet the same load on the machine, with one agent running;
- the agent path's extra latency at the median (target <= 100 ms);
- how fast the idle agent answers a new upload: upload -> first lease, p50 and p95 over the same
  uploads (target <= 100 ms at the median; the long poll is woken through Redis);
- a burst of 200 uploads to the agent challenge with two agents running: throughput, and how
  many ended scored exactly once (target 200: one scored event, one result stored, each).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pipeline import (  # noqa: E402  (it also pins one thread per process before numpy loads)
    Events, percentile, print_figures, record, start_worker, stop, wait_for_workers, write_challenge,
)

PLATFORM_SLUG, AGENT_SLUG = "agents-bench-platform", "agents-bench-agent"


def write_agent_challenge(root: Path, rows: int) -> tuple[Path, Path, bytes]:
    """Write the agent-scored copy of the challenge: the platform's folder, the holder's, and a prediction file."""
    holder, predictions = write_challenge(root / "holder" / AGENT_SLUG, rows, slug=AGENT_SLUG)
    pin = hashlib.sha256((holder / "solution.csv").read_bytes()).hexdigest()
    with open(holder / "challenge.yaml", "a") as spec:
        spec.write(f"scoring: {{where: agent, solution_sha256: '{pin}'}}\n")
    platform = root / "platform" / AGENT_SLUG
    shutil.copytree(holder, platform)
    (platform / "solution.csv").unlink()  # the platform never holds it
    return platform, holder, predictions


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_web(env: dict, port: int, log: Path) -> subprocess.Popen:
    """Start `ultrathon web` on loopback and wait until it answers /readyz (database, Redis, a worker)."""
    import requests

    with open(log, "ab") as out:
        web = subprocess.Popen([sys.executable, "-m", "ultrathon.cli", "web", "--port", str(port), "--web-workers", "2"],
                               env=env, start_new_session=True, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    return web
            except requests.RequestException:  # not listening yet, or too busy starting to answer
                pass
            time.sleep(0.3)
        raise SystemExit(f"`ultrathon web` did not answer /readyz within 90 s; see {log}")
    except BaseException:  # the caller never sees it: stop it here, or it outlives the bench
        stop(web)
        raise


def start_agent(env: dict, url: str, token: str, holder: Path, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "ultrathon.cli", "agent", "--url", url, "--token", token, str(holder)],
                                env=env, start_new_session=True, stdout=out, stderr=subprocess.STDOUT)


def new_agent_token(challenge, name: str) -> str:
    from ultrathon.platform.agents.tokens import create_agent_token
    from ultrathon.platform.extensions import db

    _, secret = create_agent_token([challenge], name)
    db.session.commit()
    return secret


def alternated(upload_platform, upload_agent, events: Events, count: int) -> tuple[list[float], list[float], list[int]]:
    """Upload to each challenge in turn, each waited for until scored; return both paths' latencies and the agent's ids."""
    latencies: dict[str, list[float]] = {"platform": [], "agent": []}
    agent_ids: list[int] = []
    for i in range(2 * count):
        # Which path goes first swaps every pair, so neither always follows the other.
        path = ("platform", "agent")[(i + i // 2) % 2]
        start = time.perf_counter()
        sid = (upload_platform if path == "platform" else upload_agent)()
        events.wait({sid}, 120)
        latencies[path].append(events.finished[sid][0] - start)
        if path == "agent":
            agent_ids.append(sid)
    return latencies["platform"], latencies["agent"], agent_ids


def lease_waits(ids: list[int]) -> list[float]:
    """Return, per submission, the seconds from its upload to its first lease: how fast an idle agent answers."""
    from ultrathon.platform.agents.models import AgentLease
    from ultrathon.platform.extensions import db
    from ultrathon.platform.models import Submission

    db.session.expire_all()
    first = dict(db.session.execute(db.select(AgentLease.submission_id, db.func.min(AgentLease.leased_at))
                                    .where(AgentLease.submission_id.in_(ids)).group_by(AgentLease.submission_id)).all())
    created = dict(db.session.execute(db.select(Submission.id, Submission.created_at).where(Submission.id.in_(ids))).all())
    return [(first[sid] - created[sid]).total_seconds() for sid in ids if sid in first]


def scored_once(ids: list[int], timeout: float = 30) -> tuple[int, dict[str, int]]:
    """Return how many submissions ended scored with one scored event and one stored result, and each agent's share."""
    deadline = time.monotonic() + timeout
    while True:
        once, by_agent = _count_once(ids)
        # The scored event goes out just before the agent's result row commits: look again for
        # a moment. A result stored twice never becomes once, so this cannot hide one.
        if once == len(ids) or time.monotonic() > deadline:
            return once, by_agent
        time.sleep(0.5)


def _count_once(ids: list[int]) -> tuple[int, dict[str, int]]:
    from ultrathon.platform.extensions import db
    from ultrathon.platform.models import AuditEvent, Submission

    db.session.rollback()  # a fresh snapshot, with what the web and the workers committed since
    status = dict(db.session.execute(db.select(Submission.id, Submission.status).where(Submission.id.in_(ids))).all())
    counts: dict[tuple[str, str], int] = {}
    by_agent: dict[str, int] = {}
    for action, target, detail in db.session.execute(
        db.select(AuditEvent.action, AuditEvent.target_id, AuditEvent.detail)
        .where(AuditEvent.action.in_(["submission.scored", "agent.result"]), AuditEvent.target_type == "submission",
               AuditEvent.target_id.in_([str(i) for i in ids]))
    ).all():
        if action == "submission.scored" or (detail or {}).get("stored"):
            counts[(action, target)] = counts.get((action, target), 0) + 1
        if action == "agent.result" and (detail or {}).get("stored"):
            by_agent[detail["agent"]] = by_agent.get(detail["agent"], 0) + 1
    once = sum(1 for i in ids if status.get(i) == "scored"
               and counts.get(("submission.scored", str(i))) == 1 and counts.get(("agent.result", str(i))) == 1)
    return once, by_agent


def setup(instance: Path, rows: int):
    """Load both challenges, add a team on each; return them, the user, the holder's folder and the file."""
    from ultrathon.platform.auth.service import create_user
    from ultrathon.platform.challenges.loader import load_challenge_folder
    from ultrathon.platform.extensions import db
    from ultrathon.platform.models import Challenge
    from ultrathon.platform.teams.service import create_team

    platform_folder, predictions = write_challenge(instance / "platform" / PLATFORM_SLUG, rows, slug=PLATFORM_SLUG)
    agent_folder, holder, agent_predictions = write_agent_challenge(instance, rows)
    assert agent_predictions == predictions  # the same data and the same file on both paths
    for folder in (platform_folder, agent_folder):
        load_challenge_folder(folder)
    user = create_user("bench@example.org", "Bench", "a long enough password")
    db.session.commit()
    challenges = {}
    for slug in (PLATFORM_SLUG, AGENT_SLUG):
        challenges[slug] = db.session.execute(db.select(Challenge).where(Challenge.slug == slug)).scalar_one()
        create_team(challenges[slug], user, f"Bench team {slug}", accept=True)
    return challenges[PLATFORM_SLUG], challenges[AGENT_SLUG], user, holder, predictions


def measure(args, instance: Path, url: str, env: dict) -> dict:
    """Run the alternated latencies on one agent, then the burst on two; return the raw figures."""
    from ultrathon.platform.submissions.uploads import accept_submission

    platform, agent_challenge, user, holder, predictions = setup(instance, args.rows)
    agents = [start_agent(env, url, new_agent_token(agent_challenge, "bench-first"), holder, instance / "agent-1.log")]
    try:
        events = Events()

        def to_platform() -> int:
            return accept_submission(platform, user, predictions, "predictions.csv").id

        def to_agent() -> int:
            return accept_submission(agent_challenge, user, predictions, "predictions.csv").id

        # Each worker's first fork and the agent's sealed scorer warm up before the clock runs.
        events.wait({to_platform() for _ in range(2 * args.workers)} | {to_agent() for _ in range(3)}, 300)
        on_platform, on_agent, agent_ids = alternated(to_platform, to_agent, events, args.submissions)
        waits = lease_waits(agent_ids)
        agents.append(start_agent(env, url, new_agent_token(agent_challenge, "bench-second"), holder, instance / "agent-2.log"))
        events.wait({to_agent() for _ in range(3)}, 120)  # the second agent's first jobs, also warm-up

        burst_start = time.perf_counter()
        burst = [to_agent() for _ in range(args.burst)]
        uploaded = time.perf_counter() - burst_start
        events.wait(set(burst), 900)
        burst_end = max(events.finished[sid][0] for sid in burst)
        once, by_agent = scored_once(burst)
    finally:
        for agent in agents:
            stop(agent)
    return {"platform": on_platform, "agent": on_agent, "lease_waits": waits, "throughput": args.burst / (burst_end - burst_start),
            "uploaded": uploaded, "once": once, "by_agent": by_agent}


def run(args, instance: Path) -> None:
    os.environ.setdefault("ULTRATHON_INSTANCE", str(instance))
    os.environ.setdefault("ULTRATHON_ENV", "development")
    os.environ["ULTRATHON_SWEEP_INTERVAL"] = "30"

    from flask_migrate import upgrade

    from ultrathon.platform.app import create_app
    from ultrathon.platform.config import load_settings
    from ultrathon.platform.queueing import stop_embedded_redis
    from ultrathon.platform.supervisor import ensure_redis

    load_at_start = os.getloadavg()[0]
    settings, embedded = ensure_redis(load_settings())  # exports REDIS_URL for the processes below
    app = create_app({"ULTRATHON": settings})
    port = free_port()
    processes = []
    try:
        with app.app_context():
            upgrade()
            env = os.environ.copy()
            processes.append(start_worker(env, args.workers, instance / "worker.log"))
            wait_for_workers(args.workers)
            processes.append(start_web(env, port, instance / "web.log"))
            figures = measure(args, instance, f"http://127.0.0.1:{port}", env)
    finally:
        for process in processes:
            stop(process)
        if embedded is not None:
            stop_embedded_redis(embedded)
    report(args, figures, load_at_start)


def report(args, figures: dict, load_at_start: float) -> None:
    label = f"{args.rows}-row binary, bootstrap 1000"
    for path, who in (("platform", f"the platform's {args.workers} workers"), ("agent", "one agent")):
        latencies = figures[path]
        record(f"upload -> scored p50, {who} ({label}), {len(latencies)} alternated", percentile(latencies, 50) * 1000, "ms",
               note=f"p95 {percentile(latencies, 95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
        record(f"upload -> scored p95, {who}", percentile(latencies, 95) * 1000, "ms")
    extra = statistics.median(figures["agent"]) - statistics.median(figures["platform"])
    record("agent path extra latency: p50 agent - p50 platform", extra * 1000, "ms", "<= 100 ms")
    waits = figures["lease_waits"]
    record(f"idle agent: upload -> leased p50, {len(waits)} uploads", percentile(waits, 50) * 1000, "ms", "<= 100 ms",
           note=f"p95 {percentile(waits, 95) * 1000:.0f} ms (the long poll is woken through Redis)")
    record(f"burst of {args.burst} to the agent challenge, two agents: throughput", figures["throughput"], "submissions/s",
           note=f"uploads took {figures['uploaded']:.1f} s; results stored by agent: {figures['by_agent']}")
    record(f"burst of {args.burst}: ended scored exactly once", figures["once"], "count", f"{args.burst}",
           note=f"{args.burst - figures['once']} not (status scored, one scored event, one stored result)")
    # Other processes on the machine take cores from the workers and the agents alike.
    record("machine load average (1 min) at start / at end", load_at_start, "processes",
           note=f"at end {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores")
    print_figures()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--submissions", type=int, default=50, help="uploads to each challenge, alternated")
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ultrathon-bench-agents-") as tmp:
        run(args, Path(tmp))


if __name__ == "__main__":
    main()
