"""The platform (`ultrathon up`) and two `ultrathon agent` processes on loopback, treated roughly.

Kill -9, stop both, restart, a result posted twice, a revoked token, a wrong solution: every
submission still ends scored exactly once, the private split stays hidden before the close,
and the platform's database holds no label.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT
from tests.e2e.test_up import free_port, get
from tests.platform.agent_support import SLUG, SOLUTION, write_agent_folder

pytestmark = pytest.mark.slow
LEASE_S = "2"


@contextmanager
def running_up(tmp: Path):
    """Run `ultrathon up` on SQLite and an embedded Redis, with two-second leases; yield (env, base URL)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "TEST_DATABASE_URL")}
    env.update({"ULTRATHON_INSTANCE": str(tmp / "instance"), "ULTRATHON_ENV": "development", "PYTHONPATH": str(ROOT),
                "ULTRATHON_AGENT_LEASE_S": LEASE_S, "ULTRATHON_AGENT_MAX_LEASES": "10"})
    port = free_port()
    up = subprocess.Popen([sys.executable, "-m", "ultrathon.cli", "up", "--port", str(port), "--workers", "1"],
                          env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and get(base + "/readyz")[0] != 200:
        time.sleep(0.3)
    try:
        yield env, base
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(timeout=60)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    """Start the platform with the agent-scored demo loaded and a data holder's folder beside it."""
    tmp = tmp_path_factory.mktemp("agents-up")
    with running_up(tmp) as (env, base):
        folder = write_agent_folder(tmp / "platform")
        cli(env, "challenges", "load", str(folder))
        holder = write_agent_folder(tmp / "holder")
        (holder / "solution.csv").write_bytes(SOLUTION)
        yield {"env": env, "base": base, "holder": holder, "tmp": tmp, "db": tmp / "instance" / "ultrathon.db"}


def cli(env, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "ultrathon.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def helper(env, *args: str):
    done = subprocess.run([sys.executable, "-m", "tests.e2e.agent_platform", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def new_token(platform, name: str) -> str:
    return cli(platform["env"], "agents", "create", "--challenge", SLUG, "--name", name).strip().splitlines()[-1]


def start_agent(platform, token: str, folder: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ultrathon.cli", "agent", "--url", platform["base"], "--token", token,
                             str(folder or platform["holder"])], env=platform["env"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(platform, done, timeout: float = 40):
    deadline = time.monotonic() + timeout
    while True:
        state = helper(platform["env"], "state", SLUG)
        if done(state) or time.monotonic() > deadline:
            return state
        time.sleep(0.5)


def scoring_started(platform) -> bool:
    with sqlite3.connect(platform["db"]) as conn:
        return conn.execute("SELECT count(*) FROM submission WHERE status = 'scoring'").fetchone()[0] > 0


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        process.wait(timeout=30)


def test_two_agents_killed_stopped_restarted_and_revoked_score_every_submission_once(platform):
    first, second = new_token(platform, "first"), new_token(platform, "second")
    ids = helper(platform["env"], "submit", SLUG, "6")
    a = start_agent(platform, first)
    deadline = time.monotonic() + 30
    while not scoring_started(platform) and time.monotonic() < deadline:
        time.sleep(0.02)
    a.send_signal(signal.SIGKILL)  # mid-lease: its lease expires in two seconds
    a.wait()
    b = start_agent(platform, second)
    a = start_agent(platform, first)
    wait_for(platform, lambda s: sum(r["status"] == "scored" for r in s.values()) >= 2)
    stop(a)
    stop(b)  # both stopped for a while: the rest wait, nothing is lost
    time.sleep(3)
    more = helper(platform["env"], "submit", SLUG, "4")
    a, b = start_agent(platform, first), start_agent(platform, second)
    while not scoring_started(platform) and time.monotonic() < deadline + 30:
        time.sleep(0.02)
    cli(platform["env"], "agents", "revoke", "1")  # the first token, mid-lease
    assert a.wait(timeout=30) == 1 and "refused the agent token" in a.stdout.read()
    state = wait_for(platform, lambda s: all(r["status"] == "scored" for r in s.values()))
    stop(b)
    assert sorted(state, key=int) == [str(i) for i in ids + more]
    for row in state.values():
        assert row["status"] == "scored" and row["scored_events"] == 1 and row["scores"] == 2
        assert row["api_public"] is not None and row["api_private"] is None  # hidden until the close


def test_a_result_posted_twice_is_stored_once(platform):
    token = new_token(platform, "twice")
    (sid,) = helper(platform["env"], "submit", SLUG, "1")
    headers = {"Authorization": f"Bearer {token}"}
    job = None
    for _ in range(20):  # the other agents are stopped: this lease gets the new submission
        answer = requests.post(platform["base"] + "/api/v1/agent/lease", json={"wait": 5}, headers=headers, timeout=30)
        if answer.status_code == 200 and answer.json()["submission_id"] == sid:
            job = answer.json()
            break
    assert job is not None
    from tests.platform.agent_support import PIN
    from ultrathon.agent import load_folders
    from ultrathon.scorers.report import report_to_wire
    from ultrathon.sealed import score_sealed

    held = load_folders([platform["holder"]])[SLUG]
    content = requests.get(job["submission_url"], headers=headers, timeout=30).content
    body = {"solution_sha256": PIN, "report": report_to_wire(score_sealed(held.spec, content, held.solution, held.scorer_source))}
    stored = [requests.post(job["result_url"], json=body, headers=headers, timeout=30).json()["stored"] for _ in range(2)]
    assert stored == [True, False]
    assert helper(platform["env"], "state", SLUG)[str(sid)]["scored_events"] == 1


def test_an_agent_holding_another_solution_stops_with_one_line(platform):
    rows = SOLUTION.decode().splitlines()
    other = write_agent_folder(platform["tmp"] / "other")
    (other / "solution.csv").write_text("\n".join([rows[0], rows[1].replace(",0,", ",1,"), *rows[2:]]) + "\n")
    agent = start_agent(platform, new_token(platform, "other"), other)
    output, _ = agent.communicate(timeout=60)
    assert agent.returncode == 1
    (line,) = output.strip().splitlines()
    assert line.startswith("Error: ") and "not the pinned one" in line


def assert_no_label(database: Path) -> None:
    """Fail if the SQLite file's dump holds the demo solution's labels: an id beside its label, or labels in order."""
    with sqlite3.connect(database) as conn:
        dump = "\n".join(conn.iterdump())
    assert "P00004" in dump  # the dump is readable: the ids are there, from the sample submission
    rows = [line.split(",") for line in SOLUTION.decode().splitlines()[1:]]
    # An id next to its label (not next to a probability like 0.5), and the labels in order.
    leaks = [f"{pid},{label}" for pid, label, _ in rows if re.search(rf"{pid}\W{{1,3}}{label}(?![\d.])", dump)]
    assert leaks == []
    labels = [label for _, label, _ in rows]
    for sep in (",", ", ", "\\n"):
        assert sep.join(labels[:40]) not in dump


def test_the_platform_database_holds_no_label(platform):
    assert_no_label(platform["db"])
