"""Concurrent SSE connection caps (platform-spec §5.7): per credential, per org, and global.

The default mode is "observe": connections are counted (and a cap crossing is logged) but
never refused, as upstream does. With `HOT_SSE_CAP_MODE=enforce` a connection over a cap is
refused before streaming with 429 `rate_limit_exceeded`, `retry_after` and `Retry-After`.
"""

from __future__ import annotations

import json
import logging
from collections import Counter

from aiohttp import web

from services.core import model
from services.core.config import SseCaps
from services.gateway.envelope import request_id

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5


class SseLimiter:
    """Counts open SSE connections of this gateway process."""

    def __init__(self, caps: SseCaps) -> None:
        self.caps = caps
        self.by_credential: Counter[str] = Counter()
        self.by_org: Counter[str] = Counter()
        self.total = 0

    def over(self, principal: model.Principal) -> str | None:
        """Which cap one more connection would cross, if any."""
        if self.by_credential[principal.credential_id] >= self.caps.per_credential:
            return "per-credential"
        if self.by_org[principal.org_id] >= self.caps.per_org:
            return "per-organisation"
        if self.total >= self.caps.total:
            return "global"
        return None

    def acquire(self, principal: model.Principal) -> str | None:
        """Count a connection; returns the crossed cap's name when it must be refused."""
        crossed = self.over(principal)
        if crossed is not None:
            if self.caps.enforce:
                return crossed
            log.info("SSE %s connection cap exceeded (observe mode) by credential %s", crossed,
                     principal.credential_id)
        self.by_credential[principal.credential_id] += 1
        self.by_org[principal.org_id] += 1
        self.total += 1
        return None

    def release(self, principal: model.Principal) -> None:
        self.by_credential[principal.credential_id] -= 1
        if self.by_credential[principal.credential_id] <= 0:
            del self.by_credential[principal.credential_id]
        self.by_org[principal.org_id] -= 1
        if self.by_org[principal.org_id] <= 0:
            del self.by_org[principal.org_id]
        self.total -= 1


def too_many(request: web.Request, crossed: str) -> web.Response:
    """429 with `error.retry_after` and a `Retry-After` header (the SDK reads either)."""
    body = {"error": {"code": "rate_limit_exceeded",
                      "message": f"Too many concurrent streaming connections ({crossed} limit)",
                      "request_id": request_id(request), "retry_after": RETRY_AFTER_S}}
    return web.Response(text=json.dumps(body, separators=(",", ":")), status=429, content_type="application/json",
                        headers={"Retry-After": str(RETRY_AFTER_S)})
