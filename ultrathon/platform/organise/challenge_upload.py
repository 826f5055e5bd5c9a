"""Loading a challenge from an uploaded zip: unpack it safely, validate it, load it."""

from __future__ import annotations

import dataclasses
import io
import stat
import tempfile
import zipfile
import zlib
from collections import Counter
from pathlib import Path, PurePosixPath

from ultrathon.challenge_folder import YAML_NAME, ChallengeInvalid, ValidatedChallenge, validate_folder
# Flask-free: a zip is also unpacked outside a request (tests, scripts); in one it follows the page's language.
from ultrathon.i18n import gettext as _

from ..challenges.access import is_organiser
from ..challenges.loader import load_validated
from ..extensions import db
from ..models import Challenge, User

# Limits on an uploaded challenge zip: generous for a challenge folder, small enough to stop a zip bomb.
MAX_ZIP_MEMBERS = 200
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024
# Files that archivers add beside the real content and that no challenge needs.
_ARCHIVER_LITTER = ("__MACOSX/", ".DS_Store", "Thumbs.db")


class UploadRefused(ValueError):
    """An uploaded challenge zip that cannot be used; the message says what and where."""


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    """Return why a zip member may not be unpacked, or None when it is safe."""
    name = info.filename
    path = PurePosixPath(name)
    if "\\" in name:
        return _("%(name)s: a path with a backslash; zip the folder with a standard tool", name=repr(name))
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return _("%(name)s: an absolute path; paths in the zip must be relative to the challenge folder", name=repr(name))
    if ".." in path.parts:
        return _("%(name)s: a path with '..'; paths in the zip must stay inside the challenge folder", name=repr(name))
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return _("%(name)s: a symbolic link; put the file itself in the zip", name=repr(name))
    if info.flag_bits & 0x1:
        return _("%(name)s: encrypted; upload a zip without a password", name=repr(name))
    return None


def _is_litter(name: str) -> bool:
    return name.startswith(_ARCHIVER_LITTER[0]) or PurePosixPath(name).name in _ARCHIVER_LITTER[1:]


def unpack_challenge_zip(data: bytes, into: Path) -> Path:
    """Unpack a zip of a challenge folder safely into a folder; return the folder holding challenge.yaml."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadRefused(_("the file is not a zip archive; zip the challenge folder and upload the .zip")) from None
    with archive:
        members = [m for m in archive.infolist() if not _is_litter(m.filename)]
        if len(members) > MAX_ZIP_MEMBERS:
            raise UploadRefused(_("the zip holds %(num)s entries; a challenge zip holds at most %(most)s",
                                  num=len(members), most=MAX_ZIP_MEMBERS))
        problems = [p for p in map(_member_problem, members) if p]
        if problems:
            raise UploadRefused(_("the zip cannot be unpacked safely: %(problems)s", problems="; ".join(problems[:5])))
        names = Counter(m.filename.rstrip("/") for m in members)
        twice = [n for n, count in names.items() if count > 1]
        if twice:
            raise UploadRefused(_("the zip holds %(name)s more than once", name=repr(twice[0])))
        files = [m for m in members if not m.is_dir()]
        if not files:
            raise UploadRefused(_("the zip is empty; it should hold challenge.yaml and the challenge's files"))
        declared = sum(m.file_size for m in files)
        if declared > MAX_UNZIPPED_BYTES:
            raise UploadRefused(_("the zip unpacks to %(size)s MB; at most %(most)s MB",
                                  size=round(declared / 2**20), most=MAX_UNZIPPED_BYTES // 2**20))
        root = into.resolve()
        try:
            _extract(archive, files, root)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as damaged:
            raise UploadRefused(_("the zip is damaged or uses an unsupported format (%(why)s); zip the folder again",
                                  why=damaged)) from None
    return _challenge_root(root, [m.filename for m in files])


def _extract(archive: zipfile.ZipFile, files: list[zipfile.ZipInfo], root: Path) -> None:
    budget = MAX_UNZIPPED_BYTES
    for member in files:
        target = (root / member.filename).resolve()
        if not target.is_relative_to(root):  # belt and braces after the name checks
            raise UploadRefused(_("%(name)s: a path outside the challenge folder", name=repr(member.filename)))
        target.parent.mkdir(parents=True, exist_ok=True)
        # Count the bytes really written: a member's declared size can lie (a zip bomb).
        with archive.open(member) as source, open(target, "wb") as sink:
            while chunk := source.read(1024 * 1024):
                budget -= len(chunk)
                if budget < 0:
                    raise UploadRefused(_("the zip unpacks to more than %(most)s MB", most=MAX_UNZIPPED_BYTES // 2**20))
                sink.write(chunk)


def _challenge_root(root: Path, names: list[str]) -> Path:
    """Return the folder of the zip that holds challenge.yaml: the zip's top, or its one top folder."""
    if (root / YAML_NAME).is_file():
        return root
    tops = {PurePosixPath(n).parts[0] for n in names}
    if len(tops) == 1:
        top = root / tops.pop()
        if (top / YAML_NAME).is_file():
            return top
    raise UploadRefused(_("no %(name)s in the zip: put it at the top of the zip or in its one top folder", name=YAML_NAME))


def _relative_problems(invalid: ChallengeInvalid, base: Path) -> ChallengeInvalid:
    """Return the problems with file paths relative to the unpacked zip, as the CLI shows them for that folder."""
    prefix = str(base) + "/"
    problems = []
    for problem in invalid.problems:
        name = problem.file[len(prefix):] if problem.file.startswith(prefix) else problem.file
        if problem.file == str(base):
            name = "."
        problems.append(dataclasses.replace(problem, file=name))
    return ChallengeInvalid(problems)


def validate_zip(data: bytes) -> tuple[ValidatedChallenge, tempfile.TemporaryDirectory]:
    """Unpack and validate an uploaded challenge zip; the caller cleans up the returned folder."""
    workdir = tempfile.TemporaryDirectory(prefix="ultrathon-upload-")
    base = Path(workdir.name).resolve()
    try:
        folder = unpack_challenge_zip(data, base)
        try:
            return validate_folder(folder), workdir
        except ChallengeInvalid as invalid:
            raise _relative_problems(invalid, base) from None
    except BaseException:
        workdir.cleanup()
        raise


def upload_challenge(data: bytes, user: User, *, rescore: bool = False, slug: str | None = None) -> tuple[str, str]:
    """Validate and load a challenge zip; return (slug, what happened).

    With slug, the zip must hold that challenge (an organiser's update); without, the user must be
    an admin to create a challenge, or an organiser of the one the zip updates. Raises
    UploadRefused, ChallengeInvalid (paths relative to the zip) or LoadRefused.
    """
    validated, workdir = validate_zip(data)
    try:
        found = validated.slug
        if slug is not None and found != slug:
            raise UploadRefused(_("this zip holds the challenge %(found)s, not %(slug)s; upload it from that challenge's page",
                                  found=repr(found), slug=repr(slug)))
        existing = db.session.execute(db.select(Challenge).where(Challenge.slug == found)).scalar_one_or_none()
        if existing is None and not user.is_admin:
            raise UploadRefused(_("only an administrator can create a new challenge (%(found)s is not loaded yet)", found=repr(found)))
        if existing is not None and not is_organiser(user, existing):
            raise UploadRefused(_("you do not organise the challenge %(found)s, so you cannot update it", found=repr(found)))
        outcome = load_validated(validated, rescore=rescore, actor=user)
        return found, outcome
    finally:
        workdir.cleanup()
