"""Uploading, following and choosing submissions through the API, scored by a real worker."""

import re
from datetime import timedelta
from pathlib import Path

import pytest

from ultrathon.platform.challenges.publication import publish_results
from ultrathon.platform.extensions import db
from ultrathon.platform.models import Submission, utcnow

SLUG = "breast-cancer-diagnosis"
UPLOAD = f"/api/v1/challenges/{SLUG}/submissions"


@pytest.fixture
def challenge(make_challenge):
    return make_challenge(SLUG)


@pytest.fixture
def sample(challenge) -> bytes:
    return next(f.content for f in challenge.files if f.name == "sample_submission.csv")


@pytest.fixture
def member(challenge, make_team, token_for):
    """A team member's auth header."""
    return token_for(make_team(challenge, name="Owls").memberships[0].user)


def upload(client, headers, data: bytes, filename: str = "predictions.csv", **form):
    from io import BytesIO

    return client.post(UPLOAD, data={"file": (BytesIO(data), filename), **form}, headers=headers,
                       content_type="multipart/form-data")


def set_limits(challenge, **limits):
    spec = dict(challenge.spec)
    spec["limits"] = {**spec["limits"], **limits}
    challenge.spec = spec
    db.session.commit()


def close(challenge):
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_results(challenge, None)  # results.publish is manual by default


def test_an_upload_is_accepted_queued_and_scored(client, member, sample, run_worker):
    response = upload(client, member, sample, note="first try")
    assert response.status_code == 202, response.get_json()
    accepted = response.get_json()
    assert accepted["status"] == "queued"
    assert accepted["url"] == f"/api/v1/submissions/{accepted['id']}" == response.headers["Location"]
    assert accepted["quota"]["per_day"] == 5 and accepted["quota"]["remaining_today"] == 4
    run_worker()
    body = client.get(accepted["url"], headers=member).get_json()
    assert body["status"] == "scored" and body["team"] == "Owls" and body["challenge"] == SLUG
    assert set(body["public"]) >= {"roc_auc"} and 0 <= body["public"]["roc_auc"] <= 1
    assert body["private"] is None  # before the close
    assert body["note"] == "first try" and body["error"] is None and body["scored_at"]


def test_a_file_with_old_mac_line_ends_is_accepted_and_scored(client, member, sample, run_worker):
    cr_only = sample.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    response = upload(client, member, cr_only)
    assert response.status_code == 202, response.get_json()
    run_worker()
    assert client.get(response.get_json()["url"], headers=member).get_json()["status"] == "scored"


def test_private_scores_appear_only_after_the_close(client, challenge, member, sample, run_worker):
    submission_id = upload(client, member, sample).get_json()["id"]
    run_worker()
    close(challenge)
    body = client.get(f"/api/v1/submissions/{submission_id}", headers=member).get_json()
    assert set(body["private"]) >= {"roc_auc"}


def test_an_invalid_file_is_400_with_its_rows_and_columns_and_stores_nothing(client, member):
    bad = b"patient_id,probability\nP00004,0.5\nP00008,not-a-number\n"
    response = upload(client, member, bad)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == "urn:ultrathon:problem:invalid-submission"
    assert body["problems"] and all(set(p) == {"row", "column", "message"} for p in body["problems"])
    assert any(p["column"] == "probability" and p["row"] is not None for p in body["problems"])
    assert db.session.execute(db.select(db.func.count(Submission.id))).scalar_one() == 0


@pytest.mark.parametrize("form, detail", [({}, "`file`"), ({"note": "x" * 501}, "500")])
def test_a_missing_file_or_a_long_note_is_400(client, member, sample, form, detail):
    if form:
        response = upload(client, member, sample, **form)
    else:
        response = client.post(UPLOAD, data={"note": "no file"}, headers=member, content_type="multipart/form-data")
    assert response.status_code == 400 and detail in response.get_json()["detail"]
    assert db.session.execute(db.select(db.func.count(Submission.id))).scalar_one() == 0


def test_a_file_over_the_challenges_size_limit_is_413(client, member, sample):
    big = sample + b"\n" * (1024 * 1024)
    response = upload(client, member, big)
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert "1 MB" in response.get_json()["detail"]


def test_the_quota_refuses_with_429_retry_after_and_what_remains(client, challenge, member, sample):
    set_limits(challenge, per_day=1)
    assert upload(client, member, sample).status_code == 202
    response = upload(client, member, sample)
    assert response.status_code == 429
    body = response.get_json()
    assert body["type"] == "urn:ultrathon:problem:quota-reached"
    assert body["quota"]["remaining_today"] == 0 and body["quota"]["per_day"] == 1
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= 24 * 3600
    assert body["quota"]["resets_at"].endswith("+00:00")


def test_no_team_or_a_closed_challenge_is_403(client, challenge, make_user, token_for, member, sample):
    loner = upload(client, token_for(make_user()), sample)
    assert loner.status_code == 403 and "team" in loner.get_json()["detail"]
    close(challenge)
    late = upload(client, member, sample)
    assert late.status_code == 403 and "closed" in late.get_json()["detail"]


def test_another_teams_submission_is_404_exactly_like_a_missing_one(client, challenge, make_team, token_for, member, sample):
    theirs = upload(client, member, sample).get_json()["id"]
    rival = token_for(make_team(challenge, name="Rivals").memberships[0].user)
    missing = theirs + 1000
    for method, suffix in (("GET", ""), ("PUT", "/selection"), ("DELETE", "/selection")):
        seen = client.open(f"/api/v1/submissions/{theirs}{suffix}", method=method, headers=rival)
        absent = client.open(f"/api/v1/submissions/{missing}{suffix}", method=method, headers=rival)
        assert seen.status_code == absent.status_code == 404
        strip = lambda r: re.sub(r"\d+", "N", r.get_data(as_text=True))  # noqa: E731
        assert strip(seen) == strip(absent)
    assert client.get(f"/api/v1/challenges/{SLUG}/submissions", headers=rival).get_json()["items"] == []


def test_an_id_too_large_for_the_database_is_404_for_every_method(client, member):
    for method, suffix in (("GET", ""), ("PUT", "/selection"), ("DELETE", "/selection")):
        response = client.open(f"/api/v1/submissions/{2**31}{suffix}", method=method, headers=member)
        assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_the_list_is_the_teams_own_newest_first_and_paginated(client, challenge, member, sample):
    ids = [upload(client, member, sample).get_json()["id"] for _ in range(3)]
    first = client.get(f"/api/v1/challenges/{SLUG}/submissions?limit=2", headers=member).get_json()
    assert [s["id"] for s in first["items"]] == ids[::-1][:2]
    assert first["team"]["name"] == "Owls" and first["quota"]["remaining_today"] == 2
    rest = client.get(f"/api/v1/challenges/{SLUG}/submissions?limit=2&cursor={first['next_cursor']}", headers=member).get_json()
    assert [s["id"] for s in rest["items"]] == [ids[0]] and rest["next_cursor"] is None


def test_choosing_and_unchoosing_a_final_submission(client, member, sample, run_worker):
    submission_id = upload(client, member, sample).get_json()["id"]
    url = f"/api/v1/submissions/{submission_id}/selection"
    early = client.put(url, headers=member)
    assert early.status_code == 409 and "scored" in early.get_json()["detail"]
    run_worker()
    chosen = client.put(url, headers=member)
    assert chosen.status_code == 200 and chosen.get_json()["selected"] is True
    dropped = client.delete(url, headers=member)
    assert dropped.status_code == 200 and dropped.get_json()["selected"] is False


def test_an_uploads_file_name_never_reaches_the_file_system(app, client, member, sample, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    instance = Path(app.config["ULTRATHON"].instance_path)
    before = set(instance.rglob("*"))
    target = tmp_path / "escaped.csv"
    names = [f"../../../../../../{target}", str(target), "..\\..\\escaped.csv", "escaped.csv"]
    for name in names:
        assert upload(client, member, sample, filename=name).status_code == 202
    assert not target.exists() and list(tmp_path.iterdir()) == []
    created = {p for p in set(instance.rglob("*")) - before if "redis" not in p.name}
    assert not any("escaped" in p.name for p in created)
    stored = db.session.execute(db.select(Submission.filename)).scalars().all()
    assert all("/" not in name and "\\" not in name for name in stored)


def _without_some_predictions(sample: bytes) -> tuple[bytes, list[str]]:
    """Return the sample with rows 2-11 dropped and the next two predictions left empty, and those twelve ids."""
    lines = sample.decode().splitlines()
    left_out = [line.split(",")[0] for line in lines[1:13]]
    kept = [lines[0], *lines[11:]]
    for i in (1, 2):
        kept[i] = kept[i].split(",")[0] + ","
    return ("\n".join(kept) + "\n").encode(), left_out


def test_filled_predictions_are_counted_on_the_submission(client, challenge, member, sample, run_worker):
    spec = dict(challenge.spec)
    spec["submission"] = {**spec["submission"], "missing": "worst"}
    challenge.spec = spec
    db.session.commit()
    data, left_out = _without_some_predictions(sample)
    accepted = upload(client, member, data).get_json()
    run_worker()
    body = client.get(accepted["url"], headers=member).get_json()
    assert body["status"] == "scored", body
    stored = {s.split: s.n_filled for s in db.session.get(Submission, accepted["id"]).scores}
    assert body["public_filled"] == stored["public"] > 0 and body["private_filled"] is None  # private: after the close
    usage = dict(line.split(",")[::2] for line in challenge.solution_csv.decode().splitlines()[1:])
    assert stored == {split: sum(usage[i] == split.title() for i in left_out) for split in ("public", "private")}
