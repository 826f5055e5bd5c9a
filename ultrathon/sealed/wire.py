"""Length-prefixed frames over a stream socket: how the worker, the server and a sealed process talk."""

from __future__ import annotations

import json
import socket
import struct

HEADER = struct.Struct(">Q")
MAX_CONTROL_BYTES = 1 << 16  # a control message (limits, a process id, a status) is small


class FrameTooLarge(ValueError):
    """A frame longer than its reader allows."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"a frame of {size:,} bytes is over the limit of {limit:,}")
        self.size, self.limit = size, limit


def send_frame(sock: socket.socket, data: bytes) -> None:
    """Send one frame."""
    sock.sendall(HEADER.pack(len(data)))
    sock.sendall(data)


def send_json(sock: socket.socket, value: object) -> None:
    """Send one JSON frame (no NaN: a receiver in another language could not read it)."""
    send_frame(sock, json.dumps(value, allow_nan=False).encode())


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError(f"the connection closed {size - left:,} bytes into a {size:,}-byte read")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(sock: socket.socket, limit: int) -> bytes:
    """Read one frame of at most `limit` bytes; raise EOFError or FrameTooLarge."""
    (size,) = HEADER.unpack(_read_exactly(sock, HEADER.size))
    if size > limit:
        raise FrameTooLarge(size, limit)
    return _read_exactly(sock, size)


def read_json(sock: socket.socket, limit: int = MAX_CONTROL_BYTES) -> object:
    """Read one JSON frame."""
    return json.loads(read_frame(sock, limit))
