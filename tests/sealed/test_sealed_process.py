"""The sealed scoring process on its own: the same report as scoring in-process, limits on its
answer, a dry run at load, and a scoring server that is started again when it dies."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest
import yaml

from ultrathon.challenge_folder import ChallengeInvalid, validate_folder
from ultrathon.scorers import ScoringError, read_solution, read_submission, score
from ultrathon.sealed import CRASH_MESSAGE, SealedFailure, default_scorer, score_sealed
from ultrathon.sealed.confine import SEALED_UID_BASE

DEMO = Path(__file__).resolve().parents[2] / "challenges"


def in_process(challenge, content: bytes):
    solution = read_solution(challenge.solution, challenge.spec)
    predictions = read_submission(content, challenge.spec, solution_ids=solution[challenge.spec.data.id_column])
    return score(predictions, solution, challenge.spec)


@pytest.mark.parametrize("slug", ["breast-cancer-diagnosis", "flchain-survival"])
def test_the_sealed_report_is_the_in_process_report_bit_for_bit(slug):
    challenge = validate_folder(DEMO / slug)
    sample = challenge.public_files[challenge.spec.data.sample_submission]
    sealed = score_sealed(challenge.spec, sample, challenge.solution)
    plain = in_process(challenge, sample)
    assert sealed.fingerprint() == plain.fingerprint()
    assert sealed.to_dict() == plain.to_dict()
    assert sealed.splits["public"].replicates.size == challenge.spec.leaderboard.bootstrap


def custom_folder(tmp_path: Path, source: str, scoring: dict | None = None) -> Path:
    folder = tmp_path / "custom-metric"
    shutil.copytree(DEMO / "breast-cancer-diagnosis", folder)
    raw = yaml.safe_load((folder / "challenge.yaml").read_text())
    raw.update(slug="custom-metric", metrics={"primary": "custom", "custom": "scorer.py:score"},
               leaderboard={"decimals": 4, "bootstrap": 0}, scoring={"timeout_s": 30, **(scoring or {})})
    (folder / "challenge.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    (folder / "scorer.py").write_text(source)
    return folder


def test_a_report_over_the_output_limit_is_refused_unread(tmp_path):
    folder = custom_folder(tmp_path, "def score(solution, submission, row_id_column_name):\n    return 0.5\n")
    challenge = validate_folder(folder)
    hostile = ("import os, struct\n"
               "def score(solution, submission, row_id_column_name):\n"
               "    os.write(3, struct.pack('>Q', 2**40))\n"
               "    os._exit(0)\n")
    sample = challenge.public_files["sample_submission.csv"]
    with pytest.raises(SealedFailure) as failure:
        score_sealed(challenge.spec, sample, challenge.solution, hostile)
    assert failure.value.message == "the challenge's scoring program returned no valid result; the organisers have been told"
    assert "over scoring.max_output_mb (16 MB)" in failure.value.detail


def test_the_loader_dry_runs_a_custom_metric_sealed_and_refuses_one_that_fails(tmp_path):
    folder = custom_folder(tmp_path, (
        "def score(solution, submission, row_id_column_name):\n"
        "    return float(len(open('/etc/passwd').read()))\n"))
    with pytest.raises(ChallengeInvalid) as refused:
        validate_folder(folder)
    message = str(refused.value)
    assert f"{folder / 'scorer.py'}:1: (file): the custom metric failed on sample_submission.csv: FileNotFoundError" in message
    assert "root:" not in message


def test_the_loader_refuses_a_custom_metric_that_runs_out_of_time(tmp_path):
    folder = custom_folder(tmp_path, "def score(solution, submission, row_id_column_name):\n    while True:\n        pass\n",
                           scoring={"timeout_s": 5})
    with pytest.raises(ChallengeInvalid) as refused:
        validate_folder(folder)
    assert "exceeded its time limit of 5 s" in str(refused.value)


@pytest.fixture
def demo():
    """Return the binary demo challenge, its sample submission and this process's running scorer."""
    challenge = validate_folder(DEMO / "breast-cancer-diagnosis")
    scorer = default_scorer()
    scorer.ensure_running()
    return challenge, challenge.public_files["sample_submission.csv"], scorer


def test_a_scoring_server_that_died_is_started_again(demo):
    challenge, sample, scorer = demo
    first = scorer._process.pid
    scorer._process.kill()
    scorer._process.wait()
    report = score_sealed(challenge.spec, sample, challenge.solution)
    assert report.splits["public"].n_rows > 0 and scorer._process.pid != first


def server_children(server_pid: int, ended: bool = False) -> set[int]:
    """Return the ids of the processes whose parent is the scoring server (with `ended`, the unreaped too)."""
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            state, parent = stat.rsplit(")", 1)[1].split()[:2]
            if int(parent) == server_pid and (ended or state != "Z"):
                children.add(int(entry.name))
    return children


def test_each_job_has_a_process_of_its_own_forked_before_it_arrived(demo):
    challenge, sample, scorer = demo
    score_sealed(challenge.spec, sample, challenge.solution)
    scorer.status(scorer.last_pid)  # once the server has seen the job's process end
    waiting = server_children(scorer._process.pid)
    assert len(waiting) == 1  # the next job's process, ready before that job exists
    score_sealed(challenge.spec, sample, challenge.solution)
    assert {scorer.last_pid} == waiting
    assert scorer.status(scorer.last_pid)["exit_code"] == 0
    score_sealed(challenge.spec, sample, challenge.solution)
    assert scorer.last_pid not in waiting  # a process serves one job, then ends
    assert scorer.status(scorer.last_pid)["exit_code"] == 0


def test_a_waiting_process_that_died_is_replaced(demo):
    challenge, sample, scorer = demo
    score_sealed(challenge.spec, sample, challenge.solution)
    for pid in server_children(scorer._process.pid):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while server_children(scorer._process.pid, ended=True) and time.monotonic() < deadline:
        time.sleep(0.01)  # until the server has reaped it, and so knows it is gone
    report = score_sealed(challenge.spec, sample, challenge.solution)
    assert report.splits["public"].n_rows > 0
    assert scorer.status(scorer.last_pid)["exit_code"] == 0


def test_a_job_holds_only_its_own_connection(tmp_path):
    challenge = validate_folder(custom_folder(tmp_path, "def score(solution, submission, row_id_column_name):\n    return 0.5\n"))
    probe = ("import os\n"
             "from ultrathon.scorers import ParticipantVisibleError\n"
             "def score(solution, submission, row_id_column_name):\n"
             "    open_fds = []\n"
             "    for fd in range(4096):\n"
             "        try:\n"
             "            os.fstat(fd)\n"
             "            open_fds.append(fd)\n"
             "        except OSError:\n"
             "            pass\n"
             "    raise ParticipantVisibleError(f'fds {open_fds} uid {os.getuid()}')\n")
    with pytest.raises(ScoringError) as seen:
        score_sealed(challenge.spec, challenge.public_files["sample_submission.csv"], challenge.solution, probe)
    fds, uid = seen.value.message.removeprefix("fds ").split(" uid ")
    assert fds == "[0, 1, 2, 3]"  # /dev/null three times and the job's connection: no channel, no listener
    if os.geteuid() == 0:
        assert int(uid) >= SEALED_UID_BASE  # a user id of its own, not root


def test_a_job_dies_with_its_scoring_server(tmp_path):
    challenge = validate_folder(custom_folder(tmp_path, "def score(solution, submission, row_id_column_name):\n    return 0.5\n"))
    looping = "def score(solution, submission, row_id_column_name):\n    while True:\n        pass\n"
    scorer = default_scorer()
    scorer.ensure_running()
    scorer.last_pid = 0
    outcome = []
    job = threading.Thread(target=lambda: outcome.append(pytest.raises(
        SealedFailure, score_sealed, challenge.spec, challenge.public_files["sample_submission.csv"], challenge.solution, looping)))
    job.start()
    deadline = time.monotonic() + 30
    while not scorer.last_pid and time.monotonic() < deadline:
        time.sleep(0.01)
    pid = scorer.last_pid
    time.sleep(0.5)  # the job is now in its loop, as its own user
    scorer._process.kill()
    scorer._process.wait()

    def alive() -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False
    while alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pid and not alive()  # not left looping until its own time limit
    job.join(30)
    assert outcome and outcome[0].value.message == CRASH_MESSAGE
