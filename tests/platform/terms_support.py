"""Helpers of the terms tests: a demo challenge folder with its terms set, signing in without a password."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

DEMO_DIR = Path(__file__).resolve().parents[2] / "challenges"
DEMO = "breast-cancer-diagnosis"


def folder_with_terms(tmp_path: Path, **terms) -> Path:
    """Return a copy of the demo challenge folder whose challenge.yaml sets these terms keys."""
    folder = tmp_path / DEMO
    if not folder.exists():
        shutil.copytree(DEMO_DIR / DEMO, folder)
    spec_file = folder / "challenge.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    spec["terms"] = {**(spec.get("terms") or {}), **terms}
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    return folder


def login(client, user) -> None:
    """Sign the test client in as the user."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
