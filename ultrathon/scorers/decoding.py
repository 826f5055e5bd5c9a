"""Turn an upload's bytes into CSV text: gunzipped within a ceiling, checked to be UTF-8, LF line ends."""

from __future__ import annotations

import codecs
import re
import zlib
from typing import Iterator

from ultrathon.i18n import gettext as _
from ultrathon.scorers.errors import FileProblems, Problem, SubmissionError

MB = 2**20
INFLATE_STEP = 64 * 1024  # gzip is read and inflated this much at a time
HEAD_BYTES = 8192  # the start of a file that tells what kind of file it is
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
UTF8_BOM = codecs.BOM_UTF8


def _megabytes(size: float) -> str:
    return f"{round(size / MB, 2):g} MB"


def text_chunks(data: bytes, max_bytes: int, error: type[FileProblems]) -> Iterator[bytes]:
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
                raise error([Problem(None, None, _("the file starts like gzip but cannot be decompressed; upload a plain .csv or a valid .csv.gz"))]) from None
            if total + len(out) > max_bytes:
                if total < max_bytes:
                    yield out[: max_bytes - total]  # a reader of the start may stop before the ceiling
                raise error([Problem(None, None, _("the gzip file expands past %(size)s of CSV, the most this challenge accepts",
                                                          size=_megabytes(max_bytes)))])
            total += len(out)
            if out:
                yield out
            if inflater.eof:
                return
            pending = inflater.unconsumed_tail
            # A full step may leave output inside the inflater even once the input is used up.
            if not pending and len(out) < INFLATE_STEP:
                break
    raise error([Problem(None, None, _("the gzip file is truncated; upload it again"))])


def _gunzip(data: bytes, max_bytes: int, error: type[FileProblems]) -> bytes:
    # Measured first in bounded steps: a file past the ceiling is refused having held only a step.
    size = sum(len(chunk) for chunk in text_chunks(data, max_bytes, error))
    # Then inflated whole into a buffer of exactly its size (one copy in memory, not two).
    return zlib.decompress(data, 16 + zlib.MAX_WBITS, max(size, 1))


def _looks_binary(head: bytes) -> bool:
    """Return True when the start of a file has NUL bytes or too many non-text characters."""
    if b"\x00" in head:
        return True
    text = head.decode("utf-8", errors="replace")
    odd = sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r\f"))
    return odd > max(2, len(text) // 20)


def check_kind(head: bytes, error: type[FileProblems]) -> None:
    """Raise unless the start of a file's text (gunzipped) looks like UTF-8 CSV."""
    if head[:4] == ZIP_MAGIC:
        raise error([Problem(None, None, _("the file is a zip archive (an Excel workbook is one); upload a .csv or .csv.gz file"))])
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise error([Problem(None, None, _("the file is UTF-16 text; save it as UTF-8 CSV"))])
    if _looks_binary(head.removeprefix(UTF8_BOM)):
        raise error([Problem(None, None, _("the file is not text (it looks like a binary file); upload a CSV file"))])


def decode_upload(data: bytes, max_bytes: int, error: type[FileProblems] = SubmissionError) -> bytes:
    """Return an upload's CSV bytes: gunzipped, without BOM, checked to be UTF-8 text."""
    if not data:
        raise error([Problem(None, None, _("the file is empty"))])
    if data[:2] == GZIP_MAGIC:
        data = _gunzip(data, max_bytes, error)
    check_kind(data[:HEAD_BYTES], error)
    if data[:3] == UTF8_BOM:
        data = data[3:]
    data = lf_line_ends(data)
    check_utf8(data, error)
    if not data.strip():
        raise error([Problem(None, None, _("the file is empty"))])
    return data


def lf_line_ends(data: bytes) -> bytes:
    """Return the text with each lone CR (the line end of old Mac software) made LF; CRLF and LF stay."""
    # Counting is cheap, so only a file with a lone CR pays for the copy. One inside a quoted
    # value becomes LF: a line break in that value either way.
    carriage_returns = data.count(b"\r")
    if not carriage_returns or carriage_returns == data.count(b"\r\n"):
        return data
    return re.sub(rb"\r(?!\n)", b"\n", data)


def check_utf8(data: bytes, error: type[FileProblems]) -> None:
    # Decoded in chunks and thrown away: validation without holding a second copy of the file.
    decoder = codecs.getincrementaldecoder("utf-8")()
    step = 1 << 20
    for start in range(0, len(data), step):
        try:
            decoder.decode(data[start : start + step], final=start + step >= len(data))
        except UnicodeDecodeError as exc:
            position = start + exc.start
            line = data.count(b"\n", 0, position) + 1
            raise error([Problem(line, None, _("the file is not valid UTF-8 text (byte 0x%(byte)s); save it as UTF-8 CSV",
                                                      byte=format(data[position], "02X")))]) from None
