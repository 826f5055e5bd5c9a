"""Worker processes: a pool of RQ workers (with the scheduler) and the sweeper, for one machine."""

from __future__ import annotations

import logging
import os
import signal
import time

from rq import Worker
from rq.worker_pool import WorkerPool

from ultrathon.platform.processes import stop_process_trees
from ultrathon.platform.queueing import WORKER_QUEUES, get_redis, redis_url, reset_connections
from ultrathon.sealed import default_scorer

log = logging.getLogger(__name__)


def _forget_inherited_connections() -> None:
    """Drop database and Redis connections a forked child inherited from its parent.

    Sockets shared across fork() interleave two processes' traffic; the child opens its own.
    """
    from ultrathon.platform.extensions import db
    from ultrathon.worker.context import worker_app

    reset_connections()
    app = worker_app()
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


HEARTBEAT_TTL_S = 40


class ScoringWorker(Worker):
    """An RQ worker that beats every ~25 s while idle, so /readyz (60 s window) sees it.

    RQ's default TTL of 420 s makes an idle worker beat only every 405 s.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("worker_ttl", HEARTBEAT_TTL_S)
        super().__init__(*args, **kwargs)


STOP_GRACE_S = 10


class ScoringWorkerPool(WorkerPool):
    """RQ's worker pool whose supervising loop also runs the sweeper every `sweep_interval_s`.

    A stop is bounded: workers still running STOP_GRACE_S after the request (a long job, or a
    worker caught mid start-up) are killed with their work horses; the sweeper re-delivers
    whatever they were scoring.
    """

    def __init__(self, *args, sweep_interval_s: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.sweep_interval_s = sweep_interval_s
        self._next_sweep = time.monotonic() + sweep_interval_s
        self._stop_deadline: float | None = None

    stop_pending = False  # set by a signal that came before RQ's handlers were installed

    def _install_signal_handlers(self) -> None:
        """Install RQ's handlers, then act on a stop that arrived while workers were forking."""
        super()._install_signal_handlers()
        if ScoringWorkerPool.stop_pending:
            self.request_stop()

    def request_stop(self, signum=None, frame=None) -> None:
        """Ask every worker to stop, and start the clock on the grace period."""
        if self._stop_deadline is None:
            self._stop_deadline = time.monotonic() + STOP_GRACE_S
        super().request_stop(signum, frame)

    def all_workers_have_stopped(self) -> bool:
        """Return whether every worker is gone, killing stragglers once the grace period is over."""
        if super().all_workers_have_stopped():
            return True
        if self._stop_deadline is not None and time.monotonic() > self._stop_deadline:
            for data in list(self.worker_dict.values()):
                log.warning("worker %s did not stop within %s s; killing it", data.pid, STOP_GRACE_S)
                stop_process_trees([data.pid], grace_s=1)
            return super().all_workers_have_stopped()
        return False

    def check_workers(self, respawn: bool = True) -> None:
        """Respawn dead workers, then sweep when the interval has passed."""
        super().check_workers(respawn=respawn)
        if self.status != self.Status.STOPPED:
            default_scorer().ensure_running()  # a sealed scoring server that died is started again
        if self.status != self.Status.STOPPED and time.monotonic() >= self._next_sweep:
            run_sweep()
            self._next_sweep = time.monotonic() + self.sweep_interval_s


def run_sweep() -> None:
    """Run one sweep in its own app context; log, never raise (the pool must keep running)."""
    from ultrathon.platform.extensions import db
    from ultrathon.platform.notifications.announcements import enqueue_due_announcements
    from ultrathon.worker.context import worker_app
    from ultrathon.worker.sweeper import sweep

    app = worker_app()
    with app.app_context():
        try:
            sweep()
            enqueue_due_announcements()  # no scheduler: a phase is announced once a sweep sees it open
        except Exception as exc:  # a database or Redis outage: the next sweep tries again
            log.warning("sweep failed: %s: %s", type(exc).__name__, exc)
            db.session.rollback()
        finally:
            db.session.remove()


def run_worker_pool(settings, processes: int, burst: bool = False) -> None:
    """Run `processes` RQ workers on the scoring queue until stopped; respawn any that die."""
    from ultrathon.worker.jobs import warm_up

    # Until the pool forks its workers a stop simply ends this process; from then until RQ
    # installs the pool's own handlers, it is noted and handed on (see _install_signal_handlers).
    def stop_before_start(_signum, _frame) -> None:
        raise SystemExit(0)

    def note_stop(_signum, _frame) -> None:
        ScoringWorkerPool.stop_pending = True

    signal.signal(signal.SIGTERM, stop_before_start)
    signal.signal(signal.SIGINT, stop_before_start)
    # Built once here, so each forked worker and work horse starts with the app and the
    # scoring library already imported instead of importing them for every job.
    warm_up()
    os.register_at_fork(after_in_child=_forget_inherited_connections)
    connection = get_redis(redis_url(settings))
    pool = ScoringWorkerPool(list(WORKER_QUEUES), connection=connection, num_workers=processes,
                             worker_class=ScoringWorker, sweep_interval_s=settings.sweep_interval_s)
    log.info("starting %d scoring workers on %s; sweeping every %s s", processes, ", ".join(WORKER_QUEUES), settings.sweep_interval_s)
    signal.signal(signal.SIGTERM, note_stop)
    signal.signal(signal.SIGINT, note_stop)
    pool.start(burst=burst, logging_level="INFO")
