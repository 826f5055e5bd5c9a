"""Fixtures for agent-scored challenges: a folder without its solution, tokens, and real reports."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import DEMO_DIR

SLUG = "breast-cancer-diagnosis"
SOLUTION = (DEMO_DIR / SLUG / "solution.csv").read_bytes()
PIN = hashlib.sha256(SOLUTION).hexdigest()


def write_agent_folder(root: Path, pin: str = PIN, extra: str = "", slug: str = SLUG) -> Path:
    """Copy the binary demo as an open challenge an agent scores: no solution.csv, a pinned fingerprint."""
    folder = root / "agent-challenges" / slug
    shutil.copytree(DEMO_DIR / SLUG, folder)
    (folder / "solution.csv").unlink()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    text = (folder / "challenge.yaml").read_text().replace(f"slug: {SLUG}", f"slug: {slug}")
    text = re.sub(r"(?m)^opens: .*$", f"opens: {(now - timedelta(days=7)).isoformat()}", text)
    text = re.sub(r"(?m)^closes: .*$", f"closes: {(now + timedelta(days=30)).isoformat()}", text)
    text = text.replace("bootstrap: 1000", "bootstrap: 20")  # replicates travel in the report: keep it small
    text += f"scoring: {{where: agent, solution_sha256: '{pin}'{extra}}}\n"
    (folder / "challenge.yaml").write_text(text)
    return folder


def site_rows(csv: bytes, ids) -> bytes:
    """Return a CSV's rows whose first column is one of `ids`, header kept: one site's part."""
    import io

    import pandas as pd

    frame = pd.read_csv(io.BytesIO(csv), dtype=str, keep_default_na=False)
    return frame[frame.iloc[:, 0].isin(set(ids))].to_csv(index=False).encode()


def write_site_folder(root: Path, site_ids: dict[str, list[str]], combine: str = "mean") -> Path:
    """Write the agent-scored demo with several sites: each pins its part of the solution and lists its ids."""
    pins = ", ".join(f"{s}: {{solution_sha256: '{hashlib.sha256(site_rows(SOLUTION, ids)).hexdigest()}'}}"
                     for s, ids in site_ids.items())
    folder = write_agent_folder(root, pin="0" * 64)
    text = (folder / "challenge.yaml").read_text().replace(f"scoring: {{where: agent, solution_sha256: '{'0' * 64}'}}",
                                                           f"scoring: {{where: agent, sites: {{{pins}}}}}")
    text += f"sites: [{', '.join(site_ids)}]\n"
    if combine != "mean":
        text = text.replace("leaderboard: {decimals: 4,", f"leaderboard: {{combine: {combine}, decimals: 4,", 1)
    (folder / "challenge.yaml").write_text(text)
    (folder / "sites").mkdir()
    for site, ids in site_ids.items():
        (folder / "sites" / f"{site}.ids").write_text("\n".join(ids) + "\n")
    return folder


@pytest.fixture
def make_agent_challenge(make_challenge, tmp_path):
    """Load the agent-scored demo challenge."""

    def make(extra: str = "", slug: str = SLUG):
        return make_challenge(folder=write_agent_folder(tmp_path / f"c{len(list(tmp_path.iterdir()))}", extra=extra, slug=slug))

    return make


@pytest.fixture
def agent_token(ctx):
    """Create an agent token for challenges; return (token id, Authorization header)."""
    from ultrathon.platform.agents.tokens import create_agent_token
    from ultrathon.platform.extensions import db

    def make(*challenges, name: str = "odense", site: str | None = None) -> tuple[int, dict[str, str]]:
        token, secret = create_agent_token(list(challenges), name, site=site)
        db.session.commit()
        return token.id, {"Authorization": f"Bearer {secret}", "User-Agent": "ultrathon-agent/0.1-test"}

    return make


def wire_report(challenge, data: bytes, solution: bytes = SOLUTION) -> dict:
    """Score a file against the demo's solution as an agent would; return the report as sent."""
    from ultrathon.scorers import read_solution, read_submission
    from ultrathon.scorers.report import report_to_wire
    from ultrathon.scorers.scoring import score

    spec = challenge.settings
    truth = read_solution(solution, spec)
    predictions = read_submission(data, spec, solution_ids=truth[spec.data.id_column])
    return report_to_wire(score(predictions, truth, spec))


def sample_of(challenge) -> bytes:
    """Return the challenge's sample submission."""
    return next(f.content for f in challenge.files if f.name == "sample_submission.csv")


SITES = ("odense", "copenhagen")


def _site_ids() -> dict[str, list[str]]:
    ids = pd.read_csv(io.BytesIO(SOLUTION), dtype=str).iloc[:, 0].tolist()
    half = len(ids) // 2
    return {"odense": ids[:half], "copenhagen": ids[half:]}


SITE_IDS = _site_ids()
SITE_SOLUTIONS = {site: site_rows(SOLUTION, set(ids)) for site, ids in SITE_IDS.items()}


@pytest.fixture
def site_challenge(make_challenge, tmp_path):
    """Load the binary demo scored at two sites, each holding half of the hidden rows."""

    def make(combine: str = "mean"):
        return make_challenge(folder=write_site_folder(tmp_path / combine, SITE_IDS, combine))

    return make
