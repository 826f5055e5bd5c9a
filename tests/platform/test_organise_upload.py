"""Loading or updating a challenge by uploading a zip of its folder."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "challenges"
BROKEN = ROOT / "tests" / "challenges" / "broken"
UPLOAD_NEW = "/organise/challenges/upload"


def login(client, user) -> None:
    """Sign the test client in as this user."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def zip_folder(folder: Path, *, top: str | None = None, replace: dict[str, bytes] | None = None) -> bytes:
    """Return a zip of a folder's files, under one top folder or flat."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                name = f"{top}/{path.name}" if top else path.name
                archive.writestr(name, replace.get(path.name, path.read_bytes()))
    return out.getvalue()


def zip_of(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def post_zip(client, url: str, data: bytes, *, rescore: bool = False, name: str = "challenge.zip"):
    form = {"file": (io.BytesIO(data), name)}
    if rescore:
        form["rescore"] = "y"
    return client.post(url, data=form, content_type="multipart/form-data")


@pytest.fixture
def admin_client(client, make_user):
    login(client, make_user("admin@example.org", admin=True))
    return client


def loaded(slug: str):
    from ultrathon.platform.challenges.access import get_challenge
    from ultrathon.platform.extensions import db

    db.session.expire_all()
    return get_challenge(slug)


@pytest.mark.parametrize("top", ["flchain-survival", None], ids=["one-top-folder", "flat"])
def test_an_admin_loads_a_new_challenge_from_a_zip(admin_client, ctx, top):
    response = post_zip(admin_client, UPLOAD_NEW, zip_folder(DEMO / "flchain-survival", top=top))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/challenges/flchain-survival/organise")
    challenge = loaded("flchain-survival")
    assert challenge is not None
    assert [f.name for f in challenge.files] == ["train.csv", "test.csv", "sample_submission.csv"]
    page = admin_client.get("/challenges/flchain-survival/organise")
    assert "flchain-survival: created." in page.text


def test_uploading_the_same_zip_again_changes_nothing(admin_client, ctx):
    data = zip_folder(DEMO / "flchain-survival", top="flchain-survival")
    post_zip(admin_client, UPLOAD_NEW, data)
    again = post_zip(admin_client, UPLOAD_NEW, data)
    assert again.status_code == 302
    assert "flchain-survival: unchanged." in admin_client.get(again.headers["Location"]).text


@pytest.mark.parametrize("folder", sorted(p.name for p in BROKEN.iterdir() if p.is_dir()))
def test_an_invalid_folder_shows_the_clis_messages_and_loads_nothing(admin_client, ctx, folder, monkeypatch, capsys):
    from ultrathon.challenge_folder import validate_command

    monkeypatch.chdir(BROKEN)
    validate_command([folder])
    expected = [line for line in capsys.readouterr().out.splitlines() if line]

    response = post_zip(admin_client, UPLOAD_NEW, zip_folder(BROKEN / folder, top=folder))
    assert response.status_code == 400
    from html import unescape

    shown = [unescape(item) for item in _between(response.text, '<ul class="problems">', "</ul>")]
    assert shown == expected
    assert f"has {len(expected)} problem" in response.text
    from ultrathon.platform.extensions import db
    from ultrathon.platform.models import Challenge

    assert db.session.execute(db.select(db.func.count()).select_from(Challenge)).scalar_one() == 0


def _between(text: str, start: str, end: str) -> list[str]:
    block = text[text.index(start) + len(start):]
    block = block[:block.index(end)]
    return [item.split("</li>")[0] for item in block.split("<li>")[1:]]


def _symlink_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo("c/solution.csv")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
        archive.writestr("c/challenge.yaml", "slug: x\n")
    return out.getvalue()


@pytest.mark.parametrize("data, message", [
    (b"not a zip at all", "the file is not a zip archive"),
    (zip_of({"../escape.txt": b"x", "challenge.yaml": b"slug: x"}), "'../escape.txt': a path with '..'"),
    (zip_of({"/etc/cron.d/evil": b"x"}), "'/etc/cron.d/evil': an absolute path"),
    (_symlink_zip(), "'c/solution.csv': a symbolic link; put the file itself in the zip"),
    (zip_of({f"f{i}.csv": b"x" for i in range(201)}), "the zip holds 201 entries; a challenge zip holds at most 200"),
    (zip_of({"README.md": b"# hello"}), "no challenge.yaml in the zip"),
    (zip_of({"a/challenge.yaml": b"x", "b/challenge.yaml": b"y"}), "no challenge.yaml in the zip"),
], ids=["not-zip", "dot-dot", "absolute", "symlink", "too-many", "no-yaml", "two-tops"])
def test_an_unsafe_or_unusable_zip_is_refused_with_the_reason(admin_client, ctx, data, message):
    response = post_zip(admin_client, UPLOAD_NEW, data)
    assert response.status_code == 400
    from html import unescape

    assert message in unescape(response.text)
    assert loaded("x") is None


def test_a_zip_bomb_stops_at_the_unpacked_size_limit(admin_client, ctx, monkeypatch, tmp_path):
    from ultrathon.platform.organise import challenge_upload

    monkeypatch.setattr(challenge_upload, "MAX_UNZIPPED_BYTES", 1024 * 1024)
    bomb = zip_of({"challenge.yaml": b"slug: x\n", "solution.csv": b"0" * (4 * 1024 * 1024)})
    assert len(bomb) < 20_000
    response = post_zip(admin_client, UPLOAD_NEW, bomb)
    assert response.status_code == 400
    assert "the zip unpacks to 4 MB; at most 1 MB" in response.text


def test_unpacking_counts_real_bytes_when_a_member_lies_about_its_size(tmp_path, monkeypatch):
    from ultrathon.platform.organise import challenge_upload

    monkeypatch.setattr(challenge_upload, "MAX_UNZIPPED_BYTES", 1024 * 1024)
    data = bytearray(zip_of({"challenge.yaml": b"0" * (2 * 1024 * 1024)}))
    # Declare 10 bytes in both headers; the compressed stream still holds 2 MB.
    size = (2 * 1024 * 1024).to_bytes(4, "little")
    data = data.replace(size, (10).to_bytes(4, "little"))
    with pytest.raises(challenge_upload.UploadRefused) as refused:
        challenge_upload.unpack_challenge_zip(bytes(data), tmp_path)
    assert "damaged" in str(refused.value) or "unpacks to more than" in str(refused.value)
    assert sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file()) <= 1024 * 1024


def test_only_an_admin_may_create_a_challenge(client, ctx, make_user, make_challenge):
    organiser = make_user("organiser@example.org")
    make_challenge("breast-cancer-diagnosis")
    login(client, organiser)
    assert client.get(UPLOAD_NEW).status_code == 404
    response = post_zip(client, "/challenges/breast-cancer-diagnosis/organise/upload", zip_folder(DEMO / "flchain-survival", top="x"))
    assert response.status_code == 400
    assert "this zip holds the challenge &#39;flchain-survival&#39;, not &#39;breast-cancer-diagnosis&#39;" in response.text
    assert loaded("flchain-survival") is None


def test_an_organiser_updates_their_challenge_and_a_score_changing_update_needs_rescore(client, ctx, make_user, make_challenge, make_submission, run_worker):
    from ultrathon.platform.extensions import db
    from ultrathon.platform.models import Submission

    organiser = make_user("organiser@example.org")
    challenge = make_challenge("breast-cancer-diagnosis")
    sub = make_submission(challenge)
    run_worker()
    db.session.expire_all()  # the worker wrote through its own session
    login(client, organiser)
    url = "/challenges/breast-cancer-diagnosis/organise/upload"
    form = client.get(url)
    assert '<label for="file">Challenge folder as a zip</label>' in form.text

    retitled = (DEMO / "breast-cancer-diagnosis" / "challenge.yaml").read_text().replace(
        "title: Breast mass diagnosis from fine-needle aspirates", "title: Breast masses, retitled")
    response = post_zip(client, url, zip_folder(DEMO / "breast-cancer-diagnosis", replace={"challenge.yaml": retitled.encode()}))
    assert response.status_code == 302
    assert loaded("breast-cancer-diagnosis").title == "Breast masses, retitled"

    solution = (DEMO / "breast-cancer-diagnosis" / "solution.csv").read_bytes()
    lines = solution.decode().splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    target = header.index("malignant")
    first[target] = "1" if first[target] == "0" else "0"
    changed = "\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n"
    folder_zip = zip_folder(DEMO / "breast-cancer-diagnosis", replace={"challenge.yaml": retitled.encode(), "solution.csv": changed.encode()})

    refused = post_zip(client, url, folder_zip)
    assert refused.status_code == 409
    assert "1 submission(s) already have scores" in refused.text
    assert "tick “Re-score every submission” and upload again" in refused.text
    assert 'name="rescore"' in refused.text
    assert loaded("breast-cancer-diagnosis").solution_csv == solution

    accepted = post_zip(client, url, folder_zip, rescore=True)
    assert accepted.status_code == 302
    assert "1 submission(s) queued for re-scoring" in client.get(accepted.headers["Location"]).text
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).status == "queued"
    run_worker()
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).status == "scored"


def test_an_upload_without_a_file_is_told_to_choose_one(admin_client, ctx):
    response = admin_client.post(UPLOAD_NEW, data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose the zip of the challenge folder." in response.text
