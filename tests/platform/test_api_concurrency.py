"""Parallel API calls against a live server: contention for the database is waited out, never a 5xx."""

from __future__ import annotations

import os
import subprocess
import threading
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.conftest import PASSWORD, _free_port, _stop_process, _wait_for_http
from ultrathon.platform.auth.service import hash_password
from ultrathon.platform.extensions import db
from ultrathon.platform.models import Submission, User, utcnow
from ultrathon.platform.supervisor import gunicorn_argv

SLUG = "breast-cancer-diagnosis"
SUBMISSIONS = f"/api/v1/challenges/{SLUG}/submissions"
PARALLEL_REQUESTS = 50
UPLOADING_TEAMS = 20
WEB_WORKERS = 2  # as `ultrathon web` and `ultrathon up` run by default: two processes, greenlets in each

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(app, test_env, tmp_path_factory):
    """The app served by gunicorn with the default number of web processes; yields its URL and log."""
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "stderr.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(gunicorn_argv("127.0.0.1", port, WEB_WORKERS), env={**os.environ, **test_env},
                                   start_new_session=True, stdout=subprocess.DEVNULL, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_http(url, process, timeout=120)  # two processes importing pandas on a busy machine
        yield url, log
    finally:
        _stop_process(process)


def _all_at_once(calls: list) -> list[object]:
    """Run every call in a thread of its own, released together; return what each answered."""
    start = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        start.wait(timeout=30)
        try:
            response = calls[i]()
            # A 5xx keeps its body, so the failure says what the server answered.
            outcomes[i] = response.status_code if response.status_code < 500 else (response.status_code, response.text[:200])
        except requests.RequestException as error:  # a dropped or timed-out call is no pass either
            outcomes[i] = repr(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def _server_errors(log: Path) -> str:
    lines = [line for line in log.read_text().splitlines() if "Error" in line or "WORKER TIMEOUT" in line]
    return "\n".join(lines[-10:])


def test_fifty_parallel_requests_on_a_fresh_token_all_answer(server, make_open_challenge, make_team, token_for):
    url, log = server
    challenge = make_open_challenge(SLUG)
    # Never used: every request finds no last-used time, so all of them race to write it.
    headers = token_for(make_team(challenge).memberships[0].user)
    db.session.remove()  # the test's own connection stays out of the way

    outcomes = _all_at_once([lambda: requests.get(url + SUBMISSIONS, headers=headers, timeout=60)] * PARALLEL_REQUESTS)

    assert Counter(map(str, outcomes)) == {"200": PARALLEL_REQUESTS}, _server_errors(log)


def test_twenty_teams_uploading_at_once_are_all_accepted(server, make_open_challenge, make_team, token_for):
    url, log = server
    challenge = make_open_challenge(SLUG)
    sample = next(f.content for f in challenge.files if f.name == "sample_submission.csv")
    # One hash for all: hashing twenty passwords would take longer than the uploads.
    password_hash = hash_password(PASSWORD)
    members = [User(email=f"uploader{n}@example.org", name=f"Uploader {n}", password_hash=password_hash, email_verified_at=utcnow())
               for n in range(UPLOADING_TEAMS)]
    db.session.add_all(members)
    db.session.commit()
    tokens = [token_for(make_team(challenge, members=[member]).memberships[0].user) for member in members]
    db.session.remove()

    def uploader(headers: dict[str, str]):
        return lambda: requests.post(url + SUBMISSIONS, headers=headers, files={"file": ("p.csv", sample)}, timeout=60)

    outcomes = _all_at_once([uploader(headers) for headers in tokens])

    assert Counter(map(str, outcomes)) == {"202": UPLOADING_TEAMS}, _server_errors(log)
    stored = db.session.execute(db.select(db.func.count(Submission.id))).scalar_one()
    assert stored == UPLOADING_TEAMS
