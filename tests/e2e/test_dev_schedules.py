"""The scheduler inside a real `hot dev`: a deployed `meta {schedule}` fires `hot:schedule` events
through ingest (platform-spec §10, 27), seen on the public events API, and the scheduler's gRPC
API lists it as written (28). Runs are the executor's business and are not asserted here."""

from __future__ import annotations

from typing import Any

import grpc

from services.core.pb import hot_scheduler_pb2 as pb
from services.core.pb import hot_scheduler_pb2_grpc as pb_grpc
from tests.support.platform import running
from tests.support.sources import JOBS
from tests.support.waiting import wait_until


def test_hot_dev_fires_static_schedules_through_ingest() -> None:
    with running({"jobs.hot": JOBS}, include_examples=False) as dev:
        with dev.client() as client:
            def two_schedule_events() -> list[dict[str, Any]] | None:
                body = client.get("/v1/events", params={"limit": 100}).json()
                events = [e for e in body.get("data", []) if e["event_type"] == "hot:schedule"]
                return events if len(events) >= 2 else None

            events = wait_until(two_schedule_events, timeout=40, interval=0.5, what="two schedule fires")
        tick = [e for e in events if e["event_data"]["fn"] == "::app::jobs/tick"]
        assert len(tick) >= 2 and len({e["stream_id"] for e in tick}) == len(tick)
        (arg,) = tick[0]["event_data"]["args"]
        assert arg["type"] == "hot:schedule" and arg["scheduled_at"].endswith("Z")
        env_id = tick[0]["env_id"]
        with grpc.insecure_channel(dev.state["grpc"]["scheduler"]) as channel:
            stub = pb_grpc.SchedulerStub(channel)
            status = stub.GetStatus(pb.SchedulerStatusRequest(), timeout=5)
            assert status.leader and status.active_schedules == 2
            listed = stub.ListSchedules(pb.ListSchedulesRequest(env_id=env_id, project=dev.state["project"]),
                                        timeout=5)
        assert sorted(s.cron for s in listed.schedules) == ["*/2 * * * * *", "every day at 9:00 am"]
