"""Hostile uploads (the files bench/upload_checks.py times) are refused at the API with a 400 saying what is wrong."""

from __future__ import annotations

import functools
import gzip
import struct
import zlib
from io import BytesIO

import pytest

from ultrathon.platform.extensions import db
from ultrathon.platform.models import Submission

SLUG = "flchain-survival"  # patient_id + risk, max_mb 5: a .csv.gz may expand to 20 MB
UPLOAD = f"/api/v1/challenges/{SLUG}/submissions"


def gzip_of(*parts: tuple[bytes, int]) -> bytes:
    """Return a gzip file of each (bytes, times) part repeated, deflating each part only once."""
    # A full flush makes a part's deflated bytes independent of what came before, so they can
    # be repeated as they are: a 100 MB file is built without compressing 100 MB.
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    body, crc, size = b"", 0, 0
    for part, times in parts:
        body += (deflater.compress(part) + deflater.flush(zlib.Z_FULL_FLUSH)) * times
        for _ in range(times):
            crc = zlib.crc32(part, crc)
        size += len(part) * times
    body += deflater.flush()
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + body + struct.pack("<II", crc, size % 2**32)


@functools.cache
def hostile(name: str) -> bytes:
    """Return one of the hostile files, as the benchmark builds them."""
    if name == "10M header fields":  # a 19 kB gzip
        block = b"a," * 2**19
        return gzip_of((block, 19), (b"a," * (10_000_000 - 1 - 19 * 2**19) + b"a\nP00001,0.5\n", 1))
    if name == "1M column names":  # a 2 MB gzip
        return gzip.compress(",".join(f"col{i}" for i in range(1_000_000)).encode() + b"\nP00001,0.5\n", 1)
    if name == "100 MB expansion":  # a 200 kB gzip
        return gzip_of((b"patient_id,risk\n", 1), (b"P00004,0.37\n" * (2**20 // 12), 100))
    raise ValueError(name)


HOSTILE = {
    "10M header fields": "line 1: the header has more than 131,072 fields; this challenge takes 2 columns: patient_id, risk",
    "1M column names": "line 1: the header has more than 30,361 fields; this challenge takes 2 columns: patient_id, risk",
    "100 MB expansion": "the gzip file expands past 20 MB of CSV, the most this challenge accepts",
}


@pytest.fixture
def challenge(make_open_challenge):
    return make_open_challenge(SLUG)


@pytest.fixture
def sample(challenge) -> bytes:
    return next(f.content for f in challenge.files if f.name == "sample_submission.csv")


@pytest.fixture
def member(challenge, make_team, token_for):
    return token_for(make_team(challenge, name="Owls").memberships[0].user)


def upload(client, headers, data: bytes, filename: str):
    return client.post(UPLOAD, data={"file": (BytesIO(data), filename)}, headers=headers, content_type="multipart/form-data")


def stored() -> int:
    return db.session.execute(db.select(db.func.count(Submission.id))).scalar_one()


def test_the_hostile_files_are_what_they_claim():
    header = zlib.decompress(hostile("10M header fields"), 31)
    assert header.count(b",", 0, header.index(b"\n")) == 10_000_000 - 1 and len(hostile("10M header fields")) < 20_000
    names = zlib.decompress(hostile("1M column names"), 31)
    assert names.count(b",", 0, names.index(b"\n")) == 1_000_000 - 1 and len(hostile("1M column names")) < 5 * 2**20
    bomb = hostile("100 MB expansion")
    assert len(zlib.decompress(bomb, 31)) > 100 * 10**6 and len(bomb) < 250_000


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_file_is_400_saying_what_is_wrong_and_stores_nothing(client, member, name):
    response = upload(client, member, hostile(name), "predictions.csv.gz")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == "urn:ultrathon:problem:invalid-submission"
    assert body["detail"] == HOSTILE[name]
    row = 1 if HOSTILE[name].startswith("line 1: ") else None
    assert body["problems"] == [{"row": row, "column": None, "message": HOSTILE[name].removeprefix("line 1: ")}]
    assert stored() == 0


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_an_ordinary_file_is_still_accepted(client, member, sample, packed):
    response = upload(client, member, gzip.compress(sample) if packed else sample, "predictions.csv")
    assert response.status_code == 202, response.get_json()
    assert stored() == 1
