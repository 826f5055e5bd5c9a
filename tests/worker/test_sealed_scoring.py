"""Hostile organisers' metrics, run by a real worker in the sealed scoring process: each ends
`failed` with a plain message, nothing of another challenge or the platform's secrets reaches
anything a team or an organiser can read, and the next ordinary submission scores as usual."""

from __future__ import annotations

import json
import os
from pathlib import Path


from ultrathon.platform.extensions import db
from ultrathon.platform.models import AuditEvent, Submission
from ultrathon.scorers.errors import SCORING_FAILED

ROOT = Path(__file__).resolve().parents[2]
OTHER_SOLUTION = ROOT / "challenges" / "breast-cancer-diagnosis" / "solution.csv"
MEMORY = "the challenge's scoring program exceeded its memory limit"
CRASH = "the challenge's scoring program stopped unexpectedly; the organisers have been told"
BAD_OUTPUT = "the challenge's scoring program returned no valid result; the organisers have been told"
SEALED_ENV = {"PATH", "LANG", "LC_ALL", "TZ", "HOME", "TMPDIR", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
              "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
              "KMP_DUPLICATE_LIB_OK", "KMP_INIT_AT_FORK"}  # the last two set by scikit-learn's import itself


def attacks(test_env) -> dict[str, tuple[str, dict, str]]:
    """Name: (scorer.py, scoring limits, the message the team must read)."""
    url = test_env["DATABASE_URL"]
    if url.startswith("sqlite"):
        read_database = f"""
            import sqlite3
            con = sqlite3.connect({url.split(':///', 1)[1]!r})
            rows = con.execute("SELECT slug, solution_csv FROM challenge").fetchall()
            raise ParticipantVisibleError(repr(rows)[:400])"""
    else:
        read_database = f"""
            import psycopg
            rows = psycopg.connect({url!r}, connect_timeout=3).execute("SELECT slug, solution_csv FROM challenge").fetchall()
            raise ParticipantVisibleError(repr(rows)[:400])"""
    return {
        "the database": (read_database, {}, SCORING_FAILED),
        "the secret key": ("""
            import os
            raise ParticipantVisibleError(os.environ.get("SECRET_KEY", "") + " | " + ",".join(sorted(os.environ)))""",
            {}, "ENVIRONMENT"),
        "the first environment": ("""
            raise ParticipantVisibleError(open("/proc/self/environ").read()[:400])""", {}, SCORING_FAILED),
        "the worker's memory": ("""
            import gc, sys
            found = [repr(o)[:200] for o in gc.get_objects() if isinstance(o, dict) and "SECRET_KEY" in o]
            loaded = [m for m in ("flask", "sqlalchemy", "redis", "rq", "ultrathon.platform") if m in sys.modules]
            raise ParticipantVisibleError(f"found {found} loaded {loaded}")""", {}, "found [] loaded []"),
        "another challenge's files": (f"""
            raise ParticipantVisibleError(open({str(OTHER_SOLUTION)!r}).read()[:400])""", {}, SCORING_FAILED),
        "the password file": ("""
            raise ParticipantVisibleError(open("/etc/passwd").read()[:200])""", {}, SCORING_FAILED),
        "a root-only file": ("""
            raise ParticipantVisibleError(open("/etc/shadow").read()[:200])""", {}, SCORING_FAILED),
        "the network": ("""
            import socket
            for port in (6379, 5432, 8000):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=2)
                    raise ParticipantVisibleError(f"connected to {port}")
                except OSError:
                    pass
            socket.create_connection(("127.0.0.1", 6379), timeout=2)""", {}, SCORING_FAILED),
        "new processes": ("""
            import os
            for _ in range(20):
                if os.fork() == 0:
                    os._exit(0)
            raise ParticipantVisibleError("forked 20 processes")""", {}, SCORING_FAILED),
        "10 GB of memory": ("""
            block = bytearray(10 * 2**30)
            return float(len(block))""", {}, MEMORY),
        "a loop forever": ("""
            while True:
                pass""", {"timeout_s": 5}, "the challenge's scoring program exceeded its time limit of 5 s"),
        "killing itself": ("""
            import os, signal
            os.kill(os.getpid(), signal.SIGKILL)""", {}, CRASH),
        "a forged answer": ("""
            import os, struct
            os.write(3, struct.pack(">Q", 9) + b"not json!")
            os._exit(0)""", {}, BAD_OUTPUT),
        "a message of 2,000 characters": ("""
            raise ParticipantVisibleError("x" * 2000)""", {}, "x" * 500),
    }


def readable_text(submission_id: int) -> str:
    """Return everything about a submission a team or an organiser can read."""
    db.session.expire_all()
    stored = db.session.get(Submission, submission_id)
    audit = db.session.execute(db.select(AuditEvent.detail).where(AuditEvent.target_id == str(submission_id))).scalars()
    return json.dumps([stored.error, stored.error_detail, stored.problems, list(audit)])


def test_hostile_metrics_end_failed_read_nothing_and_leave_the_worker_scoring(
        test_env, custom_challenge, make_challenge, make_submission, make_user, run_worker, varied_sample):
    other = make_challenge()  # another organiser's challenge, its solution in the database and on disk
    admin = make_user("admin@example.org", admin=True)
    queued = []
    for target, (source, limits, expected) in attacks(test_env).items():
        source = "def score(solution, submission, row_id_column_name):" + source + "\n"
        slug = "hostile-" + "-".join("".join(ch for ch in target.lower() if ch.isalnum() or ch == " ").split())
        challenge = custom_challenge(slug[:60], source, hostile=True, scoring=limits)
        attack = make_submission(challenge, data=varied_sample(challenge))
        ordinary = make_submission(other)  # queued right behind the attack: the same worker scores it next
        queued.append((target, expected, attack.id, ordinary.id))
    run_worker()

    secrets = [test_env["SECRET_KEY"], test_env["DATABASE_URL"], admin.password_hash, "root:x:0:0", "root:"]
    secrets += OTHER_SOLUTION.read_text().splitlines()[1:4]
    wrong = []
    for target, expected, attack_id, ordinary_id in queued:
        db.session.expire_all()
        stored, after = db.session.get(Submission, attack_id), db.session.get(Submission, ordinary_id)
        if expected == "ENVIRONMENT":  # what the process's environment holds: the allow-list only
            value, _, names = (stored.error or "").partition(" | ")
            right = value == "" and set(names.split(",")) <= SEALED_ENV
        else:
            right = stored.error == expected
        if stored.status != "failed" or not right or not stored.error_detail:
            wrong.append(f"{target}: {stored.status} {stored.error!r} (detail {bool(stored.error_detail)})")
        leaked = [s for s in secrets if s in readable_text(attack_id)]
        if leaked:
            wrong.append(f"{target}: leaked {leaked}")
        if after.status != "scored":
            wrong.append(f"{target}: the next ordinary submission ended {after.status} ({after.error})")
    assert wrong == []


def test_the_sealed_process_runs_warm_and_holds_no_platform_module(custom_challenge, make_submission, run_worker, varied_sample):
    """The scoring library is already imported when the metric runs; the app, database and Redis are not."""
    challenge = custom_challenge("warm-check", """
        import sys

        def score(solution, submission, row_id_column_name):
            warm = all(m in sys.modules for m in ("pandas", "sklearn.metrics", "sksurv.metrics", "ultrathon.scorers"))
            platform = sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "sqlalchemy", "redis", "rq", "psycopg")
                              or m.startswith("ultrathon.platform") or m.startswith("ultrathon.worker"))
            raise ParticipantVisibleError(f"warm {warm} platform {platform} uid {__import__('os').getuid()}")
    """, hostile=True)
    submission = make_submission(challenge, data=varied_sample(challenge))
    run_worker()
    stored = db.session.get(Submission, submission.id)
    db.session.refresh(stored)
    warm, uid = stored.error.rsplit(" uid ", 1)
    assert warm == "warm True platform []"
    assert int(uid) >= 1_900_000_000 if os.geteuid() == 0 else int(uid) == os.getuid()
