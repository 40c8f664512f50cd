"""Per-organisation request rate limits for `/v1` (platform-spec §6.1: `rate_limit_exceeded`, 429).

A token bucket per organisation: `HOT_RATE_LIMIT_RPS` requests per second on average, with
bursts up to the same number. 0 (the default, as self-hosted) means unlimited. A refused
request gets the error envelope with `retry_after` (whole seconds) and a `Retry-After`
header, which the official SDK honours by retrying.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware

from services.core.errors import PlatformError
from services.gateway import envelope
from services.gateway.auth import PRINCIPAL


class RateLimited(PlatformError):
    code = "rate_limit_exceeded"
    http_status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Token buckets by key; `take(key)` returns 0 when allowed, else the seconds to wait."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self.rate = rate
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._max_keys = max_keys

    def take(self, key: str) -> float:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._buckets.clear()  # a bounded map: forgetting idle buckets only grants a fresh burst
            bucket = self._buckets[key] = _Bucket(self.rate, now)
        bucket.tokens = min(self.rate, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate


def rate_limit_middleware(buckets: TokenBuckets) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: envelope.Handler) -> web.StreamResponse:
        principal = request.get(PRINCIPAL)
        if principal is not None:
            wait = buckets.take(principal.org_id)
            if wait > 0:
                retry_after = max(1, math.ceil(wait))
                return envelope.error(request, RateLimited(
                    f"Rate limit of {buckets.rate:g} requests per second exceeded; retry after {retry_after} s",
                    retry_after), headers={"Retry-After": str(retry_after)}, extra={"retry_after": retry_after})
        return await handler(request)

    return middleware
