"""The agent runner against the platform served by gunicorn: it scores with its own solution only."""

from __future__ import annotations


import pytest

from tests.platform.agent_support import SOLUTION, wire_report, write_agent_folder
from tests.platform.agent_support import sample_of
from ultrathon.agent import Agent, AgentError, load_folders
from ultrathon.platform.extensions import db
from ultrathon.platform.models import Score, Submission

pytestmark = pytest.mark.slow


def holder_folder(tmp_path, solution: bytes = SOLUTION):
    """The data holder's copy of the agent challenge: the same folder, with its solution."""
    folder = write_agent_folder(tmp_path / "holder")
    (folder / "solution.csv").write_bytes(solution)
    return folder


def test_the_agent_leases_scores_and_reports_one_job(live_server, make_agent_challenge, agent_token, make_submission, tmp_path):
    challenge = make_agent_challenge()
    _, headers = agent_token(challenge)
    submission = make_submission(challenge)
    agent = Agent(live_server, headers["Authorization"].removeprefix("Bearer "), load_folders([holder_folder(tmp_path)]))
    assert agent.run_once(wait=5) is True
    db.session.expire_all()
    assert db.session.get(Submission, submission.id).status == "scored"
    public = db.session.execute(db.select(Score).where(Score.submission_id == submission.id, Score.split == "public")).scalar_one()
    expected = wire_report(challenge, sample_of(challenge))["splits"]["public"]["metrics"]["roc_auc"]
    assert public.value == pytest.approx(expected)
    assert agent.run_once(wait=0) is False  # nothing left


def test_an_agent_holding_another_solution_stops_with_one_line(ctx, tmp_path):
    rows = SOLUTION.decode().splitlines()
    changed = "\n".join([rows[0], rows[1].replace(",0,", ",1,"), *rows[2:]]).encode() + b"\n"
    with pytest.raises(AgentError) as stopped:
        load_folders([holder_folder(tmp_path, changed)])
    assert "scoring.solution_sha256" in str(stopped.value) and "not the pinned one" in str(stopped.value)
    assert "\n" not in str(stopped.value)


def test_the_agent_command_says_a_mismatch_in_one_line(tmp_path):
    from click.testing import CliRunner

    from ultrathon.cli import cli

    rows = SOLUTION.decode().splitlines()
    changed = "\n".join([rows[0], rows[1].replace(",0,", ",1,"), *rows[2:]]).encode() + b"\n"
    result = CliRunner().invoke(cli, ["agent", "--url", "http://127.0.0.1:9", "--token", "uta_unused",
                                      str(holder_folder(tmp_path, changed))])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ") and "not the pinned one" in line
