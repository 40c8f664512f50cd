"""UUIDv7 identifiers (time-ordered), used for events, runs, streams and builds."""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> uuid.UUID:
    """Return a new UUIDv7 (RFC 9562): 48-bit unix milliseconds, then random bits.

    Within one millisecond a 12-bit counter in `rand_a` keeps ids from this process
    strictly increasing, so ordering by id matches creation order.
    """
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            _counter += 1
            if _counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                _last_ms += 1
                _counter = 0
            ms = _last_ms
        else:
            _last_ms = ms
            _counter = int.from_bytes(os.urandom(2), "big") & 0x3FF  # leave headroom
        counter = _counter
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= rand_b
    return uuid.UUID(int=value)


def new_id() -> str:
    """A new UUIDv7 in canonical lowercase hyphenated form."""
    return str(uuid7())


def parse_uuid(text: str) -> uuid.UUID | None:
    """Parse a canonical or compact UUID string; None when it is not a UUID."""
    try:
        return uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        return None
