"""The platform (`ultrathon up`) and two `ultrathon agent` processes on loopback, treated roughly.

Kill -9, stop both, restart, a result posted twice, a revoked token, a wrong solution: every
submission still ends scored exactly once, the private split stays hidden before the close,
and the platform's database holds no label. On SQLite and an embedded Redis by default; when
TEST_DATABASE_URL and REDIS_URL name servers (CI's second leg), on a database and a Redis
database of their own there.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
import requests
from sqlalchemy import create_engine, inspect, text

from tests.conftest import ROOT
from tests.e2e.test_up import free_port, get
from tests.platform.agent_support import SLUG, SOLUTION, write_agent_folder
from ultrathon.platform.config import _check_database_url

pytestmark = pytest.mark.slow
LEASE_S = "2"
E2E_DATABASE = "ultrathon_agents_e2e"  # beside the suite's own database, which its tests empty
E2E_REDIS_DB = 12  # likewise a Redis database of its own


@contextmanager
def _own_database(server_url: str):
    """Create a fresh database of this module's own on the suite's PostgreSQL server; yield its URL, then drop it."""
    admin = create_engine(_check_database_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{E2E_DATABASE}" WITH (FORCE)'))  # left by a run that was killed
        conn.execute(text(f'CREATE DATABASE "{E2E_DATABASE}"'))
    try:
        yield urlunparse(urlparse(server_url)._replace(path="/" + E2E_DATABASE))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{E2E_DATABASE}" WITH (FORCE)'))
        admin.dispose()


def _own_redis(server_url: str) -> str:
    """Return the URL of this module's own Redis database on the suite's server, emptied."""
    import redis

    url = urlunparse(urlparse(server_url)._replace(path=f"/{E2E_REDIS_DB}"))
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(scope="module")
def servers():
    """Yield the database and Redis URLs `ultrathon up` gets: the suite's servers when set, else its SQLite and embedded Redis."""
    urls = {}
    # A server's URL only: an embedded Redis started in this process exports its socket path there.
    if os.environ.get("REDIS_URL", "").startswith(("redis://", "rediss://")):
        urls["REDIS_URL"] = _own_redis(os.environ["REDIS_URL"])
    server = os.environ.get("TEST_DATABASE_URL", "")
    if not server.startswith("postgres"):
        yield urls  # `ultrathon up` makes its SQLite file in its instance folder
    else:
        with _own_database(server) as url:
            yield {**urls, "DATABASE_URL": url}
    if "REDIS_URL" in urls:
        _own_redis(urls["REDIS_URL"])


@contextmanager
def running_up(tmp: Path, servers: dict[str, str]):
    """Run `ultrathon up` on those servers with two-second leases; yield (env, base URL, database engine)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "TEST_DATABASE_URL")}
    env.update({"ULTRATHON_INSTANCE": str(tmp / "instance"), "ULTRATHON_ENV": "development", "PYTHONPATH": str(ROOT),
                "ULTRATHON_AGENT_LEASE_S": LEASE_S, "ULTRATHON_AGENT_MAX_LEASES": "10",
                **servers})
    port = free_port()
    up = subprocess.Popen([sys.executable, "-m", "ultrathon.cli", "up", "--port", str(port), "--workers", "1"],
                          env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and get(base + "/readyz")[0] != 200:
        time.sleep(0.3)
    engine = create_engine(_check_database_url(env.get("DATABASE_URL") or f"sqlite:///{tmp / 'instance' / 'ultrathon.db'}"))
    try:
        yield env, base, engine
    finally:
        engine.dispose()  # before the database is dropped
        up.send_signal(signal.SIGINT)
        up.wait(timeout=60)


@pytest.fixture(scope="module")
def platform(servers, tmp_path_factory):
    """Start the platform with the agent-scored demo loaded and a data holder's folder beside it."""
    tmp = tmp_path_factory.mktemp("agents-up")
    with running_up(tmp, servers) as (env, base, engine):
        folder = write_agent_folder(tmp / "platform")
        cli(env, "challenges", "load", str(folder))
        holder = write_agent_folder(tmp / "holder")
        (holder / "solution.csv").write_bytes(SOLUTION)
        yield {"env": env, "base": base, "holder": holder, "tmp": tmp, "db": engine}


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
    with platform["db"].connect() as conn:
        return conn.execute(text("SELECT count(*) FROM submission WHERE status = 'scoring'")).scalar_one() > 0


def _as_text(value) -> str:
    if isinstance(value, (bytes, memoryview)):  # psycopg may hand bytea back as a memoryview
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def database_dump(engine) -> str:
    """Dump every table's rows as text, with stored files decoded: a label hidden in a blob shows too.

    (SQLite's iterdump and pg_dump both print blobs as hex, where a stored solution.csv would pass unseen.)
    """
    lines = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                lines.append(f"{table}\t" + "\t".join(_as_text(value) for value in row))
    return "\n".join(lines)


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


def assert_no_label(engine) -> None:
    """Fail if the database holds the demo solution's labels: an id beside its label, or labels in order."""
    dump = database_dump(engine)
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
