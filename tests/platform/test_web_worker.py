"""The web worker class takes turns between keep-alive connections."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from tests.conftest import _free_port, _stop_process, _wait_for_http
from ultrathon.platform.supervisor import gunicorn_argv

PIPELINED = 300


class ResponseReader:
    """Reads HTTP responses one by one from a socket, keeping what arrived beyond them."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.data = sock, b""

    def bodies(self, count: int) -> list[int]:
        """Read `count` responses; return their bodies as numbers."""
        bodies: list[int] = []
        while len(bodies) < count:
            if b"\r\n\r\n" in self.data:
                head, rest = self.data.split(b"\r\n\r\n", 1)
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length:")))
                if len(rest) >= length:
                    bodies.append(int(rest[:length]))
                    self.data = rest[length:]
                    continue
            chunk = self.sock.recv(65536)
            assert chunk, f"connection closed after {len(bodies)} of {count} responses"
            self.data += chunk
        return bodies


def test_a_busy_keep_alive_connection_does_not_hold_up_a_new_one():
    """A client pipelining 300 requests shares the worker: a second client is answered early."""
    port = _free_port()
    argv = gunicorn_argv("127.0.0.1", port, 1)
    argv[-1:] = ["--pythonpath", str(Path(__file__).parent / "apps"), "turn_counter:app"]
    process = subprocess.Popen(argv, env=dict(os.environ), start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_http(f"http://127.0.0.1:{port}", process)
        with socket.create_connection(("127.0.0.1", port)) as busy:
            busy.sendall(b"GET /a HTTP/1.1\r\nHost: t\r\n\r\n" * PIPELINED)
            busy_reader = ResponseReader(busy)
            [first] = busy_reader.bodies(1)  # the worker is now serving the pipelined requests
            with socket.create_connection(("127.0.0.1", port), timeout=30) as newcomer:
                newcomer.sendall(b"GET /b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                [turn] = ResponseReader(newcomer).bodies(1)
            rest = busy_reader.bodies(PIPELINED - 1)
    finally:
        _stop_process(process)
    assert sorted(rest + [turn]) == list(range(first + 1, PIPELINED + 2))
    # Taking turns, the newcomer waits for a request or two of the busy client; without them,
    # for all 300 (its number would be 301).
    assert turn <= first + 5, f"the new connection was answered as request {turn} of {PIPELINED + 1}"
