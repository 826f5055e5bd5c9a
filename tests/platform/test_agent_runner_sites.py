"""The runner's site code (ultrathon/agent.py) against the real app: it scores its own rows and sends its ids."""

from __future__ import annotations

import io

import pandas as pd
import requests

from tests.platform.agent_support import SITE_IDS, SITE_SOLUTIONS, SLUG, sample_of
from tests.platform.test_agent_sites import board
from ultrathon.agent import Agent, load_folders, own_rows
from ultrathon.platform.agents.models import AgentSiteJob
from ultrathon.platform.extensions import db

BASE = "http://platform.test"


class AppAdapter(requests.adapters.BaseAdapter):
    """Carry the agent's requests to the app's test client: the real routes, without a socket."""

    def __init__(self, client):
        super().__init__()
        self.client = client

    def send(self, request, **kwargs):
        answer = self.client.open(request.path_url, method=request.method, headers=dict(request.headers),
                                  data=request.body)
        response = requests.Response()
        response.status_code, response.url, response.request = answer.status_code, request.url, request
        response.headers.update(answer.headers)
        response._content = answer.get_data()
        return response

    def close(self):
        pass


def site_folder(tmp_path, site: str):
    """Return the challenge folder as a site's data holder keeps it: with that site's solution."""
    folder = tmp_path / "mean" / "agent-challenges" / SLUG
    (folder / "solution.csv").write_bytes(SITE_SOLUTIONS[site])
    return folder


def test_a_site_folder_knows_its_site_and_its_own_ids(site_challenge, tmp_path):  # noqa: F811
    site_challenge()
    held = load_folders([site_folder(tmp_path, "copenhagen")])[SLUG]
    assert held.site == "copenhagen" and sorted(held.ids) == sorted(SITE_IDS["copenhagen"])


def test_own_rows_keeps_the_header_and_only_the_sites_rows(site_challenge, tmp_path):  # noqa: F811
    challenge = site_challenge()
    held = load_folders([site_folder(tmp_path, "odense")])[SLUG]
    whole = pd.read_csv(io.BytesIO(sample_of(challenge)), dtype=str).sample(frac=1, random_state=0)  # any order
    rows = pd.read_csv(io.BytesIO(own_rows(whole.to_csv(index=False).encode(), held)), dtype=str)
    assert list(rows.columns) == list(whole.columns)
    assert sorted(rows[challenge.settings.data.id_column]) == sorted(SITE_IDS["odense"])
    assert own_rows(b"wrong,header\n1,2\n", held) == b"wrong,header\n1,2\n"  # the scorer says what is wrong


def test_the_runner_scores_its_sites_rows_and_sends_its_ids(client, site_challenge, agent_token, make_submission, tmp_path):  # noqa: F811
    challenge = site_challenge()
    _, headers = agent_token(challenge, name="odense", site="odense")
    submission = make_submission(challenge)
    agent = Agent(BASE, headers["Authorization"].split()[1], load_folders([site_folder(tmp_path, "odense")]))
    agent.http.mount("http://", AppAdapter(client))  # the job's URLs name the app's own host

    assert agent.run_once(wait=0) is True
    db.session.expire_all()
    job = db.session.get(AgentSiteJob, (submission.id, "odense"))
    assert job is not None and job.done_at is not None  # the platform took the ids as exactly odense's
    # Scored on odense's rows only: fewer than the whole file's, which holds both sites' rows.
    assert 0 < job.scores["public"]["n_rows"] + job.scores["private"]["n_rows"] <= len(SITE_IDS["odense"])
    (pending,) = board(client, challenge)["pending"]
    assert pending["sites"]["copenhagen"] == "pending" and pending["sites"]["odense"] != "pending"
    assert agent.run_once(wait=0) is False  # odense's job is done; copenhagen's is not its to take
