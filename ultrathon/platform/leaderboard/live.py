"""Server-sent events: one Redis subscription per web process, fanned out to every open stream."""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from typing import Iterator

from flask import Response
from redis import Redis

from ..extensions import db
from ..queueing import redis_url
from .cache import EVENTS_CHANNEL, near_cache
from .standings import Board, as_board, forget_board

log = logging.getLogger(__name__)

KEEPALIVE_S = 15.0
RETRY_MS = 3000  # how long a browser waits before reconnecting a dropped stream
RECONNECT_S = 1.0


class Broadcaster:
    """Listen to the events channel once per process and hand each event to the streams that want it.

    Under gunicorn's gevent workers the listener thread and every stream are greenlets, so
    hundreds of open streams cost one Redis connection and a queue each.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: dict[int, set[queue.Queue]] = {}
        self._slugs: dict[str, int] = {}
        self._listener: threading.Thread | None = None
        self._url: str | None = None
        self.connected = threading.Event()

    def forget_parent(self) -> None:
        """Start afresh in a forked child: the parent's listener and streams did not come along."""
        self._lock = threading.Lock()
        self._streams, self._slugs, self._listener = {}, {}, None
        self.connected = threading.Event()
        near_cache.listening = False
        near_cache.note_change(None)

    def subscribe(self, board: Board, url: str) -> queue.Queue:
        """Register a stream for a challenge's events; start the listener if this process has none."""
        inbox: queue.Queue = queue.Queue(maxsize=1)
        with self._lock:
            self._streams.setdefault(board.id, set()).add(inbox)
            self._slugs[board.slug] = board.id
            self._start_listener(url)
        return inbox

    def ensure_listening(self) -> None:
        """Start this process's listener if it has none (the near cache relies on it too)."""
        listener = self._listener
        if listener is not None and listener.is_alive():
            return
        url = redis_url()
        with self._lock:
            self._start_listener(url)

    def _start_listener(self, url: str) -> None:
        if self._listener is None or not self._listener.is_alive():
            self._url = url
            self._listener = threading.Thread(target=self._listen, name="leaderboard-events", daemon=True)
            self._listener.start()

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

    def _listen(self) -> None:
        """Receive events for as long as the process lives, reconnecting when Redis goes away."""
        failures = 0
        while True:
            try:
                client = Redis.from_url(self._url, socket_connect_timeout=2, health_check_interval=30,
                                        client_name=f"ultrathon-events-{os.getpid()}")
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(EVENTS_CHANNEL)
                # Changes before this moment went unseen: values kept so far are checked again.
                near_cache.note_change(None)
                forget_board()  # a challenge reloaded meanwhile is read again too
                near_cache.listening = True
                if self.connected.is_set():
                    # Back after a drop: events may have been missed, so every page refreshes.
                    self.deliver({"event": "leaderboard", "reconnected": True})
                self.connected.set()
                failures = 0
                while True:
                    message = pubsub.get_message(timeout=KEEPALIVE_S)
                    if message is None or message.get("type") != "message":
                        continue
                    try:
                        event = json.loads(message["data"])
                    except (TypeError, ValueError):
                        continue
                    if isinstance(event, dict) and event.get("event") == "leaderboard":
                        # First what this process keeps (standings, a reloaded challenge's settings),
                        # then the pages: their refetch must not meet an outdated copy here.
                        near_cache.note_change(event.get("challenge_id"))
                        if event.get("settings_changed"):
                            forget_board(event.get("slug"))
                        self.deliver(event)
            except Exception as exc:
                near_cache.listening = False
                failures += 1
                if failures == 1:
                    log.warning("leaderboard events listener lost Redis (%s); reconnecting", exc)
                time.sleep(min(RECONNECT_S * failures, 10.0))


broadcaster = Broadcaster()
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
