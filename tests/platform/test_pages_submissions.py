"""The submissions page: upload, live rows, scores, row/column errors, quota, final choices, files."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from ultrathon.platform.challenges.publication import publish_results
from ultrathon.platform.extensions import db
from ultrathon.platform.models import Submission, utcnow

PASSWORD = "correct horse battery staple"
DEMO = "breast-cancer-diagnosis"
PAGE = f"/challenges/{DEMO}/submissions"
JSON = {"Accept": "application/json"}


def logged_in(client, user):
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def upload(client, data: bytes, name="predictions.csv", note="", headers=JSON):
    return client.post(PAGE, data={"file": (io.BytesIO(data), name), "note": note}, headers=headers)


@pytest.fixture
def challenge(make_open_challenge):
    return make_open_challenge(DEMO)


@pytest.fixture
def sample(challenge) -> bytes:
    return next(f.content for f in challenge.files if f.name == "sample_submission.csv")


@pytest.fixture
def member(challenge, make_team, client):
    team = make_team(challenge, name="Owls")
    user = team.memberships[0].user
    logged_in(client, user)
    return user


def test_without_a_team_the_page_sends_the_user_to_the_team_page(client, challenge, make_user):
    logged_in(client, make_user())
    page = client.get(PAGE).get_data(as_text=True)
    assert "create or join a team first" in page and f'href="/challenges/{DEMO}/team"' in page
    assert client.get(f"/challenges/{DEMO}/submissions.json").status_code == 404


def test_the_page_shows_the_form_with_its_size_limit_and_the_quota(client, member):
    page = client.get(PAGE).get_data(as_text=True)
    assert 'id="upload-form"' in page and f'data-max-bytes="{1 * 2**20}"' in page
    assert '<label for="upload-file">' in page and '<label for="upload-note">' in page
    assert '<strong class="quota-left">5</strong> of 5 submissions left today.' in page
    assert "The daily count resets <time datetime=" in page
    assert "0 of 2 chosen" in page


def test_a_valid_upload_is_queued_then_its_row_turns_scored_in_the_json_view(client, member, sample, run_worker):
    response = upload(client, sample, note="logistic regression")
    assert response.status_code == 202
    submission_id = response.get_json()["id"]
    rows = client.get(f"/challenges/{DEMO}/submissions.json").get_json()
    [row] = rows["submissions"]
    assert (row["id"], row["status"], row["note"]) == (submission_id, "queued", "logistic regression")
    assert f'id="sub-{submission_id}"' in row["html"] and 'data-status="queued"' in row["html"]
    assert rows["quota"]["remaining_today"] == 4

    run_worker()
    rows = client.get(f"/challenges/{DEMO}/submissions.json").get_json()
    [row] = rows["submissions"]
    assert row["status"] == "scored" and row["public"]["roc_auc"] is not None
    assert 'data-status="scored"' in row["html"]
    assert f"{row['public']['roc_auc']:.4f}" in row["html"]  # the public score, at the challenge's decimals
    assert "Choose as final" in row["html"]
    assert row["private"] is None  # hidden until the close


def test_a_row_says_how_many_predictions_were_filled(client, challenge, member, sample, run_worker):
    challenge.spec = {**challenge.spec, "submission": {**challenge.spec["submission"], "missing": "prevalence"}}
    db.session.commit()
    public_ids = [line.split(",")[0] for line in challenge.solution_csv.decode().splitlines() if line.endswith(",Public")][:5]
    lines = [line for line in sample.decode().splitlines() if line.split(",")[0] not in public_ids]
    upload(client, ("\n".join(lines) + "\n").encode())
    run_worker()
    [row] = client.get(f"/challenges/{DEMO}/submissions.json").get_json()["submissions"]
    [public] = [s for s in db.session.get(Submission, row["id"]).scores if s.split == "public"]
    assert row["status"] == "scored" and row["public_filled"] == public.n_filled == 5
    assert f"5 of {public.n_rows} filled" in row["html"]


def test_a_broken_file_is_refused_with_its_row_and_column_and_stores_nothing(client, member):
    response = upload(client, b"patient_id,probability\nP00001,0.5\nP00002,1.7\n")
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["title"] == "Invalid submission file"
    assert {"row": 3, "column": "probability"}.items() <= answer["problems"][0].items()
    assert db.session.execute(db.select(Submission)).first() is None

    # Without script the form posts normally and the page lists the same problems.
    page = upload(client, b"patient_id,probability\nP00001,0.5\nP00002,1.7\n", headers={}).status_code
    assert page == 302
    text = client.get(PAGE).get_data(as_text=True)
    assert "Invalid submission file" in text and "row 3, column &#39;probability&#39;" in text


def test_a_file_that_fails_at_scoring_shows_its_reason_in_its_row(client, member, sample, run_worker):
    # Well-formed on its own, so accepted at upload; only the hidden solution shows an id missing.
    without_last_row = b"".join(sample.splitlines(keepends=True)[:-1])
    submission_id = upload(client, without_last_row).get_json()["id"]
    run_worker()
    [row] = client.get(f"/challenges/{DEMO}/submissions.json").get_json()["submissions"]
    assert row["status"] == "failed" and row["error"]
    assert 'data-status="failed"' in row["html"] and 'class="error-box"' in row["html"]
    page = client.get(PAGE).get_data(as_text=True)
    assert f'id="sub-{submission_id}"' in page
    from markupsafe import escape

    assert str(escape(row["error"])) in page
    assert row["problems"] and row["problems"][0]["column"] == "patient_id"
    for problem in row["problems"]:
        assert str(escape(problem["message"])) in page
    assert '<strong class="quota-left">5</strong>' in page  # a failed file does not use the quota


def test_a_file_over_the_challenges_size_limit_is_refused_clearly(client, member):
    response = upload(client, b"patient_id,probability\n" + b"P00001,0.5\n" * 120_000)
    assert response.status_code == 413
    assert "this challenge accepts files up to 1 MB" in response.get_json()["detail"]
    assert upload(client, b"", name="empty.csv").status_code == 400
    no_file = client.post(PAGE, data={"note": "x"}, headers=JSON)
    assert no_file.status_code == 400 and no_file.get_json()["detail"] == "choose a CSV file to upload."


def test_a_team_member_downloads_their_file_and_nobody_else_can(client, challenge, member, sample, make_team):
    submission_id = upload(client, sample, name="mine.csv").get_json()["id"]
    response = client.get(f"{PAGE}/{submission_id}/file")
    assert response.status_code == 200 and response.data == sample
    assert "attachment" in response.headers["Content-Disposition"]

    stranger = make_team(challenge, name="Others").memberships[0].user
    logged_in(client, stranger)
    assert client.get(f"{PAGE}/{submission_id}/file").status_code == 404
    assert f"sub-{submission_id}" not in client.get(PAGE).get_data(as_text=True)


def test_choosing_final_submissions_within_the_limit(client, member, sample, run_worker):
    ids = [upload(client, sample).get_json()["id"] for _ in range(3)]
    queued = client.post(f"{PAGE}/{ids[0]}/selection", data={"choose": "yes"}, follow_redirects=True)
    assert "Not scored: only a scored submission can be chosen; this one is queued." in queued.get_data(as_text=True)
    run_worker()

    for submission_id in ids[:2]:
        assert client.post(f"{PAGE}/{submission_id}/selection", data={"choose": "yes"}).status_code == 302
    over = client.post(f"{PAGE}/{ids[2]}/selection", data={"choose": "yes"}, follow_redirects=True).get_data(as_text=True)
    assert "Selection limit reached" in over and "unchoose one first" in over
    chosen = {s.id for s in db.session.execute(db.select(Submission).where(Submission.selected_at.is_not(None))).scalars()}
    assert chosen == set(ids[:2])
    assert "2 of 2 chosen" in client.get(PAGE).get_data(as_text=True)

    client.post(f"{PAGE}/{ids[0]}/selection", data={"choose": "no"})
    db.session.expire_all()
    assert db.session.get(Submission, ids[0]).selected_at is None


def test_after_the_close_neither_page_offers_to_submit_nor_counts_submissions_left(client, challenge, member):
    assert "Submit predictions</a>" in client.get(f"/challenges/{DEMO}").get_data(as_text=True)
    challenge.closes_at = challenge.phases[-1].closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_results(challenge, None)  # results.publish is manual by default
    overview = client.get(f"/challenges/{DEMO}").get_data(as_text=True)
    assert "Submit predictions" not in overview and "The challenge closed on <time" in overview
    page = client.get(PAGE).get_data(as_text=True)
    assert "submissions left today" not in page and "The daily count resets" not in page
    assert "The challenge closed on <time" in page
    live = client.get(f"/challenges/{DEMO}/submissions.json").get_json()
    assert "submissions left today" not in live["quota_html"] and "closed on" in live["quota_html"]
