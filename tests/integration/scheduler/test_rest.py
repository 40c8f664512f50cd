"""The schedule REST routes of the gateway over a real Scheduler gRPC server (platform-spec §10, 28)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from services.core.clients import IngestClient
from services.core.config import Settings
from services.gateway import envelope
from services.gateway.app import add_clients
from services.gateway.auth import TokenCache, auth_middleware
from services.gateway.routes_schedules import schedule_routes
from tests.support.sources import JOBS, MATH
from tests.support.stack import Stack


@asynccontextmanager
async def gateway(stack: Stack, scheduler_addr: str) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    ingest = IngestClient(stack.ingest_addr)
    app = web.Application(middlewares=[envelope.error_middleware, auth_middleware(TokenCache(ingest, 10))])
    add_clients(app, Settings(ingest_addr=stack.ingest_addr, scheduler_addr=scheduler_addr), ingest)
    app.add_routes(schedule_routes)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()  # the app's cleanup closes its clients


async def test_schedule_routes(stack: Stack) -> None:
    build_id = await stack.deploy({"jobs.hot": JOBS, "math.hot": MATH})
    auth = {"Authorization": f"Bearer {stack.token}"}
    async with stack.scheduler_server() as server, gateway(stack, server.address) as client:
        resp = await client.get("/v1/projects/app/schedules", headers=auth)
        assert resp.status == 200
        body = await resp.json()
        assert [(s["cron"], s["ns"], s["var"], s["build_id"]) for s in body["data"]] == [
            ("*/2 * * * * *", "::app::jobs", "tick", build_id),
            ("every day at 9:00 am", "::app::jobs", "morning", build_id)]
        assert body["pagination"] == {"total": 2, "limit": 20, "offset": 0, "has_more": False}

        resp = await client.post("/v1/schedules", headers=auth, json={
            "project": "app", "fn": "::app::math/add", "args": [1, 2], "schedule": "in 10 minutes"})
        assert resp.status == 201
        created = (await resp.json())["data"]
        assert created["kind"] == "once" and created["args"] == [1, 2] and created["build_id"] == build_id

        resp = await client.post("/v1/schedules", headers=auth, json={
            "project": "app", "fn": "::app::math/add", "schedule": "every 500 milliseconds"})
        assert resp.status == 422
        error = (await resp.json())["error"]
        assert error["code"] == "unprocessable_entity" and "Invalid schedule expression" in error["message"]

        resp = await client.post("/v1/schedules", headers=auth, json={"project": "app", "fn": "::app::math/add"})
        assert resp.status == 422
        resp = await client.post("/v1/schedules", headers=auth, json={
            "project": "nope", "fn": "::app::math/add", "schedule": "@daily"})
        assert resp.status == 404

        resp = await client.delete(f"/v1/schedules/{created['schedule_id']}", headers=auth)
        assert resp.status == 200 and (await resp.json())["data"]["cancelled"] is True
        resp = await client.delete(f"/v1/schedules/{created['schedule_id']}", headers=auth)
        assert (await resp.json())["data"]["cancelled"] is False
        resp = await client.get(f"/v1/schedules/{created['schedule_id']}", headers=auth)
        assert (await resp.json())["data"]["active"] is False
        resp = await client.delete("/v1/schedules/0190a000-0000-7000-8000-000000000000", headers=auth)
        assert resp.status == 404
        resp = await client.delete("/v1/schedules/not-a-uuid", headers=auth)
        assert resp.status == 404
        resp = await client.get("/v1/projects/app/schedules")
        assert resp.status == 401


async def test_unconfigured_scheduler_is_503(stack: Stack) -> None:
    async with gateway(stack, "") as client:
        resp = await client.get("/v1/projects/app/schedules", headers={"Authorization": f"Bearer {stack.token}"})
        assert resp.status == 503
