"""Liveness and readiness: /readyz is 200 only with database, Redis and a live worker."""

import os
import signal
import subprocess
import sys
import time

import pytest


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


@pytest.mark.slow
def test_readyz_is_ready_once_a_real_worker_beats(client, cli_env):
    worker = subprocess.Popen([sys.executable, "-m", "ultrathon.cli", "worker", "--processes", "1"], env=cli_env,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            response = client.get("/readyz")
            if response.status_code == 200:
                break
            time.sleep(0.3)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["workers"] >= 1
        # An idle worker must beat well within the 60 s window, not only at birth: its key
        # lives for its TTL + 60 s, so a TTL of RQ's default 420 s would show here.
        from rq import Worker

        from ultrathon.platform.queueing import get_redis

        with client.application.app_context():
            redis = get_redis()
            ttls = [redis.ttl(w.key) for w in Worker.all(connection=redis)]
        assert ttls and all(0 < ttl <= 100 for ttl in ttls), ttls
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)  # a stop is prompt: the pool kills stragglers after 10 s
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)  # leave no worker to take later tests' jobs
            raise
