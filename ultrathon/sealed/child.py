"""What a sealed process does: read one scoring request, score it, answer with the report as JSON."""

from __future__ import annotations

import io
import os
import socket
import sys
import traceback

from ultrathon.sealed.confine import Limits, confine
from ultrathon.sealed.wire import read_frame, read_json, send_json

MAX_INPUT_BYTES = 4 << 30  # each of the request's files; the memory limit is the real bound
MAX_PRINTED_CHARS = 20_000  # what a scorer prints is kept for the organisers, this much of it


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
    from ultrathon.scorers import load_custom_metric, read_solution, read_submission, score
    from ultrathon.scorers.report import report_to_wire
    from ultrathon.spec import ChallengeSpec

    spec = ChallengeSpec.model_validate(header["spec"], context={"cross_checks": False})
    solution = read_solution(solution_csv, spec)
    predictions = read_submission(content, spec, solution_ids=solution[spec.data.id_column])
    custom = load_custom_metric(header.get("custom_source") or "", spec.metrics.custom_function) if spec.metrics.custom else None
    report = score(predictions, solution, spec, custom_metric=custom, bootstrap=bool(header.get("bootstrap", True)))
    return report_to_wire(report)


def serve(fd: int, limits: Limits, paths: list[str]) -> None:
    """Seal this process, answer the one request on `fd`, and exit."""
    sock = socket.socket(fileno=fd)
    confine(limits, paths)
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
