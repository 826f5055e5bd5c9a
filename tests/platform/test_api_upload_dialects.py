"""A Danish or Swedish spreadsheet (`;`, decimal commas, CRLF, BOM) uploaded through the API."""

from __future__ import annotations

from io import BytesIO

import pytest

from ultrathon.platform.extensions import db
from ultrathon.platform.models import Submission
from ultrathon.scorers import read_solution, read_submission

SLUG = "flchain-survival"  # patient_id + risk
UPLOAD = f"/api/v1/challenges/{SLUG}/submissions"


@pytest.fixture
def challenge(make_open_challenge):
    return make_open_challenge(SLUG)


@pytest.fixture
def member(challenge, make_team, token_for):
    return token_for(make_team(challenge, name="Ugler").memberships[0].user)


def file_of(challenge, name: str) -> bytes:
    return next(f.content for f in challenge.files if f.name == name)


def as_excel_da(comma_csv: bytes) -> bytes:
    """Return a comma CSV as Excel in a Danish locale saves it: BOM, ';', decimal commas, CRLF."""
    lines = comma_csv.decode().splitlines()
    return b"\xef\xbb\xbf" + "".join(line.replace(",", ";").replace(".", ",") + "\r\n" for line in lines).encode()


def upload(client, headers, data: bytes):
    return client.post(UPLOAD, data={"file": (BytesIO(data), "forudsigelser.csv")}, headers=headers, content_type="multipart/form-data")


def test_a_danish_spreadsheet_is_accepted_and_scored_like_the_comma_file(client, member, challenge):
    sample = file_of(challenge, "sample_submission.csv")
    danish = as_excel_da(sample)
    assert b";" in danish and b"," in danish and b"." not in danish
    response = upload(client, member, danish)
    assert response.status_code == 202, response.get_json()
    stored = db.session.execute(db.select(Submission)).scalar_one()
    # The stored bytes are what the sealed scorer reads, with the same reader as the upload check.
    spec = challenge.settings
    solution = read_solution(file_of(challenge, spec.data.solution), spec) if any(
        f.name == spec.data.solution for f in challenge.files) else None
    ids = None if solution is None else solution[spec.data.id_column]
    read = read_submission(stored.content, spec, solution_ids=ids)
    assert read.equals(read_submission(sample, spec, solution_ids=ids))


def test_a_spreadsheet_mixing_decimal_marks_is_400_with_line_and_column(client, member, challenge):
    danish = as_excel_da(file_of(challenge, "sample_submission.csv")).decode().split("\r\n")
    first, value = danish[1].split(";")
    danish[2] = danish[2].replace(",", ".")
    response = upload(client, member, "\r\n".join(danish).encode())
    assert response.status_code == 400
    problem = response.get_json()["problems"][0]
    assert problem["row"] == 3 and problem["column"] == "risk"
    assert problem["message"].endswith(f"has a decimal point, but line 2 writes '{value}' with a decimal comma; the file was read "
                                       "as separated by semicolons (;) with decimal commas (0,5): write every decimal with a "
                                       "comma, or ask the organisers to set submission.decimal")
    assert db.session.execute(db.select(db.func.count(Submission.id))).scalar_one() == 0
