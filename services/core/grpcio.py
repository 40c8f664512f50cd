"""gRPC plumbing shared by every service: server set-up and the error mapping.

Every server registers the standard health service (`grpc.health.v1`) and server
reflection. `PlatformError`s raised by a servicer become a gRPC status whose details
carry a `google.rpc.ErrorInfo` with the error code as `reason`; clients turn such a
status back into the same `PlatformError` with `error_from_rpc`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeAlias, TypeVar

import grpc
import psycopg
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status

from services.core.errors import ERRORS_BY_CODE, BadRequest, NotFound, PlatformError
from services.core.ids import parse_uuid

log = logging.getLogger(__name__)

ERROR_DOMAIN = "hot.dev"

Context: TypeAlias = Any
"""A `grpc.aio.ServicerContext` (grpcio ships no type information)."""

Req = TypeVar("Req")
Resp = TypeVar("Resp")


def platform_status(err: PlatformError) -> grpc.Status:
    """The gRPC status for a platform error, with an ErrorInfo detail naming its code."""
    info = error_details_pb2.ErrorInfo(reason=err.code, domain=ERROR_DOMAIN)
    detail = any_pb2.Any()
    detail.Pack(info)
    return rpc_status.to_status(status_pb2.Status(code=err.grpc_status.value[0], message=err.message,
                                                  details=[detail]))


async def _abort(context: Context, error: Exception, method: str) -> None:
    """End the call with the status for `error`: PlatformError → its status with details; anything else
    → INTERNAL (logged). An AbortError is the call already ending: let it through."""
    if isinstance(error, grpc.aio.AbortError):
        raise error
    if isinstance(error, psycopg.errors.DataError):
        # A backstop: every edge checks its input first, but a value PostgreSQL still refuses
        # (out of range, unstorable text) came from the request, so it is the caller's error, not ours.
        log.warning("%s: the database refused a request's data: %s", method, error)
        error = BadRequest(f"the request holds a value that cannot be stored: {error.diag.message_primary or error}")
    if isinstance(error, PlatformError):
        await context.abort_with_status(platform_status(error))
    log.error("unhandled error in %s", method, exc_info=error)
    await context.abort(grpc.StatusCode.INTERNAL, "internal error")


def rpc_errors(
    method: Callable[[Any, Req, Context], Awaitable[Resp]],
) -> Callable[[Any, Req, Context], Awaitable[Resp]]:
    """Decorate a unary servicer method: PlatformError → status with details; anything else → INTERNAL."""

    @functools.wraps(method)
    async def wrapper(self: Any, request: Req, context: Context) -> Resp:
        try:
            return await method(self, request, context)
        except Exception as error:  # noqa: BLE001 - _abort maps every error to a status
            await _abort(context, error, method.__name__)
        raise AssertionError("unreachable")  # abort always raises

    return wrapper


def stream_rpc_errors(
    method: Callable[[Any, Any, Context], AsyncIterator[Any]],
) -> Callable[[Any, Any, Context], AsyncIterator[Any]]:
    """`rpc_errors` for server-streaming methods."""

    @functools.wraps(method)
    async def wrapper(self: Any, request: Any, context: Context) -> AsyncIterator[Any]:
        try:
            async for item in method(self, request, context):
                yield item
        except Exception as error:  # noqa: BLE001 - _abort maps every error to a status
            await _abort(context, error, method.__name__)

    return wrapper


def error_from_rpc(exc: grpc.aio.AioRpcError) -> PlatformError | None:
    """The PlatformError a server reported, or None for transport-level failures."""
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    if status is None:
        return None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            cls = ERRORS_BY_CODE.get(info.reason)
            if cls is not None:
                return cls(status.message)
    return None


async def start_server(
    listen: str,
    register: Callable[[grpc.aio.Server], None],
    service_names: Iterable[str],
) -> tuple[grpc.aio.Server, int, Any]:
    """Start a grpc.aio server with health and reflection; returns (server, bound port, health)."""
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    register(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME]
    reflection.enable_server_reflection(names, server)
    port = server.add_insecure_port(listen)
    if port == 0:
        raise RuntimeError(f"could not bind gRPC server to {listen}")
    await server.start()
    for name in [*service_names, ""]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return server, port, health_servicer


def resource_id(value: str, what: str) -> str:
    """A resource id from a request; one that is not a UUID cannot exist, so it is reported as not found."""
    parsed = parse_uuid(value)
    if parsed is None:
        raise NotFound(f"{what} not found")
    return str(parsed)


def request_env(request: Any) -> str:
    """The request's environment id, which internal callers must always send as a UUID."""
    parsed = parse_uuid(request.env_id)
    if parsed is None:
        raise BadRequest("env_id must be a UUID")
    return str(parsed)
