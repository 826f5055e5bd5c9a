"""Read and validate uploaded CSV files: a team's submission and an organiser's solution.

Every problem found is reported with the file's line (the header is line 1) and column. Messages
about a submission only ever quote the team's own file (and the challenge's ids, which teams
have); nothing is read from the solution's outcome columns while checking a submission.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
import warnings
import zlib
from typing import TYPE_CHECKING, Iterator

import numpy as np
import pandas as pd

from ultrathon.scorers.errors import SHOWN_PROBLEMS, FileProblems, Problem, SolutionError, SubmissionError
from ultrathon.scorers.splits import IGNORED, USAGE_VALUES, normalise_usage, usage_column

if TYPE_CHECKING:
    from ultrathon.spec import ChallengeSpec

MAX_LISTED = 100  # problems listed per kind; beyond that they are only counted
MB = 2**20
GZIP_EXPANSION = 4  # a .csv.gz may hold this many times the challenge's upload limit of CSV
INFLATE_STEP = 64 * 1024  # gzip is read and inflated this much at a time
HEAD_BYTES = 8192  # the start of a file that tells what kind of file it is
MAX_HEADER_BYTES = 256 * 1024  # the longest first line read as a header
HEADER_SLACK = 20  # fields beyond a submission's columns still listed one by one
MAX_HEADER_FIELDS = 10_000  # the most fields any header may have
MAX_SUGGESTIONS = 10  # "did you mean" lookups per header
SHOWN_IDS = 5
PROBABILITY_TOLERANCE = 1e-6
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
UTF8_BOM = codecs.BOM_UTF8
MISSING_WORDS = {"nan", "-nan", "na", "n/a", "#n/a", "null", "none", "<na>", "nat", "missing", "?"}
OTHER_DELIMITERS = ((";", "semicolons (;)"), ("\t", "tabs"), ("|", "vertical bars (|)"))


class _Collector:
    """Gather problems, listing at most MAX_LISTED of each kind and counting the rest."""

    def __init__(self):
        self.problems: list[Problem] = []
        self.omitted = 0
        self._listed: dict[str, int] = {}

    def add(self, kind: str, problem: Problem) -> None:
        """Add a problem, or only count it once its kind has MAX_LISTED listed."""
        listed = self._listed.get(kind, 0)
        if listed < MAX_LISTED:
            self.problems.append(problem)
            self._listed[kind] = listed + 1
        else:
            self.omitted += 1

    def add_rows(self, kind: str, rows: np.ndarray, make) -> None:
        """Add one problem per row index (0-based data row), built only for the listed ones."""
        listed = self._listed.get(kind, 0)
        room = max(0, MAX_LISTED - listed)
        for row in rows[:room]:
            self.add(kind, make(int(row)))
        self.omitted += max(0, rows.size - room)

    def __bool__(self) -> bool:
        return bool(self.problems) or self.omitted > 0

    def raise_if_any(self, error: type[FileProblems]) -> None:
        """Raise the given error with every problem gathered, if there is any."""
        if self:
            raise error(self.problems, self.omitted)


def _line(row: int) -> int:
    """Return the file line of a 0-based data row (the header is line 1)."""
    return row + 2


def shortened(value: object, limit: int = 40) -> str:
    """Return a value as text cut to a readable length."""
    text = str(value)
    return text[: limit - 1] + "…" if len(text) > limit else text


def quoted(value: object, limit: int = 40) -> str:
    """Return a value quoted for a message, cut to a readable length."""
    return repr(shortened(value, limit))


# --- bytes to text -------------------------------------------------------------------------


def _megabytes(size: float) -> str:
    return f"{round(size / MB, 2):g} MB"


def _text_chunks(data: bytes, max_bytes: int, error: type[FileProblems]) -> Iterator[bytes]:
    """Yield an upload's text a step at a time: gunzipped when gzip, never past max_bytes in all."""
    if data[:2] != GZIP_MAGIC:
        yield data
        return
    # Input and output both go in steps, so memory stays a few steps however far a file expands.
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    total = 0
    for start in range(0, len(data), INFLATE_STEP):
        pending = data[start : start + INFLATE_STEP]
        while True:
            try:
                out = inflater.decompress(pending, INFLATE_STEP)
            except zlib.error:
                raise error([Problem(None, None, "the file starts like gzip but cannot be decompressed; upload a plain .csv or a valid .csv.gz")]) from None
            if total + len(out) > max_bytes:
                if total < max_bytes:
                    yield out[: max_bytes - total]  # a reader of the start may stop before the ceiling
                raise error([Problem(None, None, f"the gzip file expands past {_megabytes(max_bytes)} of CSV, the most this challenge accepts")])
            total += len(out)
            if out:
                yield out
            if inflater.eof:
                return
            pending = inflater.unconsumed_tail
            # A full step may leave output inside the inflater even once the input is used up.
            if not pending and len(out) < INFLATE_STEP:
                break
    raise error([Problem(None, None, "the gzip file is truncated; upload it again")])


def _gunzip(data: bytes, max_bytes: int, error: type[FileProblems]) -> bytes:
    # Measured first in bounded steps: a file past the ceiling is refused having held only a step.
    size = sum(len(chunk) for chunk in _text_chunks(data, max_bytes, error))
    # Then inflated whole into a buffer of exactly its size (one copy in memory, not two).
    return zlib.decompress(data, 16 + zlib.MAX_WBITS, max(size, 1))


def _looks_binary(head: bytes) -> bool:
    """Return True when the start of a file has NUL bytes or too many non-text characters."""
    if b"\x00" in head:
        return True
    text = head.decode("utf-8", errors="replace")
    odd = sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r\f"))
    return odd > max(2, len(text) // 20)


def _check_kind(head: bytes, error: type[FileProblems]) -> None:
    """Raise unless the start of a file's text (gunzipped) looks like UTF-8 CSV."""
    if head[:4] == ZIP_MAGIC:
        raise error([Problem(None, None, "the file is a zip archive (an Excel workbook is one); upload a .csv or .csv.gz file")])
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise error([Problem(None, None, "the file is UTF-16 text; save it as UTF-8 CSV")])
    if _looks_binary(head.removeprefix(UTF8_BOM)):
        raise error([Problem(None, None, "the file is not text (it looks like a binary file); upload a CSV file")])


def decode_upload(data: bytes, max_bytes: int, error: type[FileProblems] = SubmissionError) -> bytes:
    """Return an upload's CSV bytes: gunzipped, without BOM, checked to be UTF-8 text."""
    if not data:
        raise error([Problem(None, None, "the file is empty")])
    if data[:2] == GZIP_MAGIC:
        data = _gunzip(data, max_bytes, error)
    _check_kind(data[:HEAD_BYTES], error)
    if data[:3] == UTF8_BOM:
        data = data[3:]
    data = _lf_line_ends(data)
    _check_utf8(data, error)
    if not data.strip():
        raise error([Problem(None, None, "the file is empty")])
    return data


def _lf_line_ends(data: bytes) -> bytes:
    """Return the text with each lone CR (the line end of old Mac software) made LF; CRLF and LF stay."""
    # Counting is cheap, so only a file with a lone CR pays for the copy. One inside a quoted
    # value becomes LF: a line break in that value either way.
    carriage_returns = data.count(b"\r")
    if not carriage_returns or carriage_returns == data.count(b"\r\n"):
        return data
    return re.sub(rb"\r(?!\n)", b"\n", data)


def _check_utf8(data: bytes, error: type[FileProblems]) -> None:
    # Decoded in chunks and thrown away: validation without holding a second copy of the file.
    decoder = codecs.getincrementaldecoder("utf-8")()
    step = 1 << 20
    for start in range(0, len(data), step):
        try:
            decoder.decode(data[start : start + step], final=start + step >= len(data))
        except UnicodeDecodeError as exc:
            position = start + exc.start
            line = data.count(b"\n", 0, position) + 1
            raise error([Problem(line, None, f"the file is not valid UTF-8 text (byte 0x{data[position]:02X}); save it as UTF-8 CSV")]) from None


# --- header ---------------------------------------------------------------------------------


def _start_of_text(data: bytes, max_bytes: int, error: type[FileProblems]) -> bytes:
    """Return the start of an upload's text: its kind and first line, at most MAX_HEADER_BYTES + 1 bytes."""
    start = bytearray()
    for chunk in _text_chunks(data, max_bytes, error):
        start += chunk[: MAX_HEADER_BYTES + 1 - len(start)]
        if len(start) > MAX_HEADER_BYTES or (len(start) >= HEAD_BYTES and b"\n" in start):
            break
    return bytes(start)


def read_header(data: bytes, max_bytes: int, expected: list[str], error: type[FileProblems], *, extra_allowed: bool = False) -> list[str]:
    """Return the fields of an upload's header, read from the start of the file alone, or raise error."""
    # However long the file or far it expands, only MAX_HEADER_BYTES of its first line are read,
    # and its fields counted (as commas, quotes aside) before anything splits them.
    if not data:
        raise error([Problem(None, None, "the file is empty")])
    start = _lf_line_ends(_start_of_text(data, max_bytes, error))
    if not start.strip() and len(start) < HEAD_BYTES:
        raise error([Problem(None, None, "the file is empty")])
    _check_kind(start[:HEAD_BYTES], error)
    wanted = ", ".join(expected)
    max_fields = MAX_HEADER_FIELDS if extra_allowed else min(len(expected) + HEADER_SLACK, MAX_HEADER_FIELDS)
    takes = f"a file may have at most {max_fields:,}" if extra_allowed else f"this challenge takes {len(expected)} columns: {wanted}"
    end = start.find(b"\n")
    line = start if end < 0 else start[:end]
    commas = line.count(b",")
    if len(line) > MAX_HEADER_BYTES:
        if commas >= max_fields:
            raise error([Problem(1, None, f"the header has more than {commas:,} fields; {takes}")])
        raise error([Problem(1, None, f"the first line is longer than {MAX_HEADER_BYTES // 1024} KB, too long for a header; it must name the columns: {wanted}")])
    if commas + 1 > max_fields:
        raise error([Problem(1, None, f"the header has {commas + 1:,} fields; {takes}")])
    line = line.removeprefix(UTF8_BOM).rstrip(b"\r")
    _check_utf8(line, error)
    return next(csv.reader([line.decode("utf-8")]), [])


def _simplified(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", name).casefold()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_header(fields: list[str], expected: list[str], error: type[FileProblems], *, extra_allowed: bool = False) -> None:
    """Raise unless the header names the expected columns (exactly, or at least), suggesting near misses."""
    found = _Collector()
    wanted = ", ".join(expected)
    if not any(f.strip() for f in fields):
        raise error([Problem(1, None, f"the first line is empty; it must be the header: {wanted}")])
    if len(fields) == 1 and len(expected) > 1:
        for delimiter, name in OTHER_DELIMITERS:
            if delimiter in fields[0]:
                raise error([Problem(1, None, f"the file is separated by {name}; separate the columns with commas (,)")])
    present = set(fields)
    if not present & set(expected) and any(_is_number(f) for f in fields):
        raise error([Problem(1, None, f"the first line must be a header naming the columns: {wanted}")])
    seen: set[str] = set()
    for name in fields:
        if name in seen:
            found.add("header", Problem(1, shortened(name), f"column {quoted(name)} appears more than once in the header"))
        seen.add(name)
    missing = [e for e in expected if e not in present]
    simplified = {e: _simplified(e) for e in missing}
    # difflib compares a name with each missing one, character by character: a few names only,
    # and none too long to be a near miss (a ratio of 0.6 needs at most 7/3 the length).
    suggestions = MAX_SUGGESTIONS
    longest = max(map(len, expected), default=0)
    for name in dict.fromkeys(fields):
        if name in expected:
            continue
        near = [e for e in missing if simplified[e] == _simplified(name)]
        if near:
            found.add("header", Problem(1, shortened(name), f"column {quoted(name)} should be named {near[0]!r}"))
            missing.remove(near[0])
            continue
        close = []
        if missing and suggestions and 3 * len(name) <= 7 * longest:
            suggestions -= 1
            close = difflib.get_close_matches(name, missing, n=1, cutoff=0.6)
        if close:
            found.add("header", Problem(1, shortened(name), f"unexpected column {quoted(name)}; did you mean {close[0]!r}?"))
            missing.remove(close[0])
        elif not extra_allowed:
            found.add("header", Problem(1, shortened(name), f"unexpected column {quoted(name)}"))
    for name in missing:
        found.add("header", Problem(1, name, f"missing column {name!r}"))
    if found:
        found.add("header", Problem(1, None, f"the header must name exactly these columns: {wanted}" if not extra_allowed else f"the header must include these columns: {wanted}"))
    found.raise_if_any(error)


# --- CSV to frame ---------------------------------------------------------------------------


def _field_count_problems(data: bytes, n_fields: int, error: type[FileProblems]) -> None:
    """Raise with the lines pandas could not parse: wrong field counts, unclosed quotes."""
    found = _Collector()
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    start = 1
    try:
        for row in reader:
            if any("\n" in field or "\r" in field for field in row):
                found.add("fields", Problem(start, None, "a quote opened on this line is not closed"))
            elif row and len(row) != n_fields:
                found.add("fields", Problem(reader.line_num, None, f"{len(row)} fields where the header has {n_fields} (quote values that contain commas; use a dot for decimals)"))
            start = reader.line_num + 1
    except csv.Error as exc:
        found.add("fields", Problem(reader.line_num, None, f"the line cannot be read as CSV ({exc})"))
    if not found:
        found.add("fields", Problem(None, None, "the file cannot be read as CSV; check quotes and delimiters"))
    found.raise_if_any(error)


FIELD_SLACK = 1000  # a line this many fields longer than the header cannot be a row of it, quotes or not


def _refuse_overlong_lines(data: bytes, n_fields: int, error: type[FileProblems]) -> None:
    """Refuse lines with far more fields than the header before the CSV parser spends time on them."""
    raw = np.frombuffer(data, dtype=np.uint8)
    starts = np.concatenate(([0], np.flatnonzero(raw == ord("\n")) + 1))
    starts = starts[starts < raw.size]
    if not starts.size:
        return
    fields = np.add.reduceat(raw == ord(","), starts, dtype=np.int64) + 1
    overlong = np.flatnonzero(fields > n_fields + FIELD_SLACK)
    if overlong.size:
        shown = [Problem(int(i) + 1, None, f"{int(fields[i]):,} fields where the header has {n_fields}")
                 for i in overlong[:SHOWN_PROBLEMS]]
        raise error(shown, omitted=int(overlong.size) - len(shown))


def parse_csv(data: bytes, n_fields: int, error: type[FileProblems]) -> pd.DataFrame:
    """Parse checked CSV bytes into a frame, turning malformed lines into problems."""
    _refuse_overlong_lines(data, n_fields, error)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(
                io.BytesIO(data),
                encoding="utf-8",
                keep_default_na=False,  # "NA" may be a real id; only an empty cell is missing
                na_values=[""],
                skipinitialspace=True,
                index_col=False,
                skip_blank_lines=False,
            )
        except (pd.errors.ParserError, ValueError):
            _field_count_problems(data, n_fields, error)
            raise  # unreachable: _field_count_problems always raises
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        _field_count_problems(data, n_fields, error)
    # Blank lines at the end of a file are harmless; drop them.
    end = len(frame)
    while end and frame.iloc[end - 1].isna().all():
        end -= 1
    return frame.iloc[:end] if end < len(frame) else frame


def normalise_ids(values) -> tuple[np.ndarray, np.ndarray]:
    """Return ids as int64 when all are whole numbers, else as text; and which are empty."""
    values = pd.Series(values) if not isinstance(values, pd.Series) else values
    if pd.api.types.is_integer_dtype(values):
        return values.to_numpy(dtype=np.int64), np.zeros(len(values), dtype=bool)
    if pd.api.types.is_float_dtype(values):
        array = values.to_numpy(dtype=np.float64)
        empty = np.isnan(array)
        whole = array[~empty]
        if np.all(np.isfinite(whole)) and np.all(whole == np.round(whole)) and np.all(np.abs(whole) < 2**53):
            out = np.zeros(array.size, dtype=np.int64)
            out[~empty] = whole.astype(np.int64)
            return out, empty
        text = values.astype(str).to_numpy(dtype=object)
        text[empty] = ""
        return text, empty
    array = values.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(array, skipna=False) == "string":
        return array, array == ""  # all text, none missing: the usual case, and fast
    missing = pd.isna(array)
    # Missing cells, or numbers mixed with text: compare them all as text.
    array = np.array(["" if gone else str(v) for v, gone in zip(array, missing)], dtype=object)
    return array, array == ""


def _comparable_ids(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return both id arrays in one type: integers when both are, text otherwise."""
    if left.dtype.kind == "i" and right.dtype.kind == "i":
        return left, right
    as_text = lambda a: a.astype(str).astype(object) if a.dtype.kind == "i" else a  # noqa: E731
    return as_text(left), as_text(right)


def _stripped(ids: np.ndarray) -> np.ndarray:
    return ids if ids.dtype.kind == "i" else np.array([str(v).strip() for v in ids], dtype=object)


def locate_ids(expected: np.ndarray, given: np.ndarray) -> np.ndarray:
    """Return, for each given id, its position among the expected ids (-1 when unknown)."""
    expected, given = _comparable_ids(np.asarray(expected), np.asarray(given))
    if expected.shape == given.shape and np.array_equal(expected, given):
        return np.arange(given.size)  # the usual case: rows in the sample submission's order
    position = pd.Index(expected).get_indexer(given)
    if (position < 0).any() and given.dtype.kind != "i":
        # Spaces around an id are a spreadsheet's doing, not a different id; stripping a
        # million ids costs a second, so only when exact matching has left some unmatched.
        position = pd.Index(_stripped(expected)).get_indexer(_stripped(given))
    return position


# --- values ---------------------------------------------------------------------------------


def _describe_bad_value(raw: object) -> str:
    """Return what is wrong with a cell that did not read as a finite number."""
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return "empty value"
    text = str(raw).strip()
    if text == "":
        return "empty value"
    if text.casefold() in MISSING_WORDS:
        return f"missing value {quoted(text)}; every row needs a number"
    try:
        number = float(text)
    except ValueError:
        if _is_number(text.replace(",", ".")):
            return f"not a number: {quoted(text)} (use a dot as the decimal separator)"
        return f"not a number: {quoted(text)}"
    if np.isinf(number):
        return f"infinite value {quoted(text)}"
    return f"missing value {quoted(text)}; every row needs a number"


def _raw_text(data: bytes, column: str) -> pd.Series:
    """Return a column exactly as written (only for explaining bad values: it costs a re-read)."""
    return pd.read_csv(io.BytesIO(data), usecols=[column], dtype=str, keep_default_na=False, index_col=False, skip_blank_lines=False)[column]


def _numeric_column(frame: pd.DataFrame, column: str, data: bytes, found: _Collector) -> np.ndarray:
    """Return a column as float64, reporting every value that is not a finite number."""
    values = frame[column]
    if pd.api.types.is_float_dtype(values) or pd.api.types.is_integer_dtype(values):
        array = values.to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(array))
        raw = _raw_text(data, column) if bad.size else None
    else:
        text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
        array = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(array))
        raw = text
    if bad.size:
        found.add_rows(f"value:{column}", bad, lambda row: Problem(_line(row), column, _describe_bad_value(raw.iloc[row])))
    return array


def _probability_problems(array: np.ndarray, column: str, found: _Collector) -> None:
    with np.errstate(invalid="ignore"):
        outside = np.flatnonzero(np.isfinite(array) & ((array < 0) | (array > 1)))
    found.add_rows(f"range:{column}", outside, lambda row: Problem(_line(row), column, f"probability {array[row]:.6g} is outside [0, 1]"))


# --- public readers ---------------------------------------------------------------------------


def _max_bytes(spec: ChallengeSpec) -> int:
    # CSV of ids and numbers gzips 3-5x: a .csv.gz at the upload limit may hold a few times it.
    return int(spec.submission.max_mb * MB * GZIP_EXPANSION)


def read_submission(data: bytes, spec: ChallengeSpec, solution_ids=None) -> pd.DataFrame:
    """Return a team's predictions (id + prediction columns, in solution order) or raise SubmissionError."""
    # Without solution_ids (a quick check at upload) ids are only checked for repeats.
    id_column = spec.data.id_column
    columns = list(spec.submission.columns)
    expected = [id_column, *columns]
    data, max_bytes = bytes(data), _max_bytes(spec)
    # The header first, from the first line alone: a wrong file is told apart before it is unzipped whole.
    fields = read_header(data, max_bytes, expected, SubmissionError)
    if spec.task == "multiclass" and len(fields) == 2 and id_column in fields and not set(fields) & set(columns):
        raise SubmissionError([Problem(1, None, f"this challenge takes one probability column per class ({', '.join(columns)}), not a column of labels")])
    check_header(fields, expected, SubmissionError)
    text = decode_upload(data, max_bytes, SubmissionError)
    frame = parse_csv(text, len(expected), SubmissionError)
    if len(frame) == 0:
        raise SubmissionError([Problem(None, None, "the file has a header but no data rows")])

    found = _Collector()
    ids, empty_ids = normalise_ids(frame[id_column])
    found.add_rows("empty id", np.flatnonzero(empty_ids), lambda row: Problem(_line(row), id_column, "empty id"))

    # Multiclass takes one probability column per class (named as data.classes), never a
    # label column: probabilities are what log loss and AUROC need.
    out = {}
    for column in columns:
        out[column] = _numeric_column(frame, column, text, found)
        if spec.task in ("binary", "multiclass"):
            _probability_problems(out[column], column, found)
    if spec.task == "multiclass":
        _row_sum_problems(np.column_stack([out[c] for c in columns]), found)

    order = None
    if solution_ids is not None:
        order = _id_problems(ids, empty_ids, np.asarray(solution_ids), id_column, found)
    else:
        duplicated = pd.Index(ids).duplicated(keep="first") & ~empty_ids
        _duplicate_problems(ids, duplicated, id_column, found)
    found.raise_if_any(SubmissionError)

    result = pd.DataFrame({id_column: ids, **out})
    if order is not None:
        result = result.iloc[order].reset_index(drop=True)
    return result


def _row_sum_problems(matrix: np.ndarray, found: _Collector) -> None:
    with np.errstate(invalid="ignore"):
        valid = np.all(np.isfinite(matrix) & (matrix >= 0) & (matrix <= 1), axis=1)
        sums = matrix.sum(axis=1)
    off = np.flatnonzero(valid & (np.abs(sums - 1) > PROBABILITY_TOLERANCE))
    found.add_rows("sum", off, lambda row: Problem(_line(row), None, f"the class probabilities sum to {sums[row]:.9g}, not 1 (tolerance 1e-6); divide each by the row's sum"))


def _duplicate_problems(ids: np.ndarray, duplicated: np.ndarray, id_column: str, found: _Collector, same=None) -> None:
    """Report each repeated id with the line where it first appeared (`same`: what makes ids equal)."""
    rows = np.flatnonzero(duplicated)
    if not rows.size:
        return
    first_row = pd.Series(np.arange(ids.size)).groupby(ids if same is None else same).transform("min").to_numpy()
    found.add_rows("duplicate id", rows, lambda row: Problem(_line(row), id_column, f"duplicate id {quoted(ids[row])}, first on line {_line(int(first_row[row]))}"))


def _id_problems(ids, empty_ids, solution_ids, id_column, found: _Collector) -> np.ndarray | None:
    """Report duplicate, unknown and missing ids; return the row order matching the solution."""
    solution_ids, _ = normalise_ids(solution_ids)
    position = locate_ids(solution_ids, ids)
    if position.size == solution_ids.size and np.array_equal(position, np.arange(position.size)):
        return None
    known = position >= 0
    unknown = np.flatnonzero(~known & ~empty_ids)
    found.add_rows("unknown id", unknown, lambda row: Problem(_line(row), id_column, f"unknown id {quoted(ids[row])}: not one of the challenge's ids"))
    counts = np.bincount(position[known], minlength=solution_ids.size)
    if counts.max(initial=0) > 1:
        duplicated = np.zeros(ids.size, dtype=bool)
        known_rows = np.flatnonzero(known)
        seen_order = np.argsort(position[known_rows], kind="stable")
        sorted_positions = position[known_rows][seen_order]
        repeat = np.r_[False, sorted_positions[1:] == sorted_positions[:-1]]
        duplicated[known_rows[seen_order][repeat]] = True
        _duplicate_problems(ids, duplicated, id_column, found, same=position)
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        examples = ", ".join(quoted(solution_ids[i]) for i in missing[:SHOWN_IDS])
        more = ", …" if missing.size > SHOWN_IDS else ""
        noun = "id has" if missing.size == 1 else "ids have"
        found.add("missing id", Problem(None, id_column, f"{missing.size:,} of the challenge's {noun} no row: {examples}{more}"))
    if found:
        return None
    # Every solution id exactly once: position is a permutation, and its inverse the row order.
    order = np.empty(position.size, dtype=np.int64)
    order[position] = np.arange(position.size)
    return order


def read_solution(data: bytes, spec: ChallengeSpec) -> pd.DataFrame:
    """Return an organiser's solution with normalised ids, outcomes and Usage, or raise SolutionError."""
    id_column = spec.data.id_column
    required = [id_column, *spec.target_columns, *[s for s in spec.subgroups if s not in spec.target_columns]]
    data, max_bytes = bytes(data), 2**34
    fields = read_header(data, max_bytes, required, SolutionError, extra_allowed=True)
    check_header(fields, required, SolutionError, extra_allowed=True)
    text = decode_upload(data, max_bytes, SolutionError)
    frame = parse_csv(text, len(fields), SolutionError)
    if len(frame) == 0:
        raise SolutionError([Problem(None, None, "the solution has a header but no data rows")])
    found = _Collector()
    ids, empty = normalise_ids(frame[id_column])
    found.add_rows("empty id", np.flatnonzero(empty), lambda row: Problem(_line(row), id_column, "empty id"))
    _duplicate_problems(ids, pd.Index(ids).duplicated(keep="first") & ~empty, id_column, found)
    frame[id_column] = ids

    scored = np.ones(len(frame), dtype=bool)
    usage = usage_column(frame, spec)
    if usage is not None:
        values = normalise_usage(frame[usage])
        bad = np.flatnonzero(values.isna().to_numpy())
        raw = frame[usage]
        found.add_rows("usage", bad, lambda row: Problem(_line(row), usage, f"{quoted(raw.iloc[row])} is not one of {', '.join(USAGE_VALUES)}"))
        frame[usage] = values
        scored = (values != IGNORED).to_numpy()

    for column, converted in _outcomes(frame, spec, scored, found).items():
        frame[column] = converted
    found.raise_if_any(SolutionError)
    return frame


def _outcomes(frame: pd.DataFrame, spec: ChallengeSpec, scored: np.ndarray, found: _Collector) -> dict:
    """Return the outcome columns converted to their task's types, checking the scored rows."""
    def numbers(column: str) -> np.ndarray:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            return values.to_numpy(dtype=np.float64)
        text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
        text = text.replace({"True": "1", "False": "0", "true": "1", "false": "0", "TRUE": "1", "FALSE": "0"})
        return pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)

    def check(column: str, bad: np.ndarray, message: str) -> None:
        rows = np.flatnonzero(bad & scored)
        found.add_rows(f"outcome:{column}", rows, lambda row: Problem(_line(row), column, f"{quoted(frame[column].iloc[row])} {message}"))

    if spec.task == "survival":
        time_col, event_col = spec.data.target.time, spec.data.target.event
        time, event = numbers(time_col), numbers(event_col)
        with np.errstate(invalid="ignore"):
            check(time_col, ~(np.isfinite(time) & (time >= 0)), "is not a time (a number >= 0)")
            check(event_col, ~np.isin(event, [0.0, 1.0]), "is not an event indicator (0 or 1)")
        return {time_col: time, event_col: event}
    column = spec.data.target
    if spec.task == "binary":
        values = numbers(column)
        check(column, ~np.isin(values, [0.0, 1.0]), "is not a binary outcome (0 or 1)")
        return {column: values}
    if spec.task == "regression":
        values = numbers(column)
        check(column, ~np.isfinite(values), "is not a finite number")
        return {column: values}
    classes = [str(c) for c in spec.data.classes]
    labels = frame[column].map(label_text)
    check(column, ~labels.isin(classes).to_numpy(), f"is not one of the classes: {', '.join(classes)}")
    return {column: labels}


def label_text(value: object) -> str:
    """Return a cell as a class or group name: whole numbers without ".0", missing as ""."""
    # A class column of numbers is parsed as floats (1.0) while the YAML names the class "1".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()
