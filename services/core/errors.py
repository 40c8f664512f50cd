"""The platform's error tree, mapped once to gRPC status codes and once to HTTP."""

from __future__ import annotations

import grpc


class PlatformError(Exception):
    """Base of every error a service reports to its caller on purpose."""

    code = "internal_server_error"
    grpc_status = grpc.StatusCode.INTERNAL
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(PlatformError):
    code = "bad_request"
    grpc_status = grpc.StatusCode.INVALID_ARGUMENT
    http_status = 400


class Unprocessable(PlatformError):
    """A well-formed request whose content is missing or invalid (HTTP 422)."""

    code = "unprocessable_entity"
    grpc_status = grpc.StatusCode.INVALID_ARGUMENT
    http_status = 422


class PayloadTooLarge(PlatformError):
    """A request body or payload over its configured size limit (HTTP 413)."""

    code = "payload_too_large"
    grpc_status = grpc.StatusCode.INVALID_ARGUMENT
    http_status = 413


class Unauthenticated(PlatformError):
    code = "unauthorized"
    grpc_status = grpc.StatusCode.UNAUTHENTICATED
    http_status = 401


class Forbidden(PlatformError):
    code = "forbidden"
    grpc_status = grpc.StatusCode.PERMISSION_DENIED
    http_status = 403


class NotFound(PlatformError):
    code = "not_found"
    grpc_status = grpc.StatusCode.NOT_FOUND
    http_status = 404


class Conflict(PlatformError):
    """The resource is in a state that does not allow the request (e.g. cancelling a finished run)."""

    code = "conflict"
    grpc_status = grpc.StatusCode.FAILED_PRECONDITION
    http_status = 409


class Unavailable(PlatformError):
    code = "service_unavailable"
    grpc_status = grpc.StatusCode.UNAVAILABLE
    http_status = 503


ERRORS_BY_CODE: dict[str, type[PlatformError]] = {
    cls.code: cls for cls in (BadRequest, Unprocessable, PayloadTooLarge, Unauthenticated, Forbidden, NotFound,
                              Conflict, Unavailable)
}
