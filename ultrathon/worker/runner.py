"""Worker processes: a pool of RQ workers (with the scheduler) for one machine."""

from __future__ import annotations

import logging

from rq.worker_pool import WorkerPool

from ultrathon.platform.queueing import QUEUE_NAME, get_redis, redis_url

log = logging.getLogger(__name__)


def run_worker_pool(settings, processes: int, burst: bool = False) -> None:
    """Run `processes` RQ workers on the scoring queue until stopped; respawn any that die."""
    connection = get_redis(redis_url(settings))
    pool = WorkerPool([QUEUE_NAME], connection=connection, num_workers=processes)
    log.info("starting %d scoring workers on %s", processes, QUEUE_NAME)
    pool.start(burst=burst, logging_level="INFO")
