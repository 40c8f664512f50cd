"""Parsing and validating request input: path ids, pagination, filters, JSON bodies."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from services.core import model
from services.core.errors import BadRequest, NotFound
from services.core.ids import parse_uuid

MAX_BODY_BYTES = 1_048_576
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_MAX_RANGE_S = 10 * 366 * 86400


def path_uuid(request: web.Request, name: str, resource: str) -> str:
    """A UUID path segment; anything else cannot name a resource, so it is a 404."""
    parsed = parse_uuid(request.match_info[name])
    if parsed is None:
        raise NotFound(f"{resource} not found")
    return str(parsed)


def _int_param(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"query parameter '{name}' must be an integer, got {raw!r}") from None


def page(request: web.Request) -> model.Page:
    """`limit` (default 20, clamped to 1..500) and `offset` (default 0)."""
    offset = _int_param(request, "offset")
    if offset is not None and offset < 0:
        raise BadRequest("query parameter 'offset' must not be negative")
    return model.Page.clamp(_int_param(request, "limit"), offset)


def run_status(request: web.Request) -> model.RunStatus | None:
    raw = request.query.get("status")
    if not raw:
        return None
    try:
        return model.RunStatus.from_label(raw)
    except KeyError:
        allowed = ", ".join(s.label for s in model.RunStatus)
        raise BadRequest(f"unknown status {raw!r}; expected one of {allowed}") from None


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
        raise BadRequest(f"unknown run type {raw!r}; expected one of {allowed}")
    return kind


def time_range_seconds(request: web.Request) -> int:
    """`time_range` as an ISO-8601 duration (`P7D`, `PT12H`); `all` or empty means no filter (0)."""
    raw = request.query.get("time_range", "").strip()
    if not raw or raw.lower() == "all":
        return 0
    match = _DURATION.match(raw.upper())
    if not match or raw.upper() in ("P", "PT"):
        raise BadRequest(f"time_range {raw!r} is not an ISO-8601 duration such as P7D or PT12H, or 'all'")
    years, months, weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    total = (((years * 365 + months * 30 + weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds
    if total <= 0 or total > _MAX_RANGE_S:
        raise BadRequest("time_range must be longer than zero and at most 10 years")
    return total


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object; malformed JSON is a 400."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise BadRequest(f"request body is larger than {MAX_BODY_BYTES} bytes")
    raw = await request.read()
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest(f"request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    return body
