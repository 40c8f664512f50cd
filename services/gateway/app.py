"""Building the gateway's aiohttp application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

from aiohttp import web

from services.core.clients import IngestClient, SchedulerClient, StreamsClient, TracesClient
from services.core.config import Settings
from services.gateway import envelope
from services.gateway.auth import TokenCache, auth_middleware
from services.gateway.ratelimit import TokenBuckets, rate_limit_middleware
from services.gateway.routes import routes
from services.gateway.routes_context import context_routes
from services.gateway.routes_schedules import schedule_routes
from services.gateway.routes_traces import trace_routes
from services.gateway.state import INGEST, SCHEDULER, SETTINGS, STARTED_AT, STREAMS, TRACES
from services.gateway.streaming import add_streaming
from services.gateway.tracing import trace_middleware


def add_clients(app: web.Application, settings: Settings, ingest: IngestClient) -> None:
    """One typed client per internal API (`ingest` is also the authentication middleware's), closed with the app."""
    app[INGEST] = ingest
    app[STREAMS] = StreamsClient(settings.ingest_addr)
    app[TRACES] = TracesClient(settings.ingest_addr)
    app[SCHEDULER] = SchedulerClient(settings.scheduler_addr) if settings.scheduler_addr else None

    async def close_clients(app: web.Application) -> AsyncIterator[None]:
        yield
        for client in (app[INGEST], app[STREAMS], app[TRACES], app[SCHEDULER]):
            if client is not None:
                await client.close()

    app.cleanup_ctx.append(close_clients)


def create_app(settings: Settings) -> web.Application:
    ingest = IngestClient(settings.ingest_addr)
    cache = TokenCache(ingest, settings.auth_cache_ttl_s)
    middlewares = [trace_middleware, envelope.error_middleware, auth_middleware(cache)]
    if settings.rate_limit_rps > 0:
        middlewares.append(rate_limit_middleware(TokenBuckets(settings.rate_limit_rps)))
    app = web.Application(middlewares=middlewares, client_max_size=2 * 1024 * 1024)
    app[SETTINGS] = settings
    app[STARTED_AT] = datetime.now(UTC)
    add_clients(app, settings, ingest)
    add_streaming(app, settings)  # before `routes`: /v1/runs/stats must win over /v1/runs/{run_id}
    app.add_routes(routes)
    app.add_routes(schedule_routes)
    app.add_routes(trace_routes)
    app.add_routes(context_routes)
    return app
