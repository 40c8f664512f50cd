"""Typed application state of the gateway (aiohttp `AppKey`s)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from services.core.config import Settings, SseOptions
from services.gateway.fanout import StreamFanout
from services.gateway.ingest_client import IngestClient
from services.gateway.sse import SseRegistry
from services.gateway.sse_limits import SseLimiter
from services.gateway.streams_client import StreamsClient

INGEST = web.AppKey("ingest", IngestClient)
SETTINGS = web.AppKey("settings", Settings)
STARTED_AT = web.AppKey("started_at", datetime)
STREAMS = web.AppKey("streams", StreamsClient)
FANOUT = web.AppKey("fanout", StreamFanout)
SSE_OPTIONS = web.AppKey("sse_options", SseOptions)
SSE_CHANNELS = web.AppKey("sse_channels", SseRegistry)
SSE_LIMITER = web.AppKey("sse_limiter", SseLimiter)
