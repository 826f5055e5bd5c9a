"""Loading a challenge an agent scores: ids and sizes kept, no label stored, no worker scores it."""

from __future__ import annotations

import sqlite3

import pytest

from tests.platform.agent_support import PIN, SOLUTION, sample_of, write_agent_folder
from ultrathon.platform.agents.models import AgentChallenge
from ultrathon.platform.extensions import db
from ultrathon.platform.models import Submission
from ultrathon.platform.submissions.errors import SubmissionRefused


def test_loading_keeps_the_sample_ids_and_sizes_and_no_solution(make_agent_challenge):
    challenge = make_agent_challenge(extra=", split_sizes: {public: 51, private: 119}")
    kept = db.session.get(AgentChallenge, challenge.id)
    sample_ids = [line.split(",")[0] for line in sample_of(challenge).decode().splitlines()[1:]]
    assert kept.submission_ids == sample_ids and kept.solution_sha256 == PIN
    assert kept.split_sizes == {"public": 51, "private": 119}
    assert challenge.solution_csv == b""


def test_the_database_holds_no_label_usage_or_solution_bytes(ctx, make_agent_challenge, make_submission):
    challenge = make_agent_challenge()
    make_submission(challenge)
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        pytest.skip("the dump is read from the SQLite file")
    db.session.commit()
    dump = "\n".join(sqlite3.connect(url.database).iterdump())
    # No solution row as written (id,label,Usage), nor its header, is anywhere in the database.
    header, *rows = SOLUTION.decode().splitlines()
    assert rows and not [row for row in rows if row in dump]
    assert header not in dump


def test_upload_refuses_an_unknown_id_at_once(make_agent_challenge, make_submission):
    challenge = make_agent_challenge()
    sample = sample_of(challenge).decode().splitlines()
    first_id = sample[1].split(",")[0]
    broken = "\n".join([sample[0], sample[1].replace(first_id, "P99999"), *sample[2:]]).encode()
    with pytest.raises(SubmissionRefused) as refused:
        make_submission(challenge, data=broken)
    assert "P99999" in str(refused.value)


def test_a_worker_leaves_an_agent_submission_queued(make_agent_challenge, make_submission, run_worker):
    challenge = make_agent_challenge()
    submission = make_submission(challenge)
    from ultrathon.platform.queueing import get_queue

    assert get_queue().count == 0  # never delivered to the platform's workers
    run_worker()
    db.session.expire_all()
    assert db.session.get(Submission, submission.id).status == "queued"


def test_the_scoring_job_itself_refuses_an_agent_submission(make_agent_challenge, make_submission):
    from ultrathon.worker.jobs import score_submission

    submission = make_submission(make_agent_challenge())
    assert score_submission(submission.id).startswith("skipped")
    db.session.expire_all()
    assert db.session.get(Submission, submission.id).status == "queued"


def test_the_sweeper_leaves_agent_submissions_to_their_agent(make_agent_challenge, make_submission):
    from ultrathon.worker.sweeper import sweep

    submission = make_submission(make_agent_challenge())
    result = sweep(queued_grace_s=0)
    assert submission.id not in result.requeued


def test_the_load_command_loads_a_folder_without_solution(runner, tmp_path):
    from ultrathon.cli import cli

    result = runner.invoke(cli, ["challenges", "load", str(write_agent_folder(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "created" in result.output
