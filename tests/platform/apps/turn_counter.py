"""A WSGI app that numbers the requests its process answers, spending about 2 ms on each."""

import itertools
import time

_answered = itertools.count(1)


def app(environ, start_response):
    """Busy-wait (without yielding, as real request work does), then return this request's number."""
    if environ["PATH_INFO"] == "/healthz":
        body = b"ok"
    else:
        until = time.perf_counter() + 0.002
        while time.perf_counter() < until:
            pass
        body = str(next(_answered)).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
