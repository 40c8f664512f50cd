"""How every internal client connects: one place for channel options (and, later, credentials)."""

from __future__ import annotations

from typing import Self

import grpc

CALL_TIMEOUT_S = 10.0
"""Deadline of a unary internal call unless the caller passes another."""


def open_channel(address: str, *, many_streams: bool = False) -> grpc.aio.Channel:
    """An asyncio channel to `host:port`. `many_streams`: the caller multiplexes many long server
    streams over it (no client-side cap on concurrent HTTP/2 streams)."""
    options = [("grpc.max_concurrent_streams", 0)] if many_streams else []
    return grpc.aio.insecure_channel(address, options=options)


class Client:
    """Owns a channel; `close` it when done (or use `async with`)."""

    def __init__(self, address: str, *, many_streams: bool = False, timeout_s: float = CALL_TIMEOUT_S) -> None:
        self.address = address
        self._channel = open_channel(address, many_streams=many_streams)
        self.timeout_s = timeout_s

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
