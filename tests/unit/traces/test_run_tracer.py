"""The executor's OpenTelemetry side of interpreter tracing: parents, the span budget, run membership."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from hotlang import load_program
from services.core import model
from services.executor.trace_store import RunSpanStore, span_row
from services.executor.tracing import RunTracer, end_run_span

SOURCE = """
::t ns
fact fn (n) { cond { lt(n, 2) => { 1 } => { mul(n, fact(sub(n, 1))) } } }
"""


def _setup() -> tuple[TracerProvider, InMemorySpanExporter, RunSpanStore]:
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    store = RunSpanStore()
    provider.add_span_processor(store)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter, store


def test_spans_hang_off_the_run_and_belong_to_it() -> None:
    provider, exporter, store = _setup()
    tracer = provider.get_tracer("test")
    program = load_program({"t.hot": SOURCE}, traced=True)
    root = tracer.start_span("hot.run", attributes={"hot.run_id": "11111111-1111-1111-1111-111111111111"})
    hot = RunTracer(tracer, root)
    assert program.call("::t/fact", [2], tracer=hot) == 2
    end_run_span(root, model.RunStatus.SUCCEEDED, 2, hot)
    finished = exporter.get_finished_spans()
    assert sorted(span.name for span in finished) == ["::t/fact", "::t/fact", "<cond>", "<cond>", "hot.run"]
    spans = {span.name + str((span.attributes or {}).get("hot.call_depth", "")): span for span in finished}
    by_id = {span.context.span_id: span for span in exporter.get_finished_spans()}
    outer = spans["::t/fact1"]
    assert outer.parent is not None and outer.parent.span_id == root.get_span_context().span_id
    assert by_id[spans["::t/fact2"].parent.span_id].name == "<cond>"  # type: ignore[union-attr]
    assert spans["hot.run"].status.status_code is StatusCode.OK
    rows = [span_row(span, run_id) for span, run_id in store._queue]
    assert len(rows) == 5 and {row[3] for row in rows} == {"11111111-1111-1111-1111-111111111111"}


def test_span_budget_drops_and_counts() -> None:
    provider, exporter, _store = _setup()
    tracer = provider.get_tracer("test")
    program = load_program({"t.hot": SOURCE}, traced=True)
    root = tracer.start_span("hot.run", attributes={"hot.run_id": "r"})
    hot = RunTracer(tracer, root, max_spans=3)
    assert program.call("::t/fact", [5], tracer=hot) == 120
    end_run_span(root, model.RunStatus.FAILED, model.failure_result("nope"), hot)
    finished = exporter.get_finished_spans()
    assert len(finished) == 4  # 3 interpreter spans + the root
    run = next(span for span in finished if span.name == "hot.run")
    assert run.attributes is not None and run.attributes["hot.spans_dropped"] == 7
    assert (run.status.status_code, run.status.description) == (StatusCode.ERROR, "nope")
