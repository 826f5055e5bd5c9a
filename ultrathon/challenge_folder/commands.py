"""The `challenges validate` and `challenges list` commands."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, TextIO

from ultrathon.i18n import gettext as _, ngettext

from .problems import ChallengeInvalid
from .reading import YAML_NAME
from .validate import validate_folder


def validate_command(dirs: Iterable[str | Path], out: TextIO | None = None) -> int:
    """Validate challenge folders, print every problem; return 1 if any, else 0."""
    out = out or sys.stdout
    failed = 0
    for folder in dirs:
        try:
            challenge = validate_folder(folder)
        except ChallengeInvalid as invalid:
            failed += 1
            for problem in invalid.problems:
                print(problem.render(), file=out)
        else:
            print(_("%(folder)s: ok (%(slug)s)", folder=folder, slug=challenge.slug), file=out)
    return 1 if failed else 0


@dataclass(frozen=True)
class FolderSummary:
    """One challenge folder as `challenges list` shows it."""

    folder: Path
    slug: str | None
    title: str | None
    task: str | None
    opens: str | None
    closes: str | None
    problems: int


def list_folders(root: str | Path = "challenges") -> list[FolderSummary]:
    """Return every challenge folder under root, each validated."""
    found = []
    root = Path(root)
    for folder in sorted(p for p in root.iterdir() if (p / YAML_NAME).is_file()) if root.is_dir() else []:
        try:
            challenge = validate_folder(folder)
        except ChallengeInvalid as invalid:
            found.append(FolderSummary(folder, None, None, None, None, None, len(invalid.problems)))
        else:
            spec = challenge.spec
            found.append(FolderSummary(folder, spec.slug, spec.title, spec.task, spec.opens.isoformat(), spec.closes.isoformat(), 0))
    return found


def list_command(root: str | Path = "challenges", out: TextIO | None = None) -> int:
    """Print the challenge folders under root; return 1 if any is invalid."""
    out = out or sys.stdout
    summaries = list_folders(root)
    if not summaries:
        print(_("no challenge folders under %(root)s", root=root), file=out)
    for s in summaries:
        if s.problems:
            print(ngettext("%(folder)s  INVALID (%(num)s problem; run `ultrathon challenges validate %(folder)s`)",
                           "%(folder)s  INVALID (%(num)s problems; run `ultrathon challenges validate %(folder)s`)",
                           s.problems, folder=s.folder), file=out)
        else:
            print(f"{s.slug}  {s.task}  {s.opens} -> {s.closes}  {s.title}", file=out)
    return 1 if any(s.problems for s in summaries) else 0
