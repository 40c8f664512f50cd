"""Response envelopes of the public API (platform-spec §6.1) and the error middleware."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import grpc
from aiohttp import web

from services.core.errors import PlatformError, Unavailable
from services.core.grpcio import error_from_rpc
from services.core.model import PageOf
from services.core.wire import rfc3339

log = logging.getLogger(__name__)


REQUEST_ID = web.RequestKey("request_id", str)
"""The request's id, created on first use and echoed in every envelope."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def request_id(request: web.Request) -> str:
    rid = request.get(REQUEST_ID)
    if rid is None:
        rid = str(uuid.uuid4())
        request[REQUEST_ID] = rid
    return rid


def _meta(request: web.Request) -> dict[str, str]:
    return {"request_id": request_id(request), "timestamp": rfc3339(datetime.now(UTC))}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(text=json.dumps(body, separators=(",", ":"), ensure_ascii=False), status=status,
                        content_type="application/json", headers=headers)


def single(request: web.Request, data: Any, status: int = 200) -> web.Response:
    """`{"data": …, "meta": {request_id, timestamp}}`"""
    return _json({"data": data, "meta": _meta(request)}, status)


def listing(request: web.Request, items: list[Any], total: int, limit: int, offset: int) -> web.Response:
    """`{"data": [...], "pagination": {total, limit, offset, has_more}, "meta": {...}}`"""
    return _json({"data": items,
                  "pagination": {"total": total, "limit": limit, "offset": offset,
                                 "has_more": offset + limit < total},
                  "meta": _meta(request)})


def page_listing(request: web.Request, items: list[Any], page: PageOf[Any]) -> web.Response:
    return listing(request, items, page.total, page.page.limit, page.page.offset)


def error(request: web.Request, err: PlatformError, headers: dict[str, str] | None = None,
          extra: dict[str, Any] | None = None) -> web.Response:
    """`{"error": {code, message, request_id, …extra}}` with the error's HTTP status."""
    body = {"code": err.code, "message": err.message, "request_id": request_id(request), **(extra or {})}
    return _json({"error": body}, err.http_status, headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure becomes an error envelope; nothing leaks a traceback."""
    try:
        return await handler(request)
    except PlatformError as err:
        return error(request, err)
    except grpc.aio.AioRpcError as exc:
        mapped = error_from_rpc(exc)
        if mapped is not None:
            return error(request, mapped)
        log.warning("ingest call failed: %s %s", exc.code(), exc.details())
        return error(request, Unavailable("A backing service is unavailable, try again shortly"))
    except web.HTTPException as exc:
        if exc.status >= 400:
            code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(exc.status,
                                                                                            "bad_request")
            return _json({"error": {"code": code, "message": exc.reason, "request_id": request_id(request)}},
                         exc.status)
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _json({"error": {"code": "internal_server_error", "message": "An internal server error occurred",
                                "request_id": request_id(request)}}, 500)
