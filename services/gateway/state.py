"""Typed application state of the gateway (aiohttp `AppKey`s)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from services.core.config import Settings
from services.gateway.ingest_client import IngestClient

INGEST = web.AppKey("ingest", IngestClient)
SETTINGS = web.AppKey("settings", Settings)
STARTED_AT = web.AppKey("started_at", datetime)
