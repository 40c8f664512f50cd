"""Parsing and validating request input: path ids, pagination, filters, JSON bodies, strings.

Nothing a caller sends reaches a backing service unchecked: numbers are range-checked before
they meet an int32 protobuf field or a SQL parameter, strings are length-capped and free of
what PostgreSQL cannot store, and bodies are size-capped, depth-capped and checked by
`services.core.jsonsafe`. Every refusal is a `PlatformError`, so it leaves as the error envelope.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from services.core import jsonsafe, model
from services.core.config import InputLimits
from services.core.errors import BadRequest, NotFound, PayloadTooLarge, Unprocessable
from services.core.ids import parse_uuid
from services.gateway.state import SETTINGS

INT32_MAX = 2**31 - 1
"""Pagination travels as protobuf int32: larger values are refused here, not overflowed there."""
_MAX_INT_CHARS = 12
_MAX_RANGE_TEXT = 64
_DURATION = re.compile(r"^P(?:(\d{1,9})Y)?(?:(\d{1,9})M)?(?:(\d{1,9})W)?(?:(\d{1,9})D)?"
                       r"(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,9})S)?)?$")
_MAX_RANGE_S = 10 * 366 * 86400
_DEFAULT_LIMITS = InputLimits()


def limits(request: web.Request) -> InputLimits:
    """The gateway's input limits (`Settings.limits`; the defaults in an app built without settings)."""
    settings = request.app.get(SETTINGS)
    return settings.limits if settings is not None else _DEFAULT_LIMITS


def shown(raw: str, width: int = 40) -> str:
    """`raw` quoted for an error message, cut short so an error never echoes a huge input."""
    return repr(raw if len(raw) <= width else raw[:width] + "…")


def path_name(request: web.Request, name: str, what: str) -> str:
    """A name segment of the path (a project by id or name), length-capped and storable."""
    return jsonsafe.checked_text(request.match_info[name], what, limits(request).max_name_length)


def query_name(request: web.Request, name: str) -> str | None:
    """An optional short string query parameter (e.g. `project`), length-capped and storable."""
    raw = request.query.get(name)
    if not raw:
        return None
    return jsonsafe.checked_text(raw, f"query parameter '{name}'", limits(request).max_name_length)


def path_uuid(request: web.Request, name: str, resource: str) -> str:
    """A UUID path segment; anything else cannot name a resource, so it is a 404."""
    parsed = parse_uuid(request.match_info[name])
    if parsed is None:
        raise NotFound(f"{resource} not found")
    return str(parsed)


def _int_param(request: web.Request, name: str, maximum: int = INT32_MAX) -> int | None:
    """An optional integer query parameter in `0..maximum`."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    bounds = f"an integer from 0 to {maximum}"
    if len(raw) > _MAX_INT_CHARS:
        raise BadRequest(f"query parameter '{name}' must be {bounds}, got {shown(raw)}")
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"query parameter '{name}' must be {bounds}, got {shown(raw)}") from None
    if value < 0 or value > maximum:
        raise BadRequest(f"query parameter '{name}' must be {bounds}, got {value}")
    return value


def page(request: web.Request) -> model.Page:
    """`limit` (default 20, clamped to 1..500) and `offset` (default 0), each within 0..2^31-1."""
    return model.Page.clamp(_int_param(request, "limit"), _int_param(request, "offset"))


def run_status(request: web.Request) -> model.RunStatus | None:
    raw = request.query.get("status")
    if not raw:
        return None
    try:
        return model.RunStatus.from_label(raw)
    except KeyError:
        allowed = ", ".join(s.label for s in model.RunStatus)
        raise BadRequest(f"unknown status {shown(raw)}; expected one of {allowed}") from None


def run_type(request: web.Request) -> model.RunType | None:
    raw = request.query.get("type")
    if not raw:
        return None
    try:
        kind = model.RunType.from_label(raw)
    except KeyError:
        kind = None
    if kind is None or kind is model.RunType.TASK:
        allowed = ", ".join(t.label for t in model.RunType if t is not model.RunType.TASK)
        raise BadRequest(f"unknown run type {shown(raw)}; expected one of {allowed}")
    return kind


def time_range_seconds(request: web.Request) -> int:
    """`time_range` as an ISO-8601 duration (`P7D`, `PT12H`); `all` or empty means no filter (0)."""
    raw = request.query.get("time_range", "").strip()
    if not raw or raw.lower() == "all":
        return 0
    match = _DURATION.match(raw.upper()) if len(raw) <= _MAX_RANGE_TEXT else None
    if not match or raw.upper() in ("P", "PT"):
        raise BadRequest(f"time_range {shown(raw)} is not an ISO-8601 duration such as P7D or PT12H, or 'all'")
    years, months, weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    total = (((years * 365 + months * 30 + weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds
    if total <= 0 or total > _MAX_RANGE_S:
        raise BadRequest("time_range must be longer than zero and at most 10 years")
    return total


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object that can be stored as it is.

    Over `HOT_MAX_EVENT_BYTES` → 413; not UTF-8 JSON, or nested deeper than `HOT_MAX_JSON_DEPTH`
    → 400; NUL characters, lone surrogates, NaN or Infinity anywhere → 422 naming the path."""
    cap = limits(request)
    too_large = PayloadTooLarge(f"request body is larger than {cap.max_event_bytes} bytes (HOT_MAX_EVENT_BYTES)")
    if request.content_length is not None and request.content_length > cap.max_event_bytes:
        raise too_large
    raw = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):  # never buffer more than the cap
        raw.extend(chunk)
        if len(raw) > cap.max_event_bytes:
            raise too_large
    try:
        body = jsonsafe.loads(bytes(raw), root="", max_depth=cap.max_json_depth)
    except jsonsafe.MalformedJson as exc:
        raise BadRequest(f"request body: {exc.message}") from None
    except jsonsafe.UnstorableJson as exc:
        raise Unprocessable(exc.message) from None
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    return body


def body_text(body: dict[str, Any], name: str, max_length: int, *, required: bool = True) -> str | None:
    """A string field of a checked body: present (when `required`), non-blank, at most `max_length`."""
    if name not in body or body[name] is None:
        if required:
            raise Unprocessable(f"missing field '{name}'")
        return None
    value = body[name]
    if not isinstance(value, str) or (required and not value.strip()):
        raise Unprocessable(f"field '{name}' must be a non-empty string" if required
                            else f"field '{name}' must be a string")
    if len(value) > max_length:
        raise Unprocessable(f"field '{name}' is longer than {max_length} characters")
    return value


def body_uuid(body: dict[str, Any], name: str) -> str | None:
    """An optional UUID field of a body, normalised; anything else is a 422."""
    raw = body.get(name)
    if raw is None:
        return None
    parsed = parse_uuid(raw) if isinstance(raw, str) else None
    if parsed is None:
        raise Unprocessable(f"field '{name}' must be a UUID")
    return str(parsed)
