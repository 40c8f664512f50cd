"""The REST client tests use: `httpx.Client` plus the few calls almost every test makes."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.waiting import wait_until


class ApiClient(httpx.Client):
    """An HTTP client for the gateway (base URL and API key set by `DevPlatform.client`)."""

    def publish(self, event_type: str, data: Any, **extra: Any) -> dict[str, Any]:
        """`POST /v1/events`; asserts 201 and returns the stored event (the envelope's `data`)."""
        resp = self.post("/v1/events", json={"event_type": event_type, "event_data": data, **extra})
        assert resp.status_code == 201, resp.text
        event: dict[str, Any] = resp.json()["data"]
        return event

    def runs_of(self, event_id: str) -> list[dict[str, Any]]:
        """The runs an event caused so far (`GET /v1/events/{id}/runs`)."""
        runs: list[dict[str, Any]] = self.get(f"/v1/events/{event_id}/runs").json()["data"]
        return runs

    def run(self, run_id: str) -> dict[str, Any]:
        """One run (`GET /v1/runs/{id}`)."""
        run: dict[str, Any] = self.get(f"/v1/runs/{run_id}").json()["data"]
        return run

    def settled_runs(self, event_id: str, count: int = 1, timeout: float = 15.0) -> list[dict[str, Any]]:
        """The event's runs once `count` of them exist and none is still running."""

        def ready() -> list[dict[str, Any]] | None:
            runs = self.runs_of(event_id)
            return runs if len(runs) >= count and all(r["status"] != "running" for r in runs) else None

        return wait_until(ready, timeout, what=f"{count} settled run(s) of event {event_id}")
