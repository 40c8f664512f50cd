"""Which handlers an event selects, cached per environment and event type.

Deploys change routing rarely; events ask constantly. Answers are cached and dropped when
ingest announces a deploy (`NOTIFY hot_deploy`, delivered on commit) and, as a safety net for
a missed notification, after `ttl_s` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

import psycopg

from services.core import model
from services.core.db import Pool
from services.executor import store

log = logging.getLogger(__name__)

DEPLOY_CHANNEL = "hot_deploy"


class Routing:
    def __init__(self, pool: Pool, dsn: str, *, ttl_s: float = 5.0,
                 on_deploy: Callable[[str], None] | None = None) -> None:
        self._pool = pool
        self._on_deploy = on_deploy
        self._dsn = dsn
        self._ttl_s = ttl_s
        self._handlers: dict[tuple[str, str], tuple[float, list[model.Handler]]] = {}
        self._builds: dict[str, tuple[float, list[tuple[str, str]]]] = {}

    def invalidate(self) -> None:
        self._handlers.clear()
        self._builds.clear()

    async def handlers_for(self, env_id: str, event_type: str) -> list[model.Handler]:
        key = (env_id, event_type)
        hit = self._handlers.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        handlers = await store.handlers_for(self._pool, env_id, event_type)
        self._handlers[key] = (time.monotonic() + self._ttl_s, handlers)
        return handlers

    async def deployed_builds(self, env_id: str) -> list[tuple[str, str]]:
        hit = self._builds.get(env_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        builds = await store.deployed_build_ids(self._pool, env_id)
        self._builds[env_id] = (time.monotonic() + self._ttl_s, builds)
        return builds

    async def listen(self, stop: asyncio.Event) -> None:
        """Drop cached answers on every deploy until `stop`; reconnects after a lost connection."""
        while not stop.is_set():
            try:
                async with await psycopg.AsyncConnection.connect(self._dsn, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {DEPLOY_CHANNEL}")
                    self.invalidate()  # anything cached before LISTEN may have missed a deploy
                    async for notice in conn.notifies():
                        self.invalidate()
                        if self._on_deploy is not None and notice.payload:
                            self._on_deploy(notice.payload)
                        if stop.is_set():
                            return
            except Exception as exc:  # noqa: BLE001 - keep listening across database restarts
                log.warning("deploy notifications interrupted (%s); reconnecting", exc)
                self.invalidate()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
