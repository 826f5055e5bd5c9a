"""`ultrathon up` on a bare machine: everything starts, answers ready, and Ctrl-C leaves nothing."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return None, ""


def test_up_serves_the_demo_challenges_and_ctrl_c_stops_every_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "TEST_DATABASE_URL")}
    env.update({"ULTRATHON_INSTANCE": str(tmp_path / "instance"), "ULTRATHON_ENV": "development"})
    port = free_port()
    up = subprocess.Popen(
        [sys.executable, "-m", "ultrathon.cli", "up", "--port", str(port), "--workers", "2"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        status, body = None, ""
        while time.monotonic() < deadline and up.poll() is None:
            status, body = get(base + "/readyz")
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200, (status, body)
        assert json.loads(body)["workers"] == 2
        status, home = get(base + "/")
        assert status == 200
        for title in ("Free light chains", "ACTG 320", "Breast", "diabetes"):
            assert title.lower() in home.lower()
        descendants = psutil.Process(up.pid).children(recursive=True)
    finally:
        up.send_signal(signal.SIGINT)
        output, _ = up.communicate(timeout=60)
    assert up.returncode == 0, output
    assert f"Ultrathon is running at {base}" in output
    password_line = next(line for line in output.splitlines() if "organiser login" in line)
    assert password_line.split(" / ")[1].strip() == (tmp_path / "instance" / "demo_organiser_password").read_text()
    # The embedded Redis daemonises (it is no descendant): find it by its socket.
    socket_path = next(line for line in output.splitlines() if "redis: embedded at unix://" in line).split("unix://")[1]
    time.sleep(0.5)
    left = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    left += [p for p in psutil.process_iter(["cmdline"]) if socket_path in " ".join(p.info["cmdline"] or [])]
    assert left == [], [p.cmdline() for p in left]
