"""Bearer-token authentication for `/v1`: tokens are verified by ingest and cached briefly."""

from __future__ import annotations

import time
from collections import OrderedDict

import grpc
from aiohttp import web
from aiohttp.typedefs import Middleware

from services.core import model
from services.core.clients import IngestClient
from services.core.errors import Forbidden, Unauthenticated
from services.core.grpcio import error_from_rpc
from services.gateway import envelope

PUBLIC_PATHS = frozenset({"/", "/status"})
PRINCIPAL = web.RequestKey("principal", model.Principal)
"""The authenticated principal of a `/v1` request."""


class TokenCache:
    """Verified tokens for `ttl_s` seconds, at most `size` of them (least recently used leave first)."""

    def __init__(self, ingest: IngestClient, ttl_s: float, size: int = 10_000) -> None:
        self._ingest = ingest
        self._ttl = ttl_s
        self._size = size
        self._entries: OrderedDict[str, tuple[float, model.Principal]] = OrderedDict()

    async def principal(self, token: str) -> model.Principal:
        now = time.monotonic()
        hit = self._entries.get(token)
        if hit is not None and hit[0] > now:
            self._entries.move_to_end(token)
            return hit[1]
        try:
            principal = await self._ingest.authenticate(token)
        except grpc.aio.AioRpcError as exc:
            mapped = error_from_rpc(exc)
            if mapped is None:
                raise
            raise mapped from None
        self._entries[token] = (now + self._ttl, principal)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return principal


def auth_middleware(cache: TokenCache) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: envelope.Handler) -> web.StreamResponse:
        if request.path in PUBLIC_PATHS or not request.path.startswith("/v1"):
            return await handler(request)
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not header[7:].strip():
            return envelope.error(request, Unauthenticated("Missing or malformed Authorization header; "
                                                           "send 'Authorization: Bearer <api key>'"),
                                  headers={"WWW-Authenticate": "Bearer"})
        try:
            principal = await cache.principal(header[7:].strip())
        except Unauthenticated:
            return envelope.error(request, Unauthenticated("Invalid, expired or revoked API key"),
                                  headers={"WWW-Authenticate": "Bearer"})
        request[PRINCIPAL] = principal
        return await handler(request)

    return middleware


def principal_of(request: web.Request) -> model.Principal:
    principal = request.get(PRINCIPAL)
    if not isinstance(principal, model.Principal):
        raise Unauthenticated("not authenticated")
    return principal


def require_api_key(request: web.Request) -> str:
    """The environment of a request made with an API key; 403 for other credentials (sessions)."""
    principal = principal_of(request)
    if principal.kind != "api_key":
        raise Forbidden("This endpoint requires an API key")
    return principal.env_id
