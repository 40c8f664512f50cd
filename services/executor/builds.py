"""A per-process cache of loaded builds: each build's sources are parsed and loaded once."""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from hotlang import Program, load_program
from services.core.db import Pool
from services.executor import store

log = logging.getLogger(__name__)


class BuildCache:
    """Loaded `Program`s by build id. Builds are immutable, so entries never go stale.

    `traced` loads programs with span hooks (`hotlang.runtime.tracing`), for interpreter spans.
    """

    def __init__(self, pool: Pool, max_builds: int = 64, *, traced: bool = False) -> None:
        self._pool = pool
        self._traced = traced
        self._programs: dict[str, Program] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._max = max_builds
        self._warming: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._programs)

    async def get(self, build_id: str) -> Program:
        program = self._programs.get(build_id)
        if program is not None:
            return program
        lock = self._locks.setdefault(build_id, asyncio.Lock())
        async with lock:
            program = self._programs.get(build_id)
            if program is None:
                files = await store.build_files(self._pool, build_id)
                program = await asyncio.to_thread(partial(load_program, files, traced=self._traced))
                if len(self._programs) >= self._max:
                    self._programs.pop(next(iter(self._programs)))
                self._programs[build_id] = program
        self._locks.pop(build_id, None)
        return program

    def preload(self, build_id: str) -> None:
        """Start loading a build in the background (at start-up and on each deploy), so its first
        event does not wait for parsing; the cache keeps the task alive until it is done."""
        task = asyncio.create_task(self.warm([build_id]))
        self._warming.add(task)
        task.add_done_callback(self._warming.discard)

    async def warm(self, build_ids: list[str]) -> None:
        """Load builds ahead of their first event, so that event does not wait for parsing."""
        for build_id in build_ids:
            try:
                await self.get(build_id)
            except Exception as exc:  # noqa: BLE001 - a broken build fails its events later, visibly
                log.warning("could not preload build %s: %s", build_id, exc)
