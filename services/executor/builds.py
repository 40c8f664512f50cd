"""The functions of deployed builds, as a sandbox worker loaded them (the executor never loads code).

A build's top-level code runs only in a worker (`services.sandbox`): `BuildCache.get` asks one to
load the build ("inspect") and keeps the `FunctionInfo`s it reports, which is all the executor
needs to route `hot:call` and read handler meta. The worker keeps the loaded program for the runs
that follow; other workers load it on their first run of it (their caches are LRU).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from hotlang import FunctionInfo
from services.core.db import Pool
from services.executor import store
from services.sandbox.pool import LoadFailed, WorkerPool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedBuild:
    """A build that loaded in a worker: its id and its named functions."""

    build_id: str
    function_infos: tuple[FunctionInfo, ...]

    def functions(self) -> list[FunctionInfo]:
        return list(self.function_infos)


class BuildCache:
    """Loaded builds by id. Builds are immutable, so entries never go stale.

    `traced` loads programs with span hooks (`hotlang.runtime.tracing`), for interpreter spans.
    """

    def __init__(self, pool: Pool, sandbox: WorkerPool, max_builds: int = 1024, *, traced: bool = False) -> None:
        self._pool = pool
        self._sandbox = sandbox
        self._traced = traced
        self._builds: dict[str, LoadedBuild] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._max = max_builds
        self._warming: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._builds)

    async def files(self, build_id: str) -> dict[str, str]:
        """A build's sources (what a worker asks for when it has not loaded the build yet)."""
        return await store.build_files(self._pool, build_id)

    async def get(self, build_id: str) -> LoadedBuild:
        """The build's functions; raises LoadFailed (with the load error) when it does not load."""
        build = self._builds.get(build_id)
        if build is not None:
            return build
        lock = self._locks.setdefault(build_id, asyncio.Lock())
        async with lock:
            build = self._builds.get(build_id)
            if build is None:
                files = await store.build_files(self._pool, build_id)
                functions = await self._sandbox.inspect(build_id, files, traced=self._traced)
                build = LoadedBuild(build_id, tuple(functions))
                if len(self._builds) >= self._max:
                    self._builds.pop(next(iter(self._builds)))
                self._builds[build_id] = build
        self._locks.pop(build_id, None)
        return build

    def preload(self, build_id: str) -> None:
        """Start loading a build in the background (at start-up and on each deploy), so its first
        event does not wait for loading; the cache keeps the task alive until it is done."""
        task = asyncio.create_task(self.warm([build_id]))
        self._warming.add(task)
        task.add_done_callback(self._warming.discard)

    async def warm(self, build_ids: list[str]) -> None:
        """Load builds ahead of their first event, so that event does not wait for loading."""
        for build_id in build_ids:
            try:
                await self.get(build_id)
            except (LoadFailed, LookupError, Exception) as exc:  # noqa: BLE001 - a broken build fails its events later
                log.warning("could not preload build %s: %s", build_id, exc)
