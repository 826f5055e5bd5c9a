"""The API answers in the caller's language: the token user's setting, else Accept-Language, else the challenge's;
the worker stores a failure in the uploader's language."""

from __future__ import annotations

from io import BytesIO

import pytest

from ultrathon.platform.extensions import db
from ultrathon.platform.models import Submission

SLUG = "breast-cancer-diagnosis"  # patient_id + probability
UPLOAD = f"/api/v1/challenges/{SLUG}/submissions"
BAD_CELL = b"patient_id,probability\nP00004,0.5\nP00008,not-a-number\n"


@pytest.fixture
def challenge(make_challenge):
    return make_challenge(SLUG)


@pytest.fixture
def uploader(challenge, make_team):
    return make_team(challenge, name="Owls").memberships[0].user


def speaking_as(user, language: str | None) -> None:
    user.language = language
    db.session.commit()


def upload(client, headers, data: bytes):
    return client.post(UPLOAD, data={"file": (BytesIO(data), "predictions.csv")}, headers=headers,
                       content_type="multipart/form-data")


def test_a_problem_is_in_danish_when_the_request_asks_for_it(client, challenge):
    english = client.get("/api/v1/challenges/no-such-thing").get_json()
    assert (english["title"], english["detail"]) == ("Not Found", "no challenge with slug 'no-such-thing'")
    danish = client.get("/api/v1/challenges/no-such-thing", headers={"Accept-Language": "da-DK,da;q=0.9"}).get_json()
    assert (danish["title"], danish["detail"]) == ("Ikke fundet", "ingen konkurrence med slug 'no-such-thing'")
    # The problem's type, a URI for programs, is the same in every language.
    assert danish["type"] == english["type"] == "urn:ultrathon:problem:not-found"


def test_the_token_users_setting_beats_the_browsers_language(client, uploader, token_for):
    headers = token_for(uploader)
    speaking_as(uploader, "sv")
    answer = client.get("/api/v1/submissions/999999", headers={**headers, "Accept-Language": "da"}).get_json()
    assert (answer["title"], answer["detail"]) == ("Hittades inte", "ingen inlämning 999999 bland dem du får se")
    # Without a setting, the request's language again.
    speaking_as(uploader, None)
    answer = client.get("/api/v1/submissions/999999", headers={**headers, "Accept-Language": "da"}).get_json()
    assert answer["detail"] == "ingen indsendelse 999999 blandt dem, du må se"


def test_a_bad_token_is_refused_in_the_requests_language(client, challenge):
    answer = client.get(f"/api/v1/challenges/{SLUG}", headers={"Authorization": "Bearer nope", "Accept-Language": "sv"})
    assert answer.status_code == 401
    assert answer.get_json()["detail"] == "den här token är okänd, har gått ut eller är återkallad (token börjar med 'ut_')"


@pytest.mark.parametrize("language, title, problem, detail", [
    ("en", "Invalid submission file", "not a number: 'not-a-number'",
     "line 3, column 'probability': not a number: 'not-a-number'"),
    ("da", "Ugyldig indsendelsesfil", "ikke et tal: 'not-a-number'",
     "linje 3, kolonne 'probability': ikke et tal: 'not-a-number'"),
    ("sv", "Ogiltig inlämningsfil", "inte ett tal: 'not-a-number'",
     "rad 3, kolumn 'probability': inte ett tal: 'not-a-number'"),
])
def test_an_upload_with_a_bad_cell_names_its_row_and_column_in_the_callers_language(
        client, uploader, token_for, language, title, problem, detail):
    headers = token_for(uploader)
    speaking_as(uploader, language)
    answer = upload(client, headers, BAD_CELL)
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["type"] == "urn:ultrathon:problem:invalid-submission"  # the same for every language
    assert (body["title"], body["detail"]) == (title, detail)
    assert body["problems"] == [{"row": 3, "column": "probability", "message": problem}]


def test_a_refusal_before_the_file_is_read_is_translated_too(client, challenge, make_user, token_for):
    outsider = make_user()
    speaking_as(outsider, "da")
    body = upload(client, token_for(outsider), BAD_CELL).get_json()
    assert (body["title"], body["detail"]) == ("Ikke på et hold", "meld dig ind i eller opret et hold først")


def missing_rows(challenge) -> bytes:
    """Return the sample submission without its last two rows: checked whole only when scored."""
    sample = next(f.content for f in challenge.files if f.name == "sample_submission.csv")
    return b"".join(sample.splitlines(keepends=True)[:-2])


def stored_error(submission_id: int) -> str:
    db.session.expire_all()
    submission = db.session.get(Submission, submission_id)
    assert submission.status == "failed"
    return submission.error


def test_the_worker_stores_a_failure_in_the_uploaders_language(client, challenge, uploader, token_for, run_worker):
    headers = token_for(uploader)
    speaking_as(uploader, "da")
    accepted = upload(client, headers, missing_rows(challenge))
    assert accepted.status_code == 202, accepted.get_json()
    run_worker()
    error = stored_error(accepted.get_json()["id"])
    assert error.startswith("kolonne 'patient_id': 2 af konkurrencens id'er har ingen række: "), error
    # Stored once, in the uploader's language: a reader asking for another reads the same words.
    shown = client.get(accepted.get_json()["url"], headers={**headers, "Accept-Language": "sv"}).get_json()
    assert shown["error"] == error and shown["problems"][0]["message"].startswith("2 af konkurrencens id'er")


def test_without_a_setting_the_worker_writes_in_the_challenges_language(challenge, make_submission, run_worker):
    challenge.spec = {**challenge.spec, "language": "sv"}
    db.session.commit()
    submission = make_submission(challenge, data=missing_rows(challenge))
    run_worker()
    assert stored_error(submission.id).startswith("kolumn 'patient_id': 2 av tävlingens id saknar rad: ")
