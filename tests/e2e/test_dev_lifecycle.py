"""`hot dev` start-up and shutdown: state file, external servers, Ctrl-C, no orphans, gRPC health."""

from __future__ import annotations

import functools
import os
import signal

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.support.platform import DevPlatform
from tests.support.waiting import wait_until


def _gone(pid: int) -> bool:
    return not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie still answers kill(0)
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def _reflected_services(address: str) -> set[str]:
    with grpc.insecure_channel(address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        (reply,) = list(stub.ServerReflectionInfo(iter([request]), timeout=5))
    return {s.name for s in reply.list_services_response.service}


def test_dev_writes_state_serves_health_and_ctrl_c_stops_everything() -> None:
    dev = DevPlatform({}).start()
    try:
        state = dev.state
        assert {"gateway_url", "api_key", "nats_url", "database_url", "pids"} <= state.keys()
        assert state["api_key"].startswith("hot_")
        pids = state["pids"]
        assert {"ingest", "executor", "scheduler", "gateway", "nats", "postgres"} <= pids.keys()
        assert all(_alive(pid) for pid in pids.values())
        expected = {"ingest": "hotplatform.v1.Ingest", "executor": "hotplatform.v1.Executor",
                    "scheduler": "hotplatform.v1.Scheduler"}
        for name, service in expected.items():
            address = state["grpc"][name]
            with grpc.insecure_channel(address) as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service),
                                                                  timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            assert {service, "grpc.health.v1.Health"} <= _reflected_services(address)
        # The executor parses the deployed build before any event asks for it.
        from services.core.pb import hot_executor_pb2 as exec_pb
        from services.core.pb import hot_executor_pb2_grpc as exec_grpc

        def builds_cached() -> int:
            with grpc.insecure_channel(state["grpc"]["executor"]) as channel:
                reply = exec_grpc.ExecutorStub(channel).GetStatus(exec_pb.ExecutorStatusRequest(), timeout=5)
            return int(reply.builds_cached)

        wait_until(lambda: builds_cached() == 1, timeout=15)
        assert dev.proc is not None
        dev.proc.send_signal(signal.SIGINT)
        assert dev.proc.wait(30) == 0
        for pid in pids.values():
            wait_until(functools.partial(_gone, pid), timeout=15, what=f"pid {pid} gone")
    finally:
        dev.stop()


def test_existing_servers_are_used_and_sigkill_leaves_no_orphans(nats_url: str, pg_dsn: str) -> None:
    dev = DevPlatform({}, env={"NATS_URL": nats_url, "DATABASE_URL": pg_dsn}).start()
    try:
        assert dev.state["nats_url"] == nats_url
        assert dev.state["database_url"] == pg_dsn
        pids = dev.state["pids"]
        assert "nats" not in pids and "postgres" not in pids
        with dev.client() as api:
            assert api.post("/v1/events", json={"event_type": "x:y", "event_data": {}}).status_code == 201
        assert dev.proc is not None
        dev.proc.kill()  # SIGKILL: no chance to clean up; pdeathsig must take the children down
        dev.proc.wait(10)
        for pid in pids.values():
            wait_until(functools.partial(_gone, pid), timeout=15, what=f"pid {pid} gone")
    finally:
        dev.stop()
