"""Reading a submission: what is accepted, and the exact message for each thing refused."""

from __future__ import annotations

import gzip
import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from ultrathon.scorers import Problem, SolutionError, SubmissionError, read_solution, read_submission

IDS = ["P1", "P2", "P3"]


@pytest.fixture
def spec(make_spec):
    return make_spec("binary")


def problems_of(data: bytes, spec, solution_ids=IDS) -> list[Problem]:
    with pytest.raises(SubmissionError) as caught:
        read_submission(data, spec, solution_ids=solution_ids)
    return caught.value.problems


def messages(data: bytes, spec, solution_ids=IDS) -> list[str]:
    return [str(p) for p in problems_of(data, spec, solution_ids)]


# --- accepted encodings and layouts -----------------------------------------------------------

GOOD = "patient_id,prob\nP1,0.1\nP2,0.5\nP3,0.9\n"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(GOOD.encode(), id="plain"),
        pytest.param(b"\xef\xbb\xbf" + GOOD.encode(), id="utf8-bom"),
        pytest.param(GOOD.replace("\n", "\r\n").encode(), id="crlf"),
        pytest.param(GOOD.replace("\n", "\r").encode(), id="cr-only"),
        pytest.param(gzip.compress(GOOD.replace("\n", "\r").encode(), mtime=0), id="gzip-cr-only"),
        pytest.param(b"patient_id,prob\rP1,0.1\r\nP2,0.5\nP3,0.9", id="mixed-line-ends"),
        pytest.param(b'"patient_id","prob"\r\n"P1","0.1"\r\n"P2",0.5\r\nP3,"0.9"\r\n', id="quoted"),
        pytest.param(gzip.compress(GOOD.encode(), mtime=0), id="gzip"),
        pytest.param(gzip.compress(b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode(), mtime=0), id="gzip-bom-crlf"),
        pytest.param(b"prob,patient_id\n0.1,P1\n0.5,P2\n0.9,P3\n", id="columns-in-any-order"),
        pytest.param((GOOD + "\n\n").encode(), id="trailing-blank-lines"),
        pytest.param(b"patient_id,prob\nP1, 0.1\nP2,0.5 \nP3,0.9\n", id="spaces-around-numbers"),
    ],
)
def test_accepted_files_read_to_the_same_predictions(data, spec):
    frame = read_submission(data, spec, solution_ids=IDS)
    assert list(frame.columns) == ["patient_id", "prob"]
    assert frame["patient_id"].tolist() == IDS
    assert frame["prob"].tolist() == [0.1, 0.5, 0.9]
    assert frame["prob"].dtype == np.float64


def test_rows_come_back_in_the_solution_order(spec):
    frame = read_submission(b"patient_id,prob\nP3,0.9\nP1,0.1\nP2,0.5\n", spec, solution_ids=IDS)
    assert frame["patient_id"].tolist() == IDS
    assert frame["prob"].tolist() == [0.1, 0.5, 0.9]


def test_numeric_ids_match_whatever_their_spelling(spec):
    frame = read_submission(b"patient_id,prob\n002,0.5\n1,0.1\n3.0,0.9\n", spec, solution_ids=[1, 2, 3])
    assert frame["patient_id"].tolist() == [1, 2, 3]
    assert frame["prob"].tolist() == [0.1, 0.5, 0.9]


def test_without_solution_ids_duplicates_are_still_refused(spec):
    assert messages(b"patient_id,prob\nP1,0.1\nP1,0.2\n", spec, solution_ids=None) == [
        "line 3, column 'patient_id': duplicate id 'P1', first on line 2"
    ]


# --- whole-file problems --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n  \n", "the file is empty"),
        (gzip.compress(b"", mtime=0), "the file is empty"),
        (b"patient_id,prob\n", "the file has a header but no data rows"),
        (b"patient_id,prob\r\n\r\n", "the file has a header but no data rows"),
        (bytes(range(256)) * 8, "the file is not text (it looks like a binary file); upload a CSV file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "the file is not text (it looks like a binary file); upload a CSV file"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 40, "the file starts like gzip but cannot be decompressed; upload a plain .csv or a valid .csv.gz"),
        (gzip.compress(GOOD.encode(), mtime=0)[:-12], "the gzip file is truncated; upload it again"),
        (GOOD.encode("utf-16"), "the file is UTF-16 text; save it as UTF-8 CSV"),
        # Semicolons and tabs are read (test_scorer_dialects.py); other delimiters are named.
        (b"patient_id|prob\nP1|0.1\n", "line 1: the file is separated by vertical bars (|); separate the columns with commas (,)"),
        (b"patient_id|prob\nP1|0.1\n", "line 1: the file is separated by vertical bars (|); separate the columns with commas (,)"),
        (b"P1,0.1\nP2,0.5\n", "line 1: the first line must be a header naming the columns: patient_id, prob"),
        (b"1,0.1\n2,0.5\n", "line 1: the first line must be a header naming the columns: patient_id, prob"),
        (b"\npatient_id,prob\nP1,0.1\n", "line 1: the first line is empty; it must be the header: patient_id, prob"),
        (b"patient_id,prob\nP1,0.1\nP\xe9,0.5\n", "line 3: the file is not valid UTF-8 text (byte 0xE9); save it as UTF-8 CSV"),
    ],
)
def test_whole_file_problems_have_exact_messages(data, message, spec):
    assert messages(data, spec)[0] == message


def test_a_zip_archive_is_refused_as_such(spec):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("submission.csv", GOOD)
    assert messages(buffer.getvalue(), spec) == [
        "the file is a zip archive (an Excel workbook is one); upload a .csv or .csv.gz file"
    ]


def test_a_gzip_bomb_is_refused(make_spec):
    spec = make_spec("binary", submission={"max_mb": 0.01})
    bomb = gzip.compress(b"patient_id,prob\n" + b"P1,0.1\n" * 400_000)
    assert messages(bomb, spec) == ["the gzip file expands past 0.04 MB of CSV, the most this challenge accepts"]


def test_a_data_line_with_millions_of_fields_is_refused_before_it_is_parsed(make_spec):
    spec = make_spec("binary")
    rows = b"".join(f"P{i},0.5\n".encode() for i in range(3)) + b"P9," + b"0," * 2_000_000 + b"0\n"
    # The parser took over a minute and 800 MB on this line; it is refused by a count of commas.
    assert messages(gzip.compress(b"patient_id,prob\n" + rows), spec) == ["line 5: 2,000,002 fields where the header has 2"]


def test_a_gzip_up_to_the_ceiling_reads_like_the_plain_file(make_spec):
    spec = make_spec("binary", submission={"max_mb": 0.1})  # a .csv.gz may expand to 4 x 0.1 MB
    rows = [f"P{i:06d},0.{i % 10}\n" for i in range(40_000)]  # 12 bytes each
    plain = ("patient_id,prob\n" + "".join(rows[:34_000])).encode()
    assert 0.35 * 2**20 < len(plain) < 0.4 * 2**20
    frame = read_submission(gzip.compress(plain), spec)
    assert frame.equals(read_submission(plain, spec)) and len(frame) == 34_000
    past = ("patient_id,prob\n" + "".join(rows)).encode()
    assert messages(gzip.compress(past), spec, solution_ids=None) == [
        "the gzip file expands past 0.4 MB of CSV, the most this challenge accepts"
    ]
    assert messages(gzip.compress(plain)[:-5000], spec, solution_ids=None) == ["the gzip file is truncated; upload it again"]


# --- bounded header checks (the hostile files themselves: tests/platform/test_api_upload_checks.py) -----


def test_a_header_of_up_to_twenty_extra_fields_is_listed_column_by_column(spec):
    extra = ",".join(f"x{i}" for i in range(20))
    listed = messages(f"patient_id,prob,{extra}\nP1,0.1\n".encode(), spec)
    assert listed[0] == "line 1, column 'x0': unexpected column 'x0'" and len(listed) == 21


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"patient_id,prob," + b",".join(b"x%d" % i for i in range(21)), "line 1: the header has 23 fields; this challenge takes 2 columns: patient_id, prob"),
        # Past MAX_HEADER_BYTES only the fields in those bytes are counted.
        (b"a," * 200_000 + b"a", "line 1: the header has more than 131,072 fields; this challenge takes 2 columns: patient_id, prob"),
    ],
)
def test_a_header_with_more_fields_is_refused_by_its_count(header, message, spec):
    assert messages(header + b"\nP1,0.1\n", spec) == [message]
    assert messages(gzip.compress(header + b"\nP1,0.1\n"), spec) == [message]


def test_a_bad_header_is_answered_before_the_gzip_is_unzipped_whole(make_spec):
    spec = make_spec("binary", submission={"max_mb": 0.01})
    bomb = gzip.compress(b"patient_id,probability\n" + b"P1,0.1\n" * 400_000)
    assert messages(bomb, spec, solution_ids=None) == [
        "line 1, column 'probability': unexpected column 'probability'",
        "line 1, column 'prob': missing column 'prob'",
        "line 1: the header must name exactly these columns: patient_id, prob",
    ]


def test_a_first_line_too_long_for_a_header_is_refused(spec):
    assert messages(b"patient_id,prob" + b"b" * 300_000 + b"\nP1,0.1\n", spec) == [
        "line 1: the first line is longer than 256 KB, too long for a header; it must name the columns: patient_id, prob"
    ]


def test_a_long_column_name_is_cut_in_the_message(spec):
    name = "prediction_" + "x" * 60
    assert messages(f"patient_id,{name}\nP1,0.1\n".encode(), spec)[0] == (
        "line 1, column 'prediction_xxxxxxxxxxxxxxxxxxxxxxxxxxxx…': unexpected column 'prediction_xxxxxxxxxxxxxxxxxxxxxxxxxxxx…'"
    )


def test_a_solution_header_may_have_ten_thousand_fields(make_spec):
    spec = make_spec("binary")

    def solution(extra: int) -> bytes:
        return (f"patient_id,outcome,{','.join(f'f{i}' for i in range(extra))}\nP1,0{',0' * extra}\nP2,1{',0' * extra}\n").encode()

    assert len(read_solution(solution(9_998), spec)) == 2
    with pytest.raises(SolutionError) as caught:
        read_solution(solution(9_999), spec)
    assert [str(p) for p in caught.value.problems] == ["line 1: the header has 10,001 fields; a file may have at most 10,000"]


# --- header -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("patient_id,Prob", ["line 1, column 'Prob': column 'Prob' should be named 'prob'"]),
        ("patient_id, prob", ["line 1, column ' prob': column ' prob' should be named 'prob'"]),
        ("Patient ID,prob", ["line 1, column 'Patient ID': column 'Patient ID' should be named 'patient_id'"]),
        ("patient_id,probb", ["line 1, column 'probb': unexpected column 'probb'; did you mean 'prob'?"]),
        ("patient_id,prob,notes", ["line 1, column 'notes': unexpected column 'notes'"]),
        ("patient_id", ["line 1, column 'prob': missing column 'prob'"]),
        ("patient_id,prob,prob", ["line 1, column 'prob': column 'prob' appears more than once in the header"]),
    ],
)
def test_header_problems_suggest_the_expected_name(header, expected, spec):
    found = messages(f"{header}\nP1,0.1\n".encode(), spec)
    assert found == [*expected, "line 1: the header must name exactly these columns: patient_id, prob"]


def test_a_multiclass_label_column_is_refused_with_the_reason(make_spec):
    spec = make_spec("multiclass")
    assert messages(b"patient_id,grade\nP1,II\n", spec) == [
        "line 1: this challenge takes one probability column per class (I, II, III), not a column of labels"
    ]


def test_a_row_with_too_many_fields_is_pointed_at(spec):
    assert messages(b"patient_id,prob\nP1,0.1\nP2,0,5\nP3,0.9\n", spec) == [
        "line 3: 3 fields where the header has 2 (quote values that contain commas; use a dot for decimals)"
    ]


def test_an_unclosed_quote_is_pointed_at(spec):
    assert messages(b'patient_id,prob\nP1,0.1\nP2,"0.5\nP3,0.9\n', spec) == ["line 3: a quote opened on this line is not closed"]


# --- values ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("", "empty value"),
        ("NaN", "missing value 'NaN'; every row needs a number"),
        ("nan", "missing value 'nan'; every row needs a number"),
        ("NA", "missing value 'NA'; every row needs a number"),
        ("inf", "infinite value 'inf'"),
        ("-Infinity", "infinite value '-Infinity'"),
        ("high", "not a number: 'high'"),
        ('"0,5"', "not a number: '0,5' (use a dot as the decimal separator)"),
        ("1.2", "probability 1.2 is outside [0, 1]"),
        ("-0.01", "probability -0.01 is outside [0, 1]"),
    ],
)
def test_bad_values_are_named_with_line_and_column(cell, message, spec):
    data = f"patient_id,prob\nP1,0.1\nP2,{cell}\nP3,0.9\n".encode()
    assert messages(data, spec) == [f"line 3, column 'prob': {message}"]


def test_problems_in_a_cr_only_file_name_its_lines(spec):
    data = b"patient_id,prob\rP1,0.1\rP2,high\rP\xe9,0.9\r"
    assert messages(data, spec) == ["line 4: the file is not valid UTF-8 text (byte 0xE9); save it as UTF-8 CSV"]
    assert messages(data.replace(b"\xe9", b"3"), spec) == ["line 3, column 'prob': not a number: 'high'"]


def test_regression_values_may_be_outside_zero_one(make_spec):
    spec = make_spec("regression")
    frame = read_submission(b"patient_id,prediction\nP1,-3.5\nP2,1e6\nP3,0\n", spec, solution_ids=IDS)
    assert frame["prediction"].tolist() == [-3.5, 1e6, 0.0]


def test_multiclass_rows_must_sum_to_one(make_spec):
    spec = make_spec("multiclass")
    data = b"patient_id,I,II,III\nP1,0.2,0.3,0.5\nP2,0.3,0.3,0.3\nP3,0.3333333,0.3333333,0.3333334\n"
    assert messages(data, spec) == [
        "line 3: the class probabilities sum to 0.9, not 1 (tolerance 1e-6); divide each by the row's sum"
    ]


def test_multiclass_rows_rounded_to_four_decimals_are_refused(make_spec):
    spec = make_spec("multiclass")
    data = b"patient_id,I,II,III\nP1,0.3333,0.3333,0.3333\nP2,0.2,0.3,0.5\nP3,0.2,0.3,0.5\n"
    assert messages(data, spec) == [
        "line 2: the class probabilities sum to 0.9999, not 1 (tolerance 1e-6); divide each by the row's sum"
    ]


def test_multiclass_rows_within_tolerance_are_accepted(make_spec):
    spec = make_spec("multiclass")
    data = b"patient_id,III,I,II\nP1,0.5,0.2,0.3\nP2,0.2000005,0.4,0.4\nP3,0,1,0\n"
    frame = read_submission(data, spec, solution_ids=IDS)
    assert list(frame.columns) == ["patient_id", "I", "II", "III"]
    assert frame.loc[0, ["I", "II", "III"]].tolist() == [0.2, 0.3, 0.5]


# --- ids --------------------------------------------------------------------------------------------------


def test_duplicate_unknown_and_missing_ids_are_listed(spec):
    data = b"patient_id,prob\nP1,0.1\nX9,0.5\nP1,0.2\n,0.3\n"
    assert messages(data, spec) == [
        "line 5, column 'patient_id': empty id",
        "line 3, column 'patient_id': unknown id 'X9': not one of the challenge's ids",
        "line 4, column 'patient_id': duplicate id 'P1', first on line 2",
        "column 'patient_id': 2 of the challenge's ids have no row: 'P2', 'P3'",
    ]


def test_one_missing_id_is_named(spec):
    assert messages(b"patient_id,prob\nP1,0.1\nP3,0.5\n", spec) == [
        "column 'patient_id': 1 of the challenge's id has no row: 'P2'"
    ]


def test_many_missing_ids_show_a_few(spec):
    ids = [f"P{i}" for i in range(1, 101)]
    found = messages(b"patient_id,prob\nP1,0.1\n", spec, solution_ids=ids)
    assert found == ["column 'patient_id': 99 of the challenge's ids have no row: 'P2', 'P3', 'P4', 'P5', 'P6', …"]


# --- many problems ------------------------------------------------------------------------------------------


def test_the_message_shows_twenty_problems_and_counts_the_rest(spec):
    n = 300
    ids = [f"P{i}" for i in range(n)]
    data = ("patient_id,prob\n" + "".join(f"P{i},abc\n" for i in range(n))).encode()
    with pytest.raises(SubmissionError) as caught:
        read_submission(data, spec, solution_ids=ids)
    error = caught.value
    assert error.total == n
    text = str(error).splitlines()
    assert text[0] == "300 problems in the submission:"
    assert text[1] == "- line 2, column 'prob': not a number: 'abc'"
    assert len(text) == 1 + 20 + 1
    assert text[-1] == "- and 280 more problems"


def test_problems_are_data_with_row_column_and_message(spec):
    (problem,) = problems_of(b"patient_id,prob\nP1,0.1\nP2,abc\nP3,0.9\n", spec)
    assert problem == Problem(row=3, column="prob", message="not a number: 'abc'")


# --- the solution -------------------------------------------------------------------------------------------


def test_read_solution_normalises_ids_outcomes_and_usage(make_spec):
    spec = make_spec("binary", subgroups=["sex"])
    data = b"patient_id,outcome,Usage,sex\nP1,1,public,F\nP2,0,PRIVATE,M\nP3,,Ignored,F\n"
    frame = read_solution(data, spec)
    assert frame["Usage"].tolist() == ["Public", "Private", "Ignored"]
    assert frame["outcome"].iloc[:2].tolist() == [1.0, 0.0]


def test_read_solution_reports_bad_outcomes_for_organisers(make_spec):
    spec = make_spec("survival")
    data = b"patient_id,futime,death,Usage\n1,10,1,Public\n2,-1,1,Private\n3,5,2,Private\n4,5,1,Later\n1,3,0,Public\n"
    with pytest.raises(SolutionError) as caught:
        read_solution(data, spec)
    assert [str(p) for p in caught.value.problems] == [
        "line 6, column 'patient_id': duplicate id '1', first on line 2",
        "line 5, column 'Usage': 'Later' is not one of Public, Private, Ignored",
        "line 3, column 'futime': '-1' is not a time (a number >= 0)",
        "line 4, column 'death': '2' is not an event indicator (0 or 1)",
    ]


def test_read_solution_requires_outcome_and_subgroup_columns(make_spec):
    spec = make_spec("binary", subgroups=["site"])
    with pytest.raises(SolutionError) as caught:
        read_solution(b"patient_id,Outcome\nP1,1\n", spec)
    assert [str(p) for p in caught.value.problems] == [
        "line 1, column 'Outcome': column 'Outcome' should be named 'outcome'",
        "line 1, column 'site': missing column 'site'",
        "line 1: the header must include these columns: patient_id, outcome, site",
    ]


def test_multiclass_solution_labels_must_be_classes(make_spec):
    spec = make_spec("multiclass")
    with pytest.raises(SolutionError) as caught:
        read_solution(b"patient_id,grade\nP1,I\nP2,IV\n", spec)
    assert [str(p) for p in caught.value.problems] == [
        "line 3, column 'grade': 'IV' is not one of the classes: I, II, III"
    ]
    frame = pd.DataFrame({"patient_id": ["P1", "P2"], "grade": ["III", " I"]})
    assert read_solution(frame.to_csv(index=False).encode(), spec)["grade"].tolist() == ["III", "I"]


def test_spaces_around_ids_do_not_make_them_unknown(spec):
    frame = read_submission(b"patient_id,prob\n P1,0.1\nP2 ,0.5\n\"P3 \",0.9\n", spec, solution_ids=IDS)
    assert frame["prob"].tolist() == [0.1, 0.5, 0.9]


def test_an_id_with_spaces_still_counts_as_a_duplicate(spec):
    assert messages(b"patient_id,prob\nP1,0.1\nP2,0.5\nP3,0.9\nP2 ,0.4\n", spec) == [
        "line 5, column 'patient_id': duplicate id 'P2 ', first on line 3"
    ]
