"""What a sealed process does: read one scoring request, score it, answer with the report as JSON."""

from __future__ import annotations

import ctypes
import io
import json
import os
import resource
import socket
import sys
import traceback

from ultrathon.sealed.confine import Limits, isolate, restrict
from ultrathon.sealed.wire import read_frame, read_json, send_json

MAX_INPUT_BYTES = 4 << 30  # each of the request's files; the memory limit is the real bound
MAX_PRINTED_CHARS = 20_000  # what a scorer prints is kept for the organisers, this much of it
HANDOVER_BYTES = 4096  # the server's hand-over message: the job's limits
WARM_HEAP_MB = 64  # heap faulted in before a job arrives; a bigger job grows it as usual
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt parameters
TRIM_THRESHOLD_BYTES = 1 << 30
MMAP_THRESHOLD_BYTES = 32 << 20  # glibc's largest

_libc = ctypes.CDLL(None)
_libc.malloc.restype = ctypes.c_void_p
_libc.malloc.argtypes = [ctypes.c_size_t]
_libc.free.argtypes = [ctypes.c_void_p]
_libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]


class _Capped(io.TextIOBase):
    """A text stream that keeps the first MAX_PRINTED_CHARS written to it."""

    def __init__(self):
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> int:
        if self.size < MAX_PRINTED_CHARS:
            self.parts.append(text[: MAX_PRINTED_CHARS - self.size])
            self.size += len(self.parts[-1])
        return len(text)

    def text(self) -> str:
        return "".join(self.parts)


def describe_error(error: BaseException) -> dict:
    """Return a failed request's answer: a kind, a message safe for the team, detail for organisers."""
    from ultrathon.scorers import ParticipantVisibleError, ScoringError, SolutionError, SubmissionError
    from ultrathon.scorers.custom import PARTICIPANT_MESSAGE_CHARS

    if isinstance(error, MemoryError):
        return {"kind": "memory", "detail": traceback.format_exc()}
    if isinstance(error, SubmissionError):
        problems = [{"row": p.row, "column": p.column, "message": p.message} for p in error.problems]
        return {"kind": "submission", "problems": problems, "omitted": error.omitted}
    if isinstance(error, ScoringError):
        return {"kind": "scoring", "message": error.message, "detail": error.detail or ""}
    if isinstance(error, ParticipantVisibleError):
        return {"kind": "scoring", "message": str(error)[:PARTICIPANT_MESSAGE_CHARS], "detail": traceback.format_exc()}
    if isinstance(error, SolutionError):
        return {"kind": "solution", "detail": str(error)}
    return {"kind": "internal", "detail": traceback.format_exc()}


def score_request(header: dict, content: bytes, solution_csv: bytes) -> dict:
    """Score one submission against its solution as the request describes; return the report."""
    from ultrathon.i18n import speaking
    from ultrathon.scorers import load_custom_metric, read_solution, read_submission, score
    from ultrathon.scorers.report import report_to_wire
    from ultrathon.spec import ChallengeSpec

    spec = ChallengeSpec.model_validate(header["spec"], context={"cross_checks": False})
    # Every message raised here (a file's problems, a failure) is in the language the request names.
    with speaking(header.get("language")):
        solution = read_solution(solution_csv, spec, phase=header.get("phase"))
        predictions = read_submission(content, spec, solution_ids=solution[spec.data.id_column])
        custom = load_custom_metric(header.get("custom_source") or "", spec.metrics.custom_function) if spec.metrics.custom else None
        report = score(predictions, solution, spec, custom_metric=custom, bootstrap=bool(header.get("bootstrap", True)))
    return report_to_wire(report)


def wait_and_serve(fd: int, paths: list[str]) -> None:
    """Isolate and warm this process, wait for the one job the server hands over on `fd`, serve it, exit.

    The server forks this process before a job arrives, so the seal and the warming are paid while
    the previous job runs, not on the way from upload to score.
    """
    channel = socket.socket(fileno=fd)
    confinement = isolate(paths)
    _warm()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    channel.send(json.dumps({"ready": True, "cpu_s": usage.ru_utime + usage.ru_stime}).encode())
    message, fds, _, _ = socket.recv_fds(channel, HANDOVER_BYTES, 1)
    channel.close()
    if not fds:
        os._exit(0)  # the server is gone or has no job for this process
    if fds[0] != fd:  # the job's connection takes the channel's place, fd 3
        os.dup2(fds[0], fd)
        os.close(fds[0])
    sock = socket.socket(fileno=fd)
    sock.setblocking(True)  # the server's time-out made it non-blocking
    restrict(Limits.from_dict(json.loads(message)["limits"]), confinement)
    printed = _Capped()
    sys.stdout = sys.stderr = printed
    try:
        header = read_json(sock)
        content = read_frame(sock, MAX_INPUT_BYTES)
        solution_csv = read_frame(sock, MAX_INPUT_BYTES)
        answer = {"ok": True, "report": score_request(header, content, solution_csv)}
    except BaseException as error:  # noqa: BLE001 - every failure becomes an answer
        answer = {"ok": False, "error": describe_error(error)}
    answer["printed"] = printed.text()
    try:
        send_json(sock, answer)
    except MemoryError:
        send_json(sock, {"ok": False, "error": {"kind": "memory", "detail": "out of memory writing the report"}})
    os._exit(0)


def _warm() -> None:
    """Make the coming job's memory ready: a heap already faulted in, kept when freed, and used for big arrays.

    A fresh process otherwise pays a page fault for each new page of memory it writes: some
    16,000 of them for a 2,000-row submission, several times the cost of the seal itself.
    """
    _libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)  # freed memory stays in the heap
    _libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)  # arrays up to this come from the heap, not mmap
    chunk = 1 << 20
    blocks = [_libc.malloc(chunk) for _ in range(WARM_HEAP_MB)]
    for block in blocks:
        if block:
            ctypes.memset(block, 0, chunk)
    for block in blocks:
        _libc.free(block)


def rehearse() -> None:
    """Score tiny made-up challenges of each kind once, so that forked processes start warm.

    The first call of many library paths (the CSV reader, the schema's validators, the metrics)
    builds caches; built once here, in the server, no sealed process builds them again.
    """
    import numpy as np

    from ultrathon.spec import ChallengeSpec

    rng = np.random.default_rng(0)
    n = 60
    rows = [(f"R{i:03d}", "Public" if i % 2 else "Private") for i in range(n)]
    base = {"slug": "rehearsal", "title": "Rehearsal", "opens": "2020-01-01T00:00:00+00:00",
            "closes": "2020-02-01T00:00:00+00:00", "organisers": ["rehearsal@example.org"], "leaderboard": {"bootstrap": 20}}
    kinds = {
        "binary": ({"y": rng.integers(0, 2, n)}, "probability", {"primary": "roc_auc", "secondary": ["average_precision", "brier", "log_loss"]}),
        "survival": ({"t": rng.integers(1, 100, n), "e": rng.integers(0, 2, n)}, "risk", {"primary": "harrell_c", "secondary": ["uno_c"]}),
        "regression": ({"y": rng.normal(size=n)}, "value", {"primary": "rmse", "secondary": ["mae", "r2"]}),
    }
    for task, (truth, column, metrics) in kinds.items():
        target = {"time": "t", "event": "e"} if task == "survival" else "y"
        spec = ChallengeSpec.model_validate(
            {**base, "task": task, "data": {"id_column": "id", "public": [], "solution": "s.csv", "target": target},
             "submission": {"columns": [column]}, "metrics": metrics}, context={"cross_checks": False})
        solution = "id," + ",".join(truth) + ",Usage\n" + "".join(
            f"{i}," + ",".join(str(v[k]) for v in truth.values()) + f",{usage}\n" for k, (i, usage) in enumerate(rows))
        guesses = rng.random(n)
        submission = f"id,{column}\n" + "".join(f"{i},{guesses[k]}\n" for k, (i, _) in enumerate(rows))
        score_request({"spec": spec.model_dump(mode="json")}, submission.encode(), solution.encode())
