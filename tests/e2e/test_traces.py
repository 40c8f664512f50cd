"""Traces end to end, through real processes: stored span trees read back through the API,
and one distributed trace (gateway → ingest → executor → send → next run) seen by an
in-process OTLP receiver built from the OpenTelemetry protocol definitions."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from tests.support.api import ApiClient
from tests.support.platform import DevPlatform, running
from tests.support.waiting import wait_until

TRACED = """
::tests::traced ns

fact fn (n) {
  cond {
    lt(n, 2) => base { 1 }
    => step { mul(n, fact(sub(n, 1))) }
  }
}

double fn (x) { mul(x, 2) }

inner fn (x) { fail("inner broke", {x: x}) }

nested
meta {on-event: "trace:nested"}
fn (event) {
  total add(double(event.data.n), 1)
  total
}

recursive
meta {on-event: "trace:fact"}
fn (event) { fact(event.data.n) }

both
meta {on-event: "trace:parallel"}
fn (event) {
  parallel {
    a double(1)
    b double(2)
  }
}

pick
meta {on-event: "trace:cond"}
fn (event) {
  cond {
    gt(event.data.n, 10) => big { "big" }
    => small { "small" }
  }
}

broken
meta {on-event: "trace:fail"}
fn (event) { inner(event.data.n) }

relay
meta {on-event: "trace:relay"}
fn (event) {
  ::hot::stream/data("note", {step: 1})
  send("trace:nested", {n: 1})
}
"""


class Receiver(trace_service_pb2_grpc.TraceServiceServicer):  # type: ignore[misc]
    """OTLP/gRPC `TraceService.Export`: keeps every span with its service name."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def Export(self, request: Any, context: Any) -> Any:
        with self.lock:
            for resource_spans in request.resource_spans:
                service = next((a.value.string_value for a in resource_spans.resource.attributes
                                if a.key == "service.name"), "")
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        attributes = {a.key: a.value.string_value or a.value.int_value for a in span.attributes}
                        self.spans.append({"service": service, "name": span.name, "trace_id": span.trace_id.hex(),
                                           "span_id": span.span_id.hex(), "parent": span.parent_span_id.hex(),
                                           "attributes": attributes})
        return trace_service_pb2.ExportTraceServiceResponse()


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, int]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    servicer = Receiver()
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield servicer, port
    finally:
        server.stop(0)


@pytest.fixture(scope="module")
def platform(receiver: tuple[Receiver, int]) -> Iterator[DevPlatform]:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver[1]}", "OTEL_EXPORTER_OTLP_INSECURE": "true",
           "OTEL_BSP_SCHEDULE_DELAY": "100"}
    with running({"traced.hot": TRACED}, include_examples=False, env=env) as dev:
        yield dev


def run_of(api: ApiClient, event_type: str, data: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    resp = api.post("/v1/events", json={"event_type": event_type, "event_data": data}, headers=headers or {})
    assert resp.status_code == 201, resp.text
    (run,) = api.settled_runs(resp.json()["data"]["event_id"], 1, timeout=20)
    return run


def trace_of(api: ApiClient, run_id: str) -> dict[str, Any]:
    """The run's root span, once the span store has written it."""

    def stored() -> list[dict[str, Any]] | None:
        resp = api.get(f"/v1/runs/{run_id}/trace")
        assert resp.status_code == 200, resp.text
        roots: list[dict[str, Any]] = resp.json()["data"]
        return roots if any(root["name"] == "hot.run" for root in roots) else None

    roots = wait_until(stored, 10)
    assert len(roots) == 1
    root: dict[str, Any] = roots[0]
    return root


def shape(span: dict[str, Any]) -> tuple[Any, ...]:
    label = span["name"]
    if "hot.flow.branch" in span["attributes"]:
        label += f"[{span['attributes']['hot.flow.branch']}]"
    children = [shape(child) for child in span["children"] if child["kind"] == "internal"]
    return (label, children) if children else (label,)


def test_nested_calls(api: ApiClient) -> None:
    run = run_of(api, "trace:nested", {"n": 4})
    assert run["status"] == "succeeded"
    root = trace_of(api, run["run_id"])
    assert shape(root) == ("hot.run", [("::tests::traced/nested", [("::tests::traced/double",)])])
    attributes = root["attributes"]
    assert attributes["hot.run_id"] == run["run_id"]
    assert attributes["hot.stream_id"] == run["stream_id"]
    assert attributes["hot.event_id"] == run["event_id"]
    assert attributes["hot.run_type"] == "event"
    assert attributes["hot.retry_attempt"] == 0
    assert root["status"] == "ok"
    handler = root["children"][0]
    assert handler["attributes"]["hot.args"].startswith('[{"type": "trace:nested"')
    assert handler["attributes"]["hot.return_value"] == "9"
    assert handler["attributes"]["code.filepath"] == "traced.hot"
    assert handler["attributes"]["hot.call_depth"] == 1
    assert handler["children"][0]["attributes"]["hot.call_depth"] == 2
    assert [(e["name"], e["attributes"]) for e in handler["events"]] == [
        ("hot.bind", {"hot.name": "total", "hot.value": "9"})]
    assert handler["duration_us"] >= handler["children"][0]["duration_us"]


def test_recursion_and_cond(api: ApiClient) -> None:
    run = run_of(api, "trace:fact", {"n": 3})
    assert run["result"] == 6
    fact = "::tests::traced/fact"
    assert shape(trace_of(api, run["run_id"])) == (
        "hot.run", [("::tests::traced/recursive", [
            (fact, [("<cond>[step]", [(fact, [("<cond>[step]", [(fact, [("<cond>[base]",)])])])])])])])


def test_cond_branch_taken(api: ApiClient) -> None:
    run = run_of(api, "trace:cond", {"n": 50})
    assert run["result"] == "big"
    assert shape(trace_of(api, run["run_id"])) == ("hot.run", [("::tests::traced/pick", [("<cond>[big]",)])])


def test_parallel(api: ApiClient) -> None:
    run = run_of(api, "trace:parallel", {})
    assert run["result"] == {"a": 2, "b": 4}
    root_name, [(fn_name, [(flow_name, branches)])] = shape(trace_of(api, run["run_id"]))
    assert (root_name, fn_name, flow_name) == ("hot.run", "::tests::traced/both", "<parallel>")
    assert sorted(branches) == [("<parallel>[a]", [("::tests::traced/double",)]),
                                ("<parallel>[b]", [("::tests::traced/double",)])]


def test_failed_run_shows_where_and_why(api: ApiClient) -> None:
    run = run_of(api, "trace:fail", {"n": 7})
    assert run["status"] == "failed"
    root = trace_of(api, run["run_id"])
    assert shape(root) == ("hot.run", [("::tests::traced/broken", [("::tests::traced/inner",)])])
    assert (root["status"], root["status_message"]) == ("error", "inner broke")
    inner = root["children"][0]["children"][0]
    assert inner["status"] == "error"
    assert inner["attributes"]["hot.error.message"] == "inner broke"
    assert inner["attributes"]["hot.error.stack"].startswith("at ::tests::traced/inner (traced.hot:")


def test_unknown_run_is_404(api: ApiClient) -> None:
    assert api.get(f"/v1/runs/{uuid.uuid4()}/trace").status_code == 404


def test_one_trace_from_the_request_to_the_next_run(api: ApiClient, receiver: tuple[Receiver, int]) -> None:
    trace_id = uuid.uuid4().hex
    traceparent = f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"
    run = run_of(api, "trace:relay", {}, headers={"traceparent": traceparent})
    assert run["status"] == "succeeded"
    collected = receiver[0]

    def whole_trace() -> list[dict[str, Any]] | None:
        with collected.lock:
            spans = [span for span in collected.spans if span["trace_id"] == trace_id]
        # Each service exports on its own schedule: wait until all of them have delivered.
        runs = [span for span in spans if span["name"] == "hot.run"]
        services = {span["service"] for span in spans}
        return spans if len(runs) >= 2 and {"hot-gateway", "hot-ingest", "hot-executor"} <= services else None

    spans = wait_until(whole_trace, 20)
    names = {(span["service"], span["name"]) for span in spans}
    assert ("hot-gateway", "POST /v1/events") in names
    assert ("hot-ingest", "/hotplatform.v1.Ingest/PublishEvent") in names
    relayed = {span["attributes"].get("hot.fn_name") for span in spans if span["name"] == "hot.run"}
    assert relayed == {"::tests::traced/relay", "::tests::traced/nested"}
    # The second run's event was published by the first run's `send`, from inside its handler's span.
    relay = next(span for span in spans if span["name"] == "::tests::traced/relay")
    sent = next(span for span in spans
                if (span["service"], span["name"]) == ("hot-executor", "/hotplatform.v1.Ingest/PublishEvent"))
    assert sent["parent"] == relay["span_id"]
    handler = trace_of(api, run["run_id"])["children"][0]
    assert [(e["name"], e["attributes"]) for e in handler["events"]] == [
        ("hot.stream.data", {"hot.data_type": "note"})]
