"""The worker's end of its pipes: frames out under a lock, requests that wait for their reply.

The worker's main thread reads every frame from the parent (`worker.py`) and settles the
request a reply answers; the job thread (and `parallel` branches) post frames and make
requests through a `Channel`.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any, BinaryIO

from hotlang import HotRuntimeError
from services.sandbox.frames import encode_frame

REQUEST_TIMEOUT_S = 30.0


class _Pending:
    __slots__ = ("done", "reply")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.reply: dict[str, Any] = {}


class Channel:
    """Frames to the parent, and requests (`send`, `need_build`) that block until answered."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self.stop = threading.Event()
        """Set when the parent asks the current job to stop."""

    def post(self, message: dict[str, Any]) -> None:
        frame = encode_frame(message)
        with self._lock:
            self._out.write(frame)
            self._out.flush()

    def request(self, message: dict[str, Any], timeout_s: float = REQUEST_TIMEOUT_S) -> dict[str, Any]:
        """Post `message` with a fresh `rid` and wait for the parent's `reply` to it."""
        rid = next(self._ids)
        pending = _Pending()
        self._pending[rid] = pending
        try:
            self.post({**message, "rid": rid})
            if not pending.done.wait(timeout_s):
                raise HotRuntimeError(f"{message.get('op')} got no answer within {timeout_s:g} seconds")
        finally:
            self._pending.pop(rid, None)
        return pending.reply

    def settle(self, reply: dict[str, Any]) -> None:
        """A `reply` frame from the parent: wake the request it answers (unknown ids are late: dropped)."""
        rid = reply.get("rid")
        pending = self._pending.get(rid) if isinstance(rid, int) else None
        if pending is not None:
            pending.reply = reply
            pending.done.set()
