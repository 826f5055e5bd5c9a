"""Liveness and readiness: /readyz is 200 only with database, Redis and a live worker."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from ultrathon.platform.queueing import get_redis


def test_healthz_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_not_ready_without_a_worker(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "ok" and body["redis"] == "ok"
    assert body["problems"] == ["no worker heartbeat in the last 60 s"]


def our_workers(redis, pool_pid: int) -> list:
    """Return the RQ workers registered by processes of this pool (not stale ones of other tests)."""
    from rq import Worker

    children = {p.pid for p in psutil.Process(pool_pid).children(recursive=True)} if psutil.pid_exists(pool_pid) else set()
    return [w for w in Worker.all(connection=redis) if w.pid in children]


@pytest.mark.slow
def test_readyz_is_ready_once_a_real_worker_beats(client, cli_env):
    worker = subprocess.Popen([sys.executable, "-m", "ultrathon.cli", "worker", "--processes", "1"], env=cli_env,
                              start_new_session=True)
    try:
        with client.application.app_context():
            redis = get_redis()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not our_workers(redis, worker.pid):
                time.sleep(0.3)
            ours = our_workers(redis, worker.pid)
            assert ours, "the worker never registered"
            response = client.get("/readyz")
            assert response.status_code == 200, response.get_json()
            assert response.get_json()["workers"] >= 1
            # An idle worker must beat well within the 60 s window, not only at birth: its key
            # lives for its TTL + 60 s, so a TTL of RQ's default 420 s would show here.
            ttls = [redis.ttl(w.key) for w in ours]
        assert all(0 < ttl <= 100 for ttl in ttls), ttls
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)  # a stop is prompt: the pool kills stragglers after 10 s
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)  # leave no worker to take later tests' jobs
            raise
