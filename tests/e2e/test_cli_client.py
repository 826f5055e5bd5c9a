"""The `ultrathon` API client commands against a live server (gunicorn) and a real worker process."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from ultrathon.platform.auth.tokens import create_token
from ultrathon.platform.extensions import db

pytestmark = pytest.mark.slow

SLUG = "breast-cancer-diagnosis"
WAIT_S = 120


@pytest.fixture
def home(tmp_path) -> Path:
    """An empty home and config folder, so no real user's config file is read."""
    (tmp_path / "config").mkdir()
    return tmp_path


@pytest.fixture
def ultrathon(live_server, live_worker, home):
    """Run the `ultrathon` command as a pipeline would, with only the client's settings."""

    def run(*args: str, token: str | None = None, url: str | None = live_server, cwd: Path | None = None,
            extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        env = {
            "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            # The client commands must never need the platform's own settings or database.
            "DATABASE_URL": "bogus://not-a-database",
            "ULTRATHON_INSTANCE": str(home / "no-instance-here"),
            # This tree's client, not whichever one the environment installed.
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        }
        if url is not None:
            env["ULTRATHON_URL"] = url
        if token is not None:
            env["ULTRATHON_TOKEN"] = token
        env.update(extra or {})
        return subprocess.run(["ultrathon", *args], env=env, cwd=cwd or home, capture_output=True, text=True,
                              timeout=WAIT_S + 30)

    return run


@pytest.fixture
def challenge(make_challenge):
    return make_challenge(SLUG)


@pytest.fixture
def member(challenge, make_team):
    """A team member's token."""
    user = make_team(challenge, name="Pipeline").memberships[0].user
    _, secret = create_token(user, "cli")
    db.session.commit()
    return secret


@pytest.fixture
def sample(challenge, home) -> Path:
    path = home / "predictions.csv"
    path.write_bytes(next(f.content for f in challenge.files if f.name == "sample_submission.csv"))
    return path


def test_submit_and_wait_prints_the_public_score_and_exits_0(ultrathon, member, sample, home):
    result = ultrathon("submit", SLUG, str(sample), "--note", "from CI", "--wait", "--timeout", str(WAIT_S), token=member)
    assert result.returncode == 0, result.stderr
    assert "queued" in result.stdout
    score_line = result.stdout.strip().splitlines()[-1]
    assert score_line.startswith("scored: roc_auc = 0.")
    assert not (home / "no-instance-here").exists()  # nothing of the platform's state was touched

    listing = ultrathon("submissions", SLUG, token=member)
    assert listing.returncode == 0, listing.stderr
    assert "scored" in listing.stdout and "from CI" in listing.stdout and "4 of 5 submissions left today" in listing.stdout
    machine = json.loads(ultrathon("submissions", SLUG, "--json", token=member).stdout)
    assert machine["items"][0]["status"] == "scored" and machine["quota"]["remaining_today"] == 4


def test_a_file_that_fails_scoring_prints_the_row_and_column_and_exits_1(ultrathon, member, sample, home):
    lines = sample.read_text().splitlines()
    lines[3] = "P99999," + lines[3].split(",", 1)[1]  # a patient the solution does not have
    wrong_ids = home / "wrong_ids.csv"
    wrong_ids.write_text("\n".join(lines) + "\n")
    result = ultrathon("submit", SLUG, str(wrong_ids), "--wait", "--timeout", str(WAIT_S), token=member)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "failed: 2 problems in the file:" in result.stdout
    assert "line 4, column patient_id:" in result.stdout and "P99999" in result.stdout


def test_a_malformed_file_is_refused_at_upload_with_rows_and_columns(ultrathon, member, home):
    bad = home / "bad.csv"
    bad.write_text("patient_id,probability\nP00004,0.5\nP00008,high\n")
    result = ultrathon("submit", SLUG, str(bad), "--wait", token=member)
    assert result.returncode == 1
    assert "400 Invalid submission file" in result.stderr
    assert "line 3, column probability: not a number" in result.stderr


def test_the_quota_exits_3_and_says_when_it_resets(ultrathon, challenge, member, sample):
    challenge.spec = {**challenge.spec, "limits": {**challenge.spec["limits"], "per_day": 1}}
    db.session.commit()
    assert ultrathon("submit", SLUG, str(sample), token=member).returncode == 0
    refused = ultrathon("submit", SLUG, str(sample), token=member)
    assert refused.returncode == 3, refused.stderr
    assert "quota" in refused.stderr.lower() and "resets at" in refused.stderr


def test_usage_and_auth_errors_exit_2(ultrathon, member, sample, home):
    no_token = ultrathon("submit", SLUG, str(sample))
    assert no_token.returncode == 2 and "ULTRATHON_TOKEN" in no_token.stderr
    no_url = ultrathon("submit", SLUG, str(sample), token=member, url=None)
    assert no_url.returncode == 2 and "ULTRATHON_URL" in no_url.stderr
    bad_token = ultrathon("submit", SLUG, str(sample), token="ut_revoked-or-never-issued")
    assert bad_token.returncode == 2 and "401" in bad_token.stderr
    missing_file = ultrathon("submit", SLUG, str(home / "nope.csv"), token=member)
    assert missing_file.returncode == 2 and "does not exist" in missing_file.stderr


def test_the_config_file_supplies_url_and_token(ultrathon, live_server, member, home):
    folder = home / "config" / "ultrathon"
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text(f'url = "{live_server}"\ntoken = "{member}"\n')
    result = ultrathon("submissions", SLUG, url=None)
    assert result.returncode == 0, result.stderr
    assert "5 of 5 submissions left today" in result.stdout


def test_leaderboard_as_a_table_and_as_json(ultrathon, member, sample, make_user):
    assert ultrathon("submit", SLUG, str(sample), "--wait", "--timeout", str(WAIT_S), token=member).returncode == 0
    table = ultrathon("leaderboard", SLUG, token=member)
    assert table.returncode == 0, table.stderr
    header, row = table.stdout.splitlines()[1:3]
    assert header.split()[:3] == ["rank", "team", "score"]
    assert row.split()[:2] == ["1", "Pipeline"]
    board = json.loads(ultrathon("leaderboard", SLUG, "--json", token=member).stdout)
    assert board["entries"][0]["team"] == "Pipeline" and board["split"] == "public"
    private = ultrathon("leaderboard", SLUG, "--private", token=member)
    assert private.returncode == 2 and "403" in private.stderr
    organiser = make_user("organiser@example.org")
    _, organiser_token = create_token(organiser, "cli")
    db.session.commit()
    assert ultrathon("leaderboard", SLUG, "--private", token=organiser_token).returncode == 0


def test_download_fetches_every_public_file_and_never_the_solution(ultrathon, challenge, member, home):
    result = ultrathon("download", SLUG, "data", token=member)
    assert result.returncode == 0, result.stderr
    folder = home / "data"
    assert sorted(p.name for p in folder.iterdir()) == ["sample_submission.csv", "test.csv", "train.csv"]
    for public in challenge.files:
        assert (folder / public.name).read_bytes() == public.content
    assert not (folder / "solution.csv").exists()



def test_commit_hashes_the_archive_here_and_lists_the_commitment(ultrathon, challenge, member, home):
    import hashlib

    from ultrathon.platform.models import utcnow

    challenge.opens_at = challenge.phases[0].opens_at = utcnow() + timedelta(days=1)
    db.session.commit()
    archive = home / "model.tar.gz"
    archive.write_bytes(b"weights " * 1000)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    made = ultrathon("commit", SLUG, str(archive), "--label", "model v1", token=member)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"committed {digest} for phase main at ") and "(model v1)" in made.stdout
    typed = ultrathon("commit", SLUG, "--sha256", "AB" * 32, "--phase", "main", token=member)
    assert typed.returncode == 0, typed.stderr

    listed = ultrathon("commitments", SLUG, token=member)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("phase main (opens ") and "takes commitments until it opens" in lines[0]
    assert digest in lines[2] and "model v1" in lines[2] and "yes" not in lines[2]
    assert "ab" * 32 in lines[3] and "yes" in lines[3]
    as_json = json.loads(ultrathon("commitments", SLUG, "--json", token=member).stdout)
    assert [c["sha256"] for c in as_json["items"]] == [digest, "ab" * 32]

    both = ultrathon("commit", SLUG, str(archive), "--sha256", digest, token=member)
    assert both.returncode == 2 and "give either an ARCHIVE file or --sha256" in both.stderr
    bad = ultrathon("commit", SLUG, "--sha256", "xyz", token=member)
    assert bad.returncode == 1 and "sha256: is 3 characters long" in bad.stderr
    challenge.opens_at = challenge.phases[0].opens_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    late = ultrathon("commit", SLUG, "--sha256", digest, "--phase", "main", token=member)
    assert late.returncode == 1 and "opened at" in late.stderr


def test_phase_picks_the_phase_of_leaderboard_submissions_and_submit(ultrathon, make_challenge, make_team, tmp_path):
    from tests.platform.phased import PHASED_SLUG, add_score, phased_now, write_phased

    phased = make_challenge(folder=write_phased(tmp_path / PHASED_SLUG, phased_now()))
    team = make_team(phased, name="Phaser")
    add_score(team, phased.phases[0], 0.9111, 0.9222)
    _, secret = create_token(team.memberships[0].user, "cli")
    db.session.commit()
    board = ultrathon("leaderboard", PHASED_SLUG, "--phase", "development", "--json", token=secret)
    assert board.returncode == 0, board.stderr
    assert [e["score"] for e in json.loads(board.stdout)["entries"]] == [0.9111]
    assert json.loads(ultrathon("leaderboard", PHASED_SLUG, "--json", token=secret).stdout)["entries"] == []
    listed = json.loads(ultrathon("submissions", PHASED_SLUG, "--phase", "development", "--json", token=secret).stdout)
    assert [s["phase"] for s in listed["items"]] == ["development"]
    assert json.loads(ultrathon("submissions", PHASED_SLUG, "--json", token=secret).stdout)["items"] == []
    sample = tmp_path / "sample.csv"
    sample.write_text("patient_id,probability\nP00004,0.5\n")
    refused = ultrathon("submit", PHASED_SLUG, str(sample), "--phase", "development", token=secret)
    assert refused.returncode != 0 and "development" in (refused.stderr + refused.stdout).lower()
    unknown = ultrathon("leaderboard", PHASED_SLUG, "--phase", "nope", token=secret)
    assert unknown.returncode == 1 and "no phase 'nope'" in unknown.stderr


def test_a_pending_access_request_is_answered_with_its_own_detail(ultrathon, make_challenge, make_team, tmp_path, home):
    """Under access.approval: required, the CLI prints the server's access-pending detail and exits 2."""
    import shutil

    from ultrathon.platform.governance.access import request_access

    folder = tmp_path / "gated" / SLUG
    shutil.copytree(Path(__file__).resolve().parents[2] / "challenges" / SLUG, folder)
    with open(folder / "challenge.yaml", "a") as handle:
        handle.write("\naccess:\n  approval: required\n  questions: [{name: affiliation, label: Your institution}]\n")
    challenge = make_challenge(folder=folder)
    user = make_team(challenge, name="Waiting").memberships[0].user
    request_access(challenge, user, {"affiliation": "KU"})
    _, secret = create_token(user, "cli")
    db.session.commit()
    result = ultrathon("download", SLUG, "data", token=secret)
    assert result.returncode == 2
    assert "403 Access request pending: your access request to" in result.stderr
    assert not (home / "data").exists() or not any((home / "data").iterdir())
