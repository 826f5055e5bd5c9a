"""Server-sent events: the events of this process's one listener (cache.py), fanned out to every open stream."""

from __future__ import annotations

import json
import os
import queue
import threading
from typing import Iterator

from flask import Response

from ..extensions import db
from ..queueing import redis_url
from .board import Board, as_board
from .cache import events_listener

KEEPALIVE_S = 15.0
RETRY_MS = 3000  # how long a browser waits before reconnecting a dropped stream


class Broadcaster:
    """Hand each event of this process's one listener (cache.py) to the streams that want it.

    Under gunicorn's gevent workers every stream is a greenlet, so hundreds of open streams
    cost a queue each and share the listener's one Redis connection.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: dict[int, set[queue.Queue]] = {}
        self._slugs: dict[str, int] = {}

    @property
    def connected(self) -> threading.Event:
        """Return the event set once this process's listener has subscribed."""
        return events_listener.connected

    def forget_parent(self) -> None:
        """Start afresh in a forked child: the parent's streams did not come along."""
        self._lock = threading.Lock()
        self._streams, self._slugs = {}, {}

    def subscribe(self, board: Board, url: str) -> queue.Queue:
        """Register a stream for a challenge's events; start the listener if this process has none."""
        inbox: queue.Queue = queue.Queue(maxsize=1)
        with self._lock:
            self._streams.setdefault(board.id, set()).add(inbox)
            self._slugs[board.slug] = board.id
        events_listener.ensure_listening(url)
        return inbox

    def unsubscribe(self, board: Board, inbox: queue.Queue) -> None:
        """Forget a closed stream."""
        with self._lock:
            streams = self._streams.get(board.id)
            if streams is not None:
                streams.discard(inbox)
                if not streams:
                    del self._streams[board.id]

    def stream_count(self) -> int:
        """Return how many streams this process serves."""
        with self._lock:
            return sum(len(s) for s in self._streams.values())

    def deliver(self, event: dict) -> int:
        """Hand an event to the streams of its challenge (all of them when it names none); return how many."""
        with self._lock:
            challenge_id = event.get("challenge_id")
            if challenge_id is None and event.get("slug") is not None:
                challenge_id = self._slugs.get(event["slug"])
            if challenge_id is None and event.get("slug") is None:
                targets = [(cid, s) for cid, streams in self._streams.items() for s in streams]
            else:
                targets = [(challenge_id, s) for s in self._streams.get(challenge_id, ())]
        for _, inbox in targets:
            try:
                inbox.put_nowait(event)
            except queue.Full:
                # A stream that has not sent the last event yet sends this newer one instead.
                try:
                    inbox.get_nowait()
                    inbox.put_nowait(event)
                except (queue.Empty, queue.Full):
                    pass
        return len(targets)


broadcaster = Broadcaster()
events_listener.on_event(broadcaster.deliver)
os.register_at_fork(after_in_child=broadcaster.forget_parent)


def _sse(event: str, data: dict) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def _stream(board: Board, inbox: queue.Queue) -> Iterator[bytes]:
    try:
        # The first bytes flush the headers so the browser knows the stream is open.
        yield f"retry: {RETRY_MS}\n: connected to {board.slug}\n\n".encode()
        while True:
            try:
                event = inbox.get(timeout=KEEPALIVE_S)
            except queue.Empty:
                yield b": keep-alive\n\n"
                continue
            data = {"event": "leaderboard", "slug": board.slug, "challenge": board.slug}
            if event.get("generation"):
                data["generation"] = event["generation"]  # the page asks for at least this state
            yield _sse("leaderboard", data)
    finally:
        broadcaster.unsubscribe(board, inbox)


def event_stream(challenge) -> Response:
    """Return a server-sent events response that says `leaderboard` whenever the standings change."""
    board = as_board(challenge)
    url = redis_url()
    inbox = broadcaster.subscribe(board, url)
    # A stream lasts for minutes or hours: it must not hold a database connection meanwhile.
    db.session.remove()
    response = Response(_stream(board, inbox), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # proxies (nginx) must pass events on at once
    # A client gone before the first byte never starts the generator, so its finally never runs.
    response.call_on_close(lambda: broadcaster.unsubscribe(board, inbox))
    return response
