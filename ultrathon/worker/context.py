"""The Flask app a worker process runs its jobs in."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from flask import Flask, current_app, has_app_context

_app: Flask | None = None


def worker_app() -> Flask:
    """Return the app for jobs: the active one (tests), else one built once per process."""
    global _app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _app is None:
        from ultrathon.platform.app import create_app

        _app = create_app()
    return _app


@contextmanager
def job_context() -> Iterator[Flask]:
    """Run a job body inside an app context and leave the session clean afterwards."""
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    app = worker_app()
    with app.app_context():
        yield app
