"""The WSGI entry point gunicorn loads."""

import gc

from .app import create_app

app = create_app()
# What start-up made lives as long as the process: leave it out of the collector's full passes,
# which otherwise held every request of a busy web process for about 0.15 s (its garbage first).
gc.collect()
gc.freeze()
