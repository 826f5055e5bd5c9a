"""Stopping process trees: RQ starts each work horse in a session of its own, so signalling a
process group does not reach it; walking the tree does."""

from __future__ import annotations

from typing import Iterable

import psutil


def stop_process_trees(pids: Iterable[int], grace_s: float) -> None:
    """Terminate processes and all their descendants; kill whatever is left after `grace_s`."""
    processes: list[psutil.Process] = []
    for pid in pids:
        try:
            parent = psutil.Process(pid)
            processes += [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            pass
    for process in processes:
        try:
            process.terminate()
        except psutil.NoSuchProcess:
            pass
    _gone, alive = psutil.wait_procs(processes, timeout=grace_s)
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=5)
