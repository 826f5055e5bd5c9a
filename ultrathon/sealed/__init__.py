"""Sealed scoring: every submission is scored in its own confined process, never in the worker.

    with SealedScorer() as scorer:
        report = scorer.score(spec, submission_bytes, solution_bytes, custom_source)

The scorer starts a small server (`server.py`) that has imported the scoring library; for each
job it has forked a process ahead, which seals itself (`confine.py`) before it reads the job's files. The
process sees this submission, this challenge's solution, spec and metric source, and nothing
else: no database, Redis, settings, network or files; it answers with the report as JSON.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

import ultrathon
from ultrathon.i18n import N_, current_language, gettext as _
from ultrathon.sealed.confine import Limits
from ultrathon.scorers.errors import ScoringError, time_limit_message
from ultrathon.sealed.wire import FrameTooLarge, read_json, send_frame, send_json

log = logging.getLogger(__name__)

START_TIMEOUT_S = 120
# What the server's environment holds: nothing from the worker's but these.
PASSED_ENVIRONMENT = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
SEALED_ENVIRONMENT = {
    "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC", "HOME": "/tmp", "TMPDIR": "/tmp",
    # One thread each: a sealed process may not start threads (they count as processes).
    "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1",
}
REPLY_GRACE_S = 5  # beyond the time limit (when the server kills the process), how long the worker waits


class SealedFailure(ScoringError):
    """A sealed run that broke a limit, died or answered nonsense: a safe message, detail for organisers."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(_(message), detail)  # a marked message, or one already translated (left as it is)


# Marked here, translated when a failure is raised: into the language the worker speaks for the team.
MEMORY_MESSAGE = N_("the challenge's scoring program exceeded its memory limit")
CRASH_MESSAGE = N_("the challenge's scoring program stopped unexpectedly; the organisers have been told")
OUTPUT_MESSAGE = N_("the challenge's scoring program returned no valid result; the organisers have been told")


def limits_of(spec) -> Limits:
    """Return the sealed-process limits a challenge's `scoring:` section sets."""
    s = spec.scoring
    return Limits(cpu_s=s.timeout_s, memory_mb=s.memory_mb, max_processes=s.max_processes, max_output_mb=s.max_output_mb)


def sealed_environment() -> dict[str, str]:
    """Return the allow-listed environment of the sealed server."""
    env = dict(SEALED_ENVIRONMENT)
    env.update({k: os.environ[k] for k in PASSED_ENVIRONMENT if k in os.environ})
    return env


class SealedScorer:
    """A sealed scoring server of this process, started on first use, usable from forked children."""

    def __init__(self):
        self._process: subprocess.Popen | None = None
        self._owner = 0
        self._folder: str | None = None
        self.socket_path: str | None = None
        self.sealed: dict | None = None
        self.last_pid = 0
        self._lock = threading.Lock()

    def __enter__(self) -> SealedScorer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        """Start the server and wait until it accepts jobs."""
        self._folder = tempfile.mkdtemp(prefix="ultrathon-sealed-")  # 0700: only this user connects
        self.socket_path = os.path.join(self._folder, "scoring.sock")
        package_parent = os.path.dirname(os.path.dirname(os.path.abspath(ultrathon.__file__)))
        boot = f"import sys; sys.path.insert(0, {package_parent!r}); from ultrathon.sealed.server import main; main(sys.argv[1:])"
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-c", boot, self.socket_path], env=sealed_environment(), cwd="/",
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, close_fds=True)
        self._owner = os.getpid()
        line = self._process.stdout.readline()  # "ready", once the imports are done
        if line.strip() != b"ready":
            code = self._process.wait(timeout=START_TIMEOUT_S)
            raise RuntimeError(f"the sealed scoring server did not start (exit {code})")
        atexit.register(self.stop)

    def ensure_running(self) -> None:
        """Start the server if this process has none running (or its server died)."""
        with self._lock:
            if self._process is not None and self._owner == os.getpid() and self._process.poll() is None:
                return
            if self._process is not None and self._owner != os.getpid() and self._reachable():
                return  # a forked child uses its parent's server
            self._forget()
            self.start()

    def _reachable(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.connect(self.socket_path)
                send_json(probe, {"op": "status", "pid": 0})
                read_json(probe)
            return True
        except (OSError, EOFError, ValueError):
            return False

    def _forget(self) -> None:
        """Drop a server handle this process may not use (dead, or another process's)."""
        if self._process is not None and self._owner == os.getpid():
            self.stop()
        self._process, self._folder, self.socket_path = None, None, None

    def stop(self) -> None:
        """Stop the server (its sealed processes die with it)."""
        process, self._process = self._process, None
        if process is not None and self._owner == os.getpid():
            process.kill()
            process.wait()
            process.stdout.close()
        if self._folder and self._owner == os.getpid():
            shutil.rmtree(self._folder, ignore_errors=True)

    def run(self, limits: Limits, header: dict, files: list[bytes]) -> dict:
        """Send one job to a sealed process; return its answer, or raise SealedFailure."""
        self.ensure_running()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.settimeout(START_TIMEOUT_S)
            conn.connect(self.socket_path)
            send_json(conn, {"op": "score", "limits": dataclasses.asdict(limits)})
            try:
                hello = read_json(conn)
            except (EOFError, ConnectionError, ValueError, socket.timeout) as error:
                raise SealedFailure(CRASH_MESSAGE, "the scoring server started no scoring process "
                                    f"({type(error).__name__}: {error}); see its log") from None
            pid, self.sealed = hello["pid"], hello["sealed"]
            self.last_pid = pid  # for the benchmark's and the tests' look at how it ended
            conn.settimeout(limits.cpu_s + REPLY_GRACE_S)
            try:
                send_json(conn, header)
                for data in files:
                    send_frame(conn, data)
                answer = read_json(conn, limits.max_output_mb << 20)
            except FrameTooLarge as error:
                raise SealedFailure(OUTPUT_MESSAGE, f"the scoring program's report ({error.size:,} bytes) is over "
                                    f"scoring.max_output_mb ({limits.max_output_mb} MB)") from None
            except (EOFError, ConnectionError, socket.timeout) as error:
                raise self._ended_without_answer(pid, limits, error) from None
            except ValueError as error:
                raise SealedFailure(OUTPUT_MESSAGE, f"the scoring program's report is not JSON: {error}") from None
        finally:
            conn.close()
        if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
            raise SealedFailure(OUTPUT_MESSAGE, "the scoring program's answer is not a report")
        return answer

    def _ended_without_answer(self, pid: int, limits: Limits, error: Exception) -> SealedFailure:
        status = self._status(pid)
        detail = f"the scoring process ended without a report ({type(error).__name__}: {error}); its status: {status}"
        if status.get("over_time") or isinstance(error, socket.timeout):
            return SealedFailure(time_limit_message(limits.cpu_s), detail)
        if status.get("max_rss_mb", 0) >= 0.9 * limits.memory_mb:
            return SealedFailure(MEMORY_MESSAGE, detail)
        return SealedFailure(CRASH_MESSAGE, detail)

    def status(self, pid: int) -> dict:
        """Return how a sealed process ended: exit code or signal, CPU seconds, peak memory."""
        return self._status(pid)

    def _status(self, pid: int) -> dict:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(10)
                conn.connect(self.socket_path)
                send_json(conn, {"op": "status", "pid": pid})
                status = read_json(conn)
                return status if isinstance(status, dict) else {}
        except (OSError, EOFError, ValueError) as error:
            return {"unknown": f"{type(error).__name__}: {error}"}


_default = SealedScorer()


def default_scorer() -> SealedScorer:
    """Return this process's sealed scorer (forked children share their parent's server)."""
    return _default


def score_sealed(spec, content: bytes, solution_csv: bytes, custom_source: str | None = None, *,
                 bootstrap: bool = True, scorer: SealedScorer | None = None, phase: str | None = None):
    """Score one submission in a sealed process; return its ScoreReport or raise what scoring raised.

    `phase`: score against that phase's solution rows only (data.phase_column).
    Raises SubmissionError (the file's problems, for the team) or ScoringError (a safe message and
    detail for organisers; SealedFailure for a process that broke a limit or died).
    """
    from ultrathon.scorers.report import ReportInvalid, report_from_wire

    # The sealed process writes the file's problems in the language the caller speaks now.
    header = {"spec": spec.model_dump(mode="json"), "custom_source": custom_source, "bootstrap": bootstrap, "phase": phase,
              "language": current_language()}
    answer = (scorer or _default).run(limits_of(spec), header, [content, solution_csv])
    printed = answer.get("printed") or ""
    if answer["ok"]:
        try:
            return report_from_wire(answer.get("report"), spec.metrics.all, spec.leaderboard.bootstrap if bootstrap else 0)
        except ReportInvalid as error:
            raise SealedFailure(OUTPUT_MESSAGE, f"the scoring program's report is not valid: {error}") from None
    raise _failure(answer.get("error"), printed)


def _failure(error: object, printed: str) -> Exception:
    """Return the exception a failed sealed run's answer stands for."""
    from ultrathon.scorers.custom import PARTICIPANT_MESSAGE_CHARS
    from ultrathon.scorers.errors import SCORING_FAILED, Problem, ScoringError, SubmissionError

    if not isinstance(error, dict):
        return SealedFailure(OUTPUT_MESSAGE, "the scoring program's answer holds neither a report nor an error")
    text = (lambda key: str(error.get(key) or ""))
    detail = text("detail") + (f"\n--- printed by the scoring program ---\n{printed}" if printed else "")
    kind = error.get("kind")
    if kind == "submission":
        try:
            problems = [Problem(p["row"] if isinstance(p["row"], int) else None,
                                str(p["column"])[:200] if p["column"] is not None else None, str(p["message"])[:1000])
                        for p in error["problems"]][:1000]
            return SubmissionError(problems, omitted=int(error.get("omitted") or 0))
        except (KeyError, TypeError, ValueError):
            return SealedFailure(OUTPUT_MESSAGE, "the scoring program's list of problems is malformed")
    if kind == "scoring":
        return ScoringError(text("message")[:PARTICIPANT_MESSAGE_CHARS] or SCORING_FAILED, detail)
    if kind == "memory":
        return SealedFailure(MEMORY_MESSAGE, detail)
    if kind == "solution":
        return ScoringError(SCORING_FAILED, _("the solution file cannot be used:\n%(detail)s", detail=detail))
    return ScoringError(SCORING_FAILED, detail)


__all__ = ["Limits", "SealedFailure", "SealedScorer", "default_scorer", "limits_of", "score_sealed", "time_limit_message"]
