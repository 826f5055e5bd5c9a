"""Two sites, two `ultrathon agent` processes beside `ultrathon up`, each holding only its own rows' solution.

Pending while one site has reported, scored once with both sites and their mean after the other,
still once after a kill -9 mid-lease, a site agent with the other site's solution stops with one
line, and the platform's database holds no label of either site.
"""

from __future__ import annotations

import io
import signal
import time

import pandas as pd
import pytest
import requests
from sqlalchemy import text

from tests.e2e.test_agent_processes import assert_no_label, cli, helper, running_up, servers, stop  # noqa: F401 (servers: a fixture)
from tests.platform.agent_support import SLUG, SOLUTION, site_rows, write_site_folder

pytestmark = pytest.mark.slow
SITES = ("odense", "stockholm")
_IDS = pd.read_csv(io.BytesIO(SOLUTION), dtype=str).iloc[:, 0].tolist()
SITE_IDS = {"odense": _IDS[: len(_IDS) // 2], "stockholm": _IDS[len(_IDS) // 2:]}


@pytest.fixture(scope="module")
def platform(servers, tmp_path_factory):
    """Start the platform with the two-site demo loaded, and one holder's folder per site (its rows only)."""
    tmp = tmp_path_factory.mktemp("sites-up")
    with running_up(tmp, servers) as (env, base, engine):
        cli(env, "challenges", "load", str(write_site_folder(tmp / "platform", SITE_IDS)))
        holders = {}
        for site, ids in SITE_IDS.items():
            holders[site] = write_site_folder(tmp / site, SITE_IDS)
            (holders[site] / "solution.csv").write_bytes(site_rows(SOLUTION, ids))
        tokens = {site: cli(env, "agents", "create", "--challenge", SLUG, "--site", site, "--name", site)
                  .strip().splitlines()[-1] for site in SITES}
        started: list = []
        try:
            yield {"env": env, "base": base, "holders": holders, "tokens": tokens, "started": started, "db": engine}
        finally:
            for agent in started:  # a failed test leaves none running
                stop(agent, signal.SIGKILL)


def start_agent(platform, site: str, folder=None):
    import subprocess
    import sys

    from tests.conftest import ROOT

    agent = subprocess.Popen([sys.executable, "-m", "ultrathon.cli", "agent", "--url", platform["base"], "--token",
                              platform["tokens"][site], str(folder or platform["holders"][site])],
                             env=platform["env"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    platform["started"].append(agent)
    return agent


def board(platform) -> dict:
    return requests.get(f"{platform['base']}/api/v1/challenges/{SLUG}/leaderboard", timeout=30).json()


def until(fetch, done=bool, timeout: float = 30):
    """Fetch until `done` holds of the value or the time is up; return the last value."""
    deadline = time.monotonic() + timeout
    while not done(value := fetch()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return value


def site_leased(platform, site: str) -> bool:
    with platform["db"].connect() as conn:
        return conn.execute(text("SELECT count(*) FROM agent_lease WHERE site = :site AND ended_at IS NULL"),
                            {"site": site}).scalar_one() > 0


def test_each_site_scores_its_rows_once_and_the_board_waits_for_both(platform):
    ids = helper(platform["env"], "submit", SLUG, "4")
    odense = start_agent(platform, "odense")
    assert until(lambda: site_leased(platform, "odense"))
    odense.send_signal(signal.SIGKILL)  # mid-lease: the job is leased again after two seconds
    odense.wait()
    odense = start_agent(platform, "odense")
    document = until(lambda: board(platform), lambda d: len(d["pending"]) == len(ids), 40)
    assert document["entries"] == [] and document["sites"] == list(SITES)
    for pending in document["pending"]:
        assert pending["rank"] is None and pending["sites"]["stockholm"] == "pending"
        assert pending["sites"]["odense"]["n_rows"] > 0
    assert all(r["status"] != "scored" for r in helper(platform["env"], "state", SLUG).values())

    stockholm = start_agent(platform, "stockholm")
    assert until(lambda: site_leased(platform, "stockholm"))
    stockholm.send_signal(signal.SIGKILL)
    stockholm.wait()
    stockholm = start_agent(platform, "stockholm")
    state = until(lambda: helper(platform["env"], "state", SLUG), lambda s: all(r["status"] == "scored" for r in s.values()), 40)
    stop(odense)
    stop(stockholm)
    assert sorted(state, key=int) == [str(i) for i in ids]
    for row in state.values():
        assert row["scored_events"] == 1 and row["scores"] == 2  # once, public and private
    document = board(platform)
    assert document["pending"] == [] and len(document["entries"]) == len(ids)
    for entry in document["entries"]:
        values = [entry["sites"][s]["score"] for s in SITES]
        assert entry["rank"] is not None and entry["score"] == pytest.approx(sum(values) / 2, abs=1e-4)
        assert sum(entry["sites"][s]["n_rows"] for s in SITES) > 0


def test_a_site_agent_holding_the_other_sites_solution_stops_with_one_line(platform):
    helper(platform["env"], "submit", SLUG, "1")  # a job of odense's for the agent to lease
    agent = start_agent(platform, "odense", platform["holders"]["stockholm"])
    output, _ = agent.communicate(timeout=60)
    assert agent.returncode == 1
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    (line,) = lines
    assert line.startswith("Error: ") and "site odense" in line and "site stockholm's" in line


def test_the_platform_database_holds_no_label_of_either_site(platform):
    assert_no_label(platform["db"])
