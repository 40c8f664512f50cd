"""Reading ids out of gRPC requests, the same way for every ingest servicer."""

from __future__ import annotations

from typing import Any

from services.core.errors import BadRequest, NotFound
from services.core.ids import parse_uuid


def resource_id(value: str, what: str) -> str:
    """A resource id; one that is not a UUID cannot exist, so it is reported as not found."""
    parsed = parse_uuid(value)
    if parsed is None:
        raise NotFound(f"{what} not found")
    return str(parsed)


def request_env(request: Any) -> str:
    """The request's environment id, which callers must always send as a UUID."""
    parsed = parse_uuid(request.env_id)
    if parsed is None:
        raise BadRequest("env_id must be a UUID")
    return str(parsed)
