"""The sealed scoring server: imports the scoring library once, then forks one sealed process per job.

It is started afresh (exec, an allow-listed environment) by the worker, so its memory holds no
setting, connection or other challenge's data for a forked process to find; it never reads a
job's files itself. It keeps one process forked ahead of the next job, isolated and warmed, so
that neither the fork nor the seal is paid while a team waits. On a connection it reads only
the job's limits, hands the connection and the limits to that process (which then gives up its
privileges and serves the job alone), tells the worker the process id and forks the next one.
It kills a process that outlives its time, and answers the worker's question of how a process ended.
"""

from __future__ import annotations

import ctypes
import dataclasses
import gc
import json
import logging
import os
import select
import signal
import socket
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass

from ultrathon.sealed.child import HANDOVER_BYTES
from ultrathon.sealed.confine import Limits, bound_paths, confine
from ultrathon.sealed.wire import read_json, send_json

log = logging.getLogger("ultrathon.sealed")

PR_SET_PDEATHSIG = 1
KEPT_STATUSES = 1000
HEADER_TIMEOUT_S = 5
SPARE_READY_TIMEOUT_S = 10  # isolating and warming takes some 50 ms on an idle machine


def _die_with_parent() -> None:
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _probe(paths: list[str]) -> dict:
    """Seal a throw-away process and report what held: network, files, user."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            sealed = confine(Limits(cpu_s=10), paths)
            probe = socket.socket()
            try:
                probe.connect(("127.0.0.1", 9))
                network = False
            except OSError as error:
                network = error.errno != 111  # refused means the loopback answered
            files = not os.path.exists("/etc/passwd")
            os.write(write_end, f"{int(network and sealed.network)}{int(files)}{sealed.user}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    answer = os.read(read_end, 64).decode()
    os.close(read_end)
    os.waitpid(pid, 0)
    return {"network": answer[:1] == "1", "filesystem": answer[1:2] == "1", "user": answer[2:] or "unknown"}


@dataclass
class Spare:
    """A forked process that isolates and warms itself, then waits on `channel` for its one job."""

    pid: int
    channel: socket.socket
    cpu_s: float | None = None  # what it used before its job: known once it says it is ready


class Server:
    """Accept jobs on a Unix socket, hand each to a sealed process forked ahead of it, reap and time them out."""

    def __init__(self, path: str):
        self.paths = bound_paths()
        self.sealed = _probe(self.paths)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(path):
            os.unlink(path)
        self.listener.bind(path)
        self.listener.listen(64)
        self.running: dict[int, tuple[socket.socket, float, int, float]] = {}  # pid: (conn, deadline, cpu_s, cpu before)
        self.killed: set[int] = set()
        self.ended: OrderedDict[int, dict] = OrderedDict()
        self.spare: Spare | None = None

    def serve_forever(self) -> None:
        """Answer connections until killed."""
        while True:
            if self.spare is None:  # at start, after a hand-over, or when the waiting one died
                self._replace_spare()
            deadlines = [deadline for _, deadline, _, _ in self.running.values()]
            wait = max(0.0, min(deadlines) - time.monotonic()) if deadlines else 1.0
            ready, _, _ = select.select([self.listener], [], [], min(wait, 0.5))
            if ready:
                conn, _ = self.listener.accept()
                try:
                    self._answer(conn)
                except (OSError, EOFError, ValueError) as error:
                    log.warning("sealed scoring: a bad request: %s", error)
                    conn.close()
            self._reap()
            self._kill_overdue()

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(HEADER_TIMEOUT_S)
        request = read_json(conn)
        if request.get("op") == "status":
            self._answer_status(conn, int(request["pid"]))
            return
        limits = Limits.from_dict(request["limits"])
        spare = self._hand_over(conn, limits)
        self.running[spare.pid] = (conn, time.monotonic() + limits.cpu_s, limits.cpu_s, spare.cpu_s)
        send_json(conn, {"pid": spare.pid, "sealed": self.sealed})

    def _replace_spare(self) -> None:
        try:
            self.spare = self._fork_spare()  # for the next job, warmed while the current one runs
        except OSError as error:
            log.warning("sealed scoring: cannot fork a process for the next job: %s", error)

    def _fork_spare(self) -> Spare:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            pid = os.fork()
        except OSError:
            ours.close()
            theirs.close()
            raise
        if pid == 0:
            try:
                _die_with_parent()
                fd = os.dup2(theirs.fileno(), 3)
                os.closerange(4, os.sysconf("SC_OPEN_MAX"))  # the listener and every job's connection
                null = os.open("/dev/null", os.O_RDWR)
                for std in (0, 1, 2):
                    os.dup2(null, std)
                os.close(null)
                from ultrathon.sealed.child import wait_and_serve

                wait_and_serve(fd, self.paths)
            finally:
                os._exit(70)
        theirs.close()
        return Spare(pid, ours)

    def _hand_over(self, conn: socket.socket, limits: Limits) -> Spare:
        """Give the job's connection and limits to the waiting process once it is ready; return it.

        A waiting process that died or hangs is replaced by a new one, once.
        """
        message = json.dumps({"limits": dataclasses.asdict(limits)}).encode()
        for _ in range(2):
            spare, self.spare = self.spare or self._fork_spare(), None
            spare.channel.settimeout(SPARE_READY_TIMEOUT_S)
            try:
                spare.cpu_s = float(json.loads(spare.channel.recv(HANDOVER_BYTES))["cpu_s"])
                socket.send_fds(spare.channel, [message], [conn.fileno()])
                spare.channel.close()
                return spare
            except (OSError, ValueError, KeyError, TypeError) as error:
                log.warning("sealed scoring: a waiting process could not take its job (%s); starting another", error)
                spare.channel.close()
                self._discard(spare.pid)
        raise OSError("no sealed scoring process could take the job")

    def _discard(self, pid: int) -> None:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass

    def _answer_status(self, conn: socket.socket, pid: int) -> None:
        deadline = time.monotonic() + HEADER_TIMEOUT_S
        while pid in self.running and time.monotonic() < deadline:
            self._reap(block_s=0.05)
        send_json(conn, self.ended.get(pid, {"unknown": True}))
        conn.close()

    def _reap(self, block_s: float = 0.0) -> None:
        if block_s:
            time.sleep(block_s)
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid not in self.running:
                if self.spare is not None and pid == self.spare.pid:
                    log.warning("sealed scoring: a waiting process ended before its job (status %s)", status)
                    self.spare.channel.close()
                    self.spare = None
                continue
            conn, _, cpu_limit, cpu_before = self.running.pop(pid)
            conn.close()
            cpu_s = usage.ru_utime + usage.ru_stime - cpu_before
            self.ended[pid] = {
                "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                "cpu_s": round(cpu_s, 3),
                "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
                "over_time": pid in self.killed or cpu_s >= cpu_limit - 0.05,
            }
            self.killed.discard(pid)
            while len(self.ended) > KEPT_STATUSES:
                self.ended.popitem(last=False)

    def _kill_overdue(self) -> None:
        now = time.monotonic()
        for pid, (_, deadline, _, _) in list(self.running.items()):
            if now >= deadline and pid not in self.killed:
                self.killed.add(pid)
                os.kill(pid, signal.SIGKILL)


def main(argv: list[str]) -> None:
    """Run the server on the Unix socket path given as the only argument."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _die_with_parent()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # What every job needs, imported once here so no sealed process imports it again.
    import sklearn.metrics  # noqa: F401 - what organisers' own metrics most often use
    import sksurv.metrics  # noqa: F401 - imported by the survival metrics on first use
    import ultrathon.scorers  # noqa: F401
    import ultrathon.sealed.child  # noqa: F401
    import ultrathon.spec  # noqa: F401
    from ultrathon.i18n import LANGUAGES, translations
    from ultrathon.sealed.child import rehearse

    rehearse()
    for language in LANGUAGES:
        translations(language)  # read once here: every forked process has the catalogs without reading a file
    # Objects that exist now live as long as the server: keep the collector off their pages, so
    # a forked process shares them with the server instead of copying them on its first collection.
    gc.collect()
    gc.freeze()
    server = Server(argv[0])
    if not server.sealed["network"]:
        log.warning("sealed scoring: the network is NOT sealed (the kernel refused a network namespace); "
                    "scoring processes run with the limits only")
    if not server.sealed["filesystem"]:
        log.warning("sealed scoring: the file system is NOT sealed (no mount namespace)")
    log.info("sealed scoring ready: network sealed %s, files sealed %s, user %s",
             server.sealed["network"], server.sealed["filesystem"], server.sealed["user"])
    print("ready", flush=True)
    server.serve_forever()
