"""Typed application state of the gateway (aiohttp `AppKey`s)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from services.core.clients import IngestClient, SchedulerClient, StreamsClient, TracesClient
from services.core.config import Settings, SseOptions
from services.gateway.fanout import StreamFanout
from services.gateway.sse import SseRegistry
from services.gateway.sse_limits import SseLimiter

INGEST = web.AppKey("ingest", IngestClient)
STREAMS = web.AppKey("streams", StreamsClient)
TRACES = web.AppKey("traces", TracesClient)
SCHEDULER: web.AppKey[SchedulerClient | None] = web.AppKey("scheduler")
"""None when `HOT_SCHEDULER_ADDR` is not set: the schedule routes answer 503."""
SETTINGS = web.AppKey("settings", Settings)
STARTED_AT = web.AppKey("started_at", datetime)
FANOUT = web.AppKey("fanout", StreamFanout)
SSE_OPTIONS = web.AppKey("sse_options", SseOptions)
SSE_CHANNELS = web.AppKey("sse_channels", SseRegistry)
SSE_LIMITER = web.AppKey("sse_limiter", SseLimiter)
