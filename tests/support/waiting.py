"""Waiting for a condition with a deadline: the one place tests poll.

A test never sleeps to let something happen. It waits for an observable effect (a status,
a row, a message), and this is the only loop that looks again and again: a short
interval, a hard deadline, and a failure that says what was last seen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_INTERVAL_S = 0.05


class _Deadline:
    def __init__(self, timeout: float, interval: float) -> None:
        self.timeout = timeout
        self.interval = interval
        self._end = time.monotonic() + timeout

    def check(self, value: object, what: str) -> None:
        if time.monotonic() > self._end:
            raise AssertionError(f"{what} not met within {self.timeout}s (last value: {value!r})")


def wait_until(predicate: Callable[[], T | None], timeout: float = 10.0, *,
               interval: float = DEFAULT_INTERVAL_S, what: str = "condition") -> T:
    """Call `predicate()` until it returns a truthy value and return that value; fail after `timeout`."""
    deadline = _Deadline(timeout, interval)
    while True:
        value = predicate()
        if value:
            return value
        deadline.check(value, what)
        time.sleep(interval)


async def wait_until_async(predicate: Callable[[], Awaitable[T | None]], timeout: float = 10.0, *,
                           interval: float = DEFAULT_INTERVAL_S, what: str = "condition") -> T:
    """`wait_until` for an async predicate, without blocking the event loop."""
    deadline = _Deadline(timeout, interval)
    while True:
        value = await predicate()
        if value:
            return value
        deadline.check(value, what)
        await asyncio.sleep(interval)
