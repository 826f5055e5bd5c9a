"""The scoring agent a data holder runs: lease jobs, score them in the sealed process, post reports.

It makes outbound HTTPS calls only (the platform's /api/v1/agent/ operations); the solution
never leaves the folder it reads it from.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import requests

from ultrathon import __version__

log = logging.getLogger(__name__)

LEASE_WAIT_S = 20
HEARTBEAT_S = 30  # well inside the platform's 120 s lease
RETRY_S = 5  # after the platform could not be reached


class AgentError(Exception):
    """A problem that stops the agent, said in one line."""


@dataclass(frozen=True)
class HeldChallenge:
    """One challenge folder the agent scores: its spec, solution and pinned fingerprint."""

    spec: object
    solution: bytes
    scorer_source: str | None
    sha256: str
    site: str | None = None  # several sites: the site this folder's solution belongs to (by its pin)
    ids: tuple[str, ...] = ()  # the site's own ids: the rows of a whole-file submission it scores


def load_folders(folders: Iterable[str | Path]) -> dict[str, HeldChallenge]:
    """Validate the data holder's folders (solution included, against its pin); return them by slug."""
    from ultrathon.challenge_folder import ChallengeInvalid, validate_folder

    held = {}
    for folder in folders:
        try:
            validated = validate_folder(folder, holder=True)
        except ChallengeInvalid as invalid:
            raise AgentError(f"{folder}: {invalid.problems[0].render()}") from None
        if not validated.spec.scoring.by_agent:
            raise AgentError(f"{folder}: scoring.where is platform; the agent scores only challenges with where: agent")
        held[validated.slug] = HeldChallenge(validated.spec, validated.solution, validated.scorer_source,
                                             hashlib.sha256(validated.solution).hexdigest(), validated.site,
                                             _solution_ids(validated) if validated.site else ())
    return held


def _solution_ids(validated) -> tuple[str, ...]:
    """Return the ids of a site's solution: the rows that are the site's own."""
    from ultrathon.scorers import read_solution

    frame = read_solution(validated.solution, validated.spec)
    return tuple(str(v) for v in frame[validated.spec.data.id_column])


def own_rows(content: bytes, held: HeldChallenge) -> bytes:
    """Return a whole-file submission's rows that are the site's own (its header kept)."""
    import io

    import pandas as pd

    frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)
    column = held.spec.data.id_column
    if column not in frame.columns:
        return content  # the scorer says what is wrong with the file
    return frame[frame[column].isin(set(held.ids))].to_csv(index=False).encode()


def failure_report(error: Exception) -> dict:
    """Return what the platform shows a team for a scoring error: the safe message and the file's problems."""
    from ultrathon.scorers import ScoringError, SubmissionError
    from ultrathon.scorers.errors import SCORING_FAILED

    if isinstance(error, SubmissionError):
        problems = [{"row": p.row, "column": p.column, "message": p.message[:500]} for p in error.problems[:20]]
        return {"error": str(error).splitlines()[0][:500], "problems": problems}
    if isinstance(error, ScoringError) and error.message:
        return {"error": error.message[:500], "problems": None}
    return {"error": SCORING_FAILED, "problems": None}


class Agent:
    """One agent process's conversation with the platform."""

    def __init__(self, url: str, token: str, held: dict[str, HeldChallenge]):
        self.url = url.rstrip("/")
        self.held = held
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {token}", "User-Agent": f"ultrathon-agent/{__version__}"})

    def _call(self, method: str, url: str, **kwargs) -> requests.Response:
        response = self.http.request(method, url, timeout=kwargs.pop("timeout", 30), **kwargs)
        if response.status_code == 401:
            raise AgentError(f"the platform refused the agent token: {response.json().get('detail')}")
        return response

    def run_once(self, wait: float = LEASE_WAIT_S) -> bool:
        """Lease, score and report one job; return False when none came within `wait` seconds."""
        answer = self._call("POST", f"{self.url}/api/v1/agent/lease", json={"wait": wait}, timeout=wait + 30)
        if answer.status_code == 204:
            return False
        answer.raise_for_status()
        job = answer.json()
        held = self.held.get(job["challenge"])
        if held is None:
            log.warning("job %s is for %s, which this agent holds no folder of; its lease will expire", job["id"], job["challenge"])
            return True
        if job.get("site") != held.site:
            # Waiting would lease the site's jobs again and again and score none: stop and say which solution is needed.
            raise AgentError(f"this token scores {job['challenge']} for site {job.get('site') or '(none)'}, but the "
                             f"solution.csv held for it is site {held.site or '(none)'}'s: give the agent "
                             f"{job.get('site') or 'the challenge'}'s solution, or a token of site {held.site}")
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeats, args=(job, stop), daemon=True)
        beat.start()
        try:
            content = self._call("GET", job["submission_url"]).content
            report = self._score(held, own_rows(content, held) if held.site else content, job.get("phase"))
        finally:
            stop.set()
        if "report" in report:
            body, url = {"solution_sha256": held.sha256, "report": report["report"]}, job["result_url"]
            if held.site:
                body["ids"] = list(held.ids)  # the site's own rows, each once: the platform checks them
        else:
            body, url = {"solution_sha256": held.sha256, **report}, job["failure_url"]
        result = self._call("POST", url, json=body)
        if result.status_code != 200:
            log.warning("job %s: the platform refused the %s (%s): %s", job["id"], url.rsplit("/", 1)[1],
                        result.status_code, result.json().get("detail"))
        return True

    def _score(self, held: HeldChallenge, content: bytes, phase: str | None) -> dict:
        """Return {"report": ...} on the phase's rows, or the failure report ({"error", "problems"}) a team may read."""
        from ultrathon.scorers.report import report_to_wire
        from ultrathon.sealed import score_sealed

        try:
            return {"report": report_to_wire(score_sealed(held.spec, content, held.solution, held.scorer_source, phase=phase))}
        except Exception as error:  # noqa: BLE001 - every scoring error ends the submission failed, said plainly
            failure = failure_report(error)
            # The detail may quote the solution: it stays in this network's log, never in the report.
            log.warning("scoring failed (%s: %s); reporting: %s", type(error).__name__, error, failure["error"])
            return failure

    def _heartbeats(self, job: dict, stop: threading.Event) -> None:
        # A quarter of the lease: three beats may be lost before the job is offered again.
        every = min(HEARTBEAT_S, max(0.2, float(job.get("lease_seconds") or 120) / 4))
        while not stop.wait(every):
            try:
                self._call("POST", job["heartbeat_url"])
            except Exception:  # noqa: BLE001 - a missed beat only shortens the lease
                log.warning("heartbeat of job %s failed", job["id"], exc_info=True)

    def run_forever(self) -> None:
        """Lease and score jobs until stopped; wait and try again when the platform is unreachable."""
        while True:
            try:
                self.run_once()
            except requests.RequestException as error:
                log.warning("the platform is unreachable (%s); trying again in %d s", error, RETRY_S)
                time.sleep(RETRY_S)
