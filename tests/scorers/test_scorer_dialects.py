"""Danish and Swedish spreadsheets: `;` between columns, decimal commas, CRLF and a BOM."""

from __future__ import annotations

import gzip

from pathlib import Path

import numpy as np
import pytest
import yaml

from ultrathon.scorers import SubmissionError, read_submission
from ultrathon.spec import schema_problems

SURVIVAL_YAML = Path(__file__).resolve().parents[2] / "challenges" / "flchain-survival" / "challenge.yaml"

IDS = ["P1", "P2", "P3"]
BOM = b"\xef\xbb\xbf"
# As Excel in a Danish or Swedish locale saves "CSV (semikolonsepareret)": BOM, `;`, CRLF, decimal commas.
EXCEL_DA = BOM + b"patient_id;prob\r\nP1;0,734\r\nP2;0,5\r\nP3;0,1\r\n"


def read(data: bytes, spec) -> np.ndarray:
    return read_submission(data, spec, solution_ids=IDS)["prob"].to_numpy()


def messages(data: bytes, spec) -> list[str]:
    with pytest.raises(SubmissionError) as caught:
        read_submission(data, spec, solution_ids=IDS)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("data", [
    pytest.param(EXCEL_DA, id="excel-da"),
    pytest.param(gzip.compress(EXCEL_DA, mtime=0), id="excel-da-gzip"),
    pytest.param(b"patient_id;prob\nP1;0,734\nP2;0,5\nP3;0,1", id="lf-no-final-newline"),
    pytest.param(b"patient_id;prob\nP1;0.734\nP2;0.5\nP3;0.1\n", id="semicolons-decimal-points"),
    pytest.param(b'"patient_id";"prob"\r\n"P1";"0,734"\r\nP2;0,5\r\nP3;0,1\r\n', id="quoted"),
    pytest.param(b"patient_id\tprob\r\nP1\t0,734\r\nP2\t0,5\r\nP3\t0,1\r\n", id="tabs-decimal-commas"),
    pytest.param(b"patient_id,prob\nP1,0.734\nP2,0.5\nP3,0.1\n", id="commas-still"),
])
def test_a_danish_spreadsheet_reads_like_the_comma_file(data, make_spec):
    assert read(data, make_spec("binary")).tolist() == [0.734, 0.5, 0.1]


def test_a_survival_risk_with_decimal_commas_is_read(make_spec):
    spec = make_spec("survival")
    column = spec.submission.columns[0]
    data = BOM + f"patient_id;{column}\r\nP1;12,5\r\nP2;-0,25\r\nP3;3\r\n".encode()
    assert read_submission(data, spec, solution_ids=IDS)[column].tolist() == [12.5, -0.25, 3.0]


def test_set_delimiter_and_decimal_are_used_without_guessing(make_spec):
    spec = make_spec("survival", submission={"delimiter": ";", "decimal": ","})
    column = spec.submission.columns[0]
    # 1,234 is ambiguous only when guessed: the challenge says commas are decimals.
    data = f"patient_id;{column}\nP1;1,234\nP2;2,345\nP3;3\n".encode()
    assert read_submission(data, spec, solution_ids=IDS)[column].tolist() == [1.234, 2.345, 3.0]


def test_a_value_mixing_decimal_points_and_commas_is_refused_with_how_it_was_read(make_spec):
    data = b"patient_id;prob\r\nP1;0,734\r\nP2;0.5\r\nP3;0,1\r\n"
    assert messages(data, make_spec("binary")) == [
        "line 3, column 'prob': '0.5' has a decimal point, but line 2 writes '0,734' with a decimal comma; the file was "
        "read as separated by semicolons (;) with decimal commas (0,5): write every decimal with a comma, or ask the "
        "organisers to set submission.decimal"]


def test_values_that_could_be_thousands_are_refused_with_both_readings(make_spec):
    spec = make_spec("survival")
    column = spec.submission.columns[0]
    data = f"patient_id;{column}\nP1;1,234\nP2;2,345\nP3;3\n".encode()
    assert messages(data, spec) == [
        f"line 2, column '{column}': '1,234' could be 1.234 or 1234: the file was read as separated by semicolons (;) "
        "with decimal commas (0,5), so it reads 1.234; write thousands without a separator (1234) or decimals with "
        "more or fewer digits (1,2340), or ask the organisers to set submission.decimal"]


def test_one_unambiguous_decimal_comma_settles_the_column(make_spec):
    spec = make_spec("survival")
    column = spec.submission.columns[0]
    data = f"patient_id;{column}\nP1;1,234\nP2;0,5\nP3;3\n".encode()
    assert read_submission(data, spec, solution_ids=IDS)[column].tolist() == [1.234, 0.5, 3.0]


def test_a_set_comma_delimiter_refuses_semicolons_as_before(make_spec):
    spec = make_spec("binary", submission={"delimiter": ","})
    assert messages(EXCEL_DA, spec) == ["line 1: the file is separated by semicolons (;); separate the columns with commas (,)"]


def test_a_set_semicolon_delimiter_refuses_a_comma_file(make_spec):
    spec = make_spec("binary", submission={"delimiter": ";"})
    data = b"patient_id,prob\nP1,0.1\nP2,0.5\nP3,0.9\n"
    assert messages(data, spec) == ["line 1: the file is separated by commas (,); separate the columns with semicolons (;)"]


def test_a_comma_file_where_decimal_commas_are_set_is_refused(make_spec):
    spec = make_spec("binary", submission={"decimal": ","})
    data = b"patient_id,prob\nP1,0.1\nP2,0.5\nP3,0.9\n"
    assert messages(data, spec) == [
        "line 1: the file is separated by commas (,), but this challenge writes decimal commas "
        "(submission.decimal: ','); separate the columns with semicolons (;)"]


def test_a_decimal_comma_where_points_are_set_says_to_use_a_dot(make_spec):
    spec = make_spec("binary", submission={"decimal": "."})
    data = b"patient_id;prob\nP1;0,734\nP2;0.5\nP3;0.1\n"
    assert messages(data, spec) == ["line 2, column 'prob': not a number: '0,734' (use a dot as the decimal separator)"]


def test_a_row_with_a_stray_semicolon_is_pointed_at(make_spec):
    data = b"patient_id;prob\nP1;0,734\nP2;0;5\nP3;0,1\n"
    assert messages(data, make_spec("binary")) == [
        "line 3: 3 fields where the header has 2 (quote values that contain semicolons)"]


def test_the_spec_refuses_decimal_commas_between_comma_columns_by_key():
    raw = yaml.safe_load(SURVIVAL_YAML.read_text())
    raw["submission"] = {**raw["submission"], "delimiter": ",", "decimal": ","}
    assert [(p.key, p.message) for p in schema_problems(raw)] == [
        ("submission.decimal", "',' cannot be the decimal mark of a file whose columns are separated by ','; "
                               "use delimiter ';' with decimal ','")]


@pytest.mark.parametrize("submission, key", [({"delimiter": "|"}, "submission.delimiter"), ({"decimal": ";"}, "submission.decimal")])
def test_the_spec_names_the_key_of_an_unknown_dialect(submission, key):
    raw = yaml.safe_load(SURVIVAL_YAML.read_text())
    raw["submission"] = {**raw["submission"], **submission}
    assert [p.key for p in schema_problems(raw)] == [key]
