"""Retry policy (platform-spec §3.2–3.3): parsing `retry` meta with its clamps, and the delay formula.

Pure code: no I/O. `RetryPolicy.from_meta(meta)` reads a handler's meta; `delay_ms(k)` is
the wait after the failure of attempt `k` (0 = the original execution).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

MAX_ATTEMPTS = 10
DEFAULT_DELAY_MS = 1000
MIN_DELAY_MS = 100
MAX_DELAY_MS = 3_600_000
DEFAULT_MAX_DELAY_MS = 300_000
BACKOFFS = ("fixed", "exponential", "linear")


def _int_or_none(value: Any) -> int | None:
    # Non-integers (including bools and decimals) are ignored, falling back to defaults.
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 0
    delay_ms: int = DEFAULT_DELAY_MS
    backoff: str = "fixed"
    max_delay_ms: int = DEFAULT_MAX_DELAY_MS
    jitter: bool = False

    @classmethod
    def from_meta(cls, meta: Any) -> RetryPolicy:
        """`retry: N` or `retry: {attempts, delay, backoff, max_delay, jitter}`; anything else: no retries."""
        spec = meta.get("retry") if isinstance(meta, dict) else None
        if spec is None:
            return cls()
        if not isinstance(spec, dict):
            attempts = _int_or_none(spec)
            return cls(attempts=_clamp(attempts, 0, MAX_ATTEMPTS)) if attempts is not None else cls()
        attempts = _int_or_none(spec.get("attempts"))
        delay = _int_or_none(spec.get("delay"))
        max_delay = _int_or_none(spec.get("max_delay"))
        backoff = spec.get("backoff")
        backoff = backoff.lower() if isinstance(backoff, str) else "fixed"
        return cls(
            attempts=_clamp(attempts, 0, MAX_ATTEMPTS) if attempts is not None else 0,
            delay_ms=_clamp(delay, MIN_DELAY_MS, MAX_DELAY_MS) if delay is not None else DEFAULT_DELAY_MS,
            backoff=backoff if backoff in BACKOFFS else "fixed",
            max_delay_ms=(_clamp(max_delay, MIN_DELAY_MS, MAX_DELAY_MS) if max_delay is not None
                          else DEFAULT_MAX_DELAY_MS),
            jitter=spec.get("jitter") is True,
        )

    def should_retry(self, retry_attempt: int) -> bool:
        """Whether the failure of attempt `retry_attempt` schedules another one."""
        return self.attempts > 0 and retry_attempt < self.attempts

    def delay_for(self, retry_attempt: int, rng: random.Random | None = None) -> int:
        """Milliseconds between the failure of attempt `retry_attempt` and the next attempt."""
        base: int
        if self.backoff == "exponential":
            base = self.delay_ms * 2**retry_attempt
        elif self.backoff == "linear":
            base = self.delay_ms * (retry_attempt + 1)
        else:
            base = self.delay_ms
        delay = min(base, self.max_delay_ms)
        if self.jitter and delay > 0:
            spread = delay // 10
            delay += (rng or random).randint(-spread, spread)
        return int(max(delay, MIN_DELAY_MS))


def timeout_seconds(meta: Any, default: float) -> float:
    """A handler's `timeout` meta (seconds, positive number) or the default."""
    value = meta.get("timeout") if isinstance(meta, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return default
    return float(value)
