"""Loading challenge folders into the database: idempotent, all or nothing, guarded re-scores."""

import shutil
from pathlib import Path

import pytest

from ultrathon.challenge_folder import ChallengeInvalid
from ultrathon.cli import cli
from ultrathon.platform.challenges.loader import LoadRefused, load_challenge_folder
from ultrathon.platform.extensions import db
from ultrathon.platform.models import AuditEvent, Challenge, ChallengeFile, Submission

DEMOS = Path(__file__).resolve().parents[2] / "challenges"
DEMO_SLUGS = ["actg320-aids", "breast-cancer-diagnosis", "diabetes-progression", "flchain-survival"]


def copy_demo(tmp_path, slug="breast-cancer-diagnosis") -> Path:
    target = tmp_path / slug
    shutil.copytree(DEMOS / slug, target)
    return target


def snapshot():
    """Return everything loading may change, to compare before and after."""
    challenges = db.session.execute(db.select(Challenge).order_by(Challenge.slug)).scalars().all()
    files = db.session.execute(db.select(ChallengeFile.name, ChallengeFile.sha256).order_by(ChallengeFile.id)).all()
    return [(c.slug, c.title, c.content_hash, c.scoring_hash, c.updated_at) for c in challenges], files


@pytest.mark.parametrize("slug", DEMO_SLUGS)
def test_each_demo_loads_and_reloading_changes_nothing(ctx, slug):
    assert load_challenge_folder(DEMOS / slug) == "created"
    before = snapshot()
    assert load_challenge_folder(DEMOS / slug) == "unchanged"
    assert snapshot() == before
    challenge = db.session.execute(db.select(Challenge).where(Challenge.slug == slug)).scalar_one()
    assert challenge.solution_csv == (DEMOS / slug / "solution.csv").read_bytes()
    names = [f.name for f in challenge.files]
    assert "solution.csv" not in names and "sample_submission.csv" in names


def test_text_and_dates_apply_at_once(ctx, tmp_path):
    folder = copy_demo(tmp_path)
    load_challenge_folder(folder)
    yaml_path = folder / "challenge.yaml"
    text = yaml_path.read_text()
    yaml_path.write_text(text.replace("title:", "title: Renamed —", 1))
    assert load_challenge_folder(folder) == "updated"
    challenge = db.session.execute(db.select(Challenge)).scalar_one()
    assert challenge.title.startswith("Renamed —")
    actions = db.session.execute(db.select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions == ["challenge.load", "challenge.update"]


def test_a_broken_folder_changes_nothing(ctx, tmp_path):
    folder = copy_demo(tmp_path)
    load_challenge_folder(folder)
    before = snapshot()
    (folder / "challenge.yaml").write_text((folder / "challenge.yaml").read_text().replace("title:", "title: New\nunknown_key: 1\n#", 1))
    solution = folder / "solution.csv"
    lines = solution.read_text().splitlines()
    solution.write_text("\n".join(lines + [lines[1]]) + "\n")  # a duplicate id
    with pytest.raises(ChallengeInvalid) as caught:
        load_challenge_folder(folder)
    assert len(caught.value.problems) >= 2
    assert snapshot() == before


def test_changing_the_solution_of_a_challenge_with_submissions_needs_rescore(ctx, tmp_path, make_team):
    folder = copy_demo(tmp_path)
    load_challenge_folder(folder)
    challenge = db.session.execute(db.select(Challenge)).scalar_one()
    team = make_team(challenge)
    data = (folder / "sample_submission.csv").read_bytes()
    db.session.add(Submission(challenge_id=challenge.id, team_id=team.id, size=len(data), sha256="0" * 64, content=data))
    db.session.commit()
    before = snapshot()
    yaml_path = folder / "challenge.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("seed: ", "seed: 1", 1))  # a new split
    with pytest.raises(LoadRefused, match=r"1 submission\(s\) already have scores; load with --rescore"):
        load_challenge_folder(folder)
    assert snapshot() == before


def test_cli_load_reports_each_folder_and_fails_on_a_bad_one(runner, ctx, tmp_path):
    good = copy_demo(tmp_path)
    bad = copy_demo(tmp_path / "b", "diabetes-progression")
    (bad / "challenge.yaml").write_text("slug: [unclosed\n")
    result = runner.invoke(cli, ["challenges", "load", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"{good}: created" in result.output
    assert "challenge.yaml:" in result.output
    listed = runner.invoke(cli, ["challenges", "list"])
    assert listed.exit_code == 0
    assert "breast-cancer-diagnosis" in listed.output and "diabetes-progression" not in listed.output
    assert "0 submission(s)" in listed.output


def test_rescore_reloads_and_scores_every_submission_again_through_the_workers(runner, ctx, tmp_path, make_submission, run_worker):
    folder = copy_demo(tmp_path)
    load_challenge_folder(folder)
    challenge = db.session.execute(db.select(Challenge)).scalar_one()
    sample = (folder / "sample_submission.csv").read_text().splitlines()
    varied = [sample[0]] + [f"{line.split(',')[0]},{(i * 37) % 101 / 101:.3f}" for i, line in enumerate(sample[1:])]
    first = make_submission(challenge, data=("\n".join(varied) + "\n").encode())
    run_worker()
    db.session.expire_all()
    before = {s.split: (s.value, s.ci_low, s.ci_high) for s in db.session.get(Submission, first.id).scores}
    assert db.session.get(Submission, first.id).status == "scored"

    yaml_path = folder / "challenge.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("seed: ", "seed: 1", 1))  # a new split
    result = runner.invoke(cli, ["challenges", "load", str(folder), "--rescore"])
    assert result.exit_code == 0, result.output
    assert "updated; 1 submission(s) queued for re-scoring" in result.output
    db.session.expire_all()
    assert db.session.get(Submission, first.id).status == "queued"

    run_worker()
    db.session.expire_all()
    again = db.session.get(Submission, first.id)
    assert again.status == "scored"
    after = {s.split: (s.value, s.ci_low, s.ci_high) for s in again.scores}
    assert after != before  # the new seed resamples differently: new intervals
