"""OpenTelemetry set-up for a service process.

Each process installs one tracer provider (the global one can be set only once). When
the tracing settings name an OTLP endpoint (the standard `OTEL_EXPORTER_OTLP_*` variables,
see `config.TracingSettings`) and the OTLP exporter package is installed, spans are also
exported over OTLP; otherwise nothing is exported.

gRPC servers and clients (`grpc.aio`) are instrumented with the maintained
`opentelemetry-instrumentation-grpc` when it is installed: it records a span per RPC and
carries the W3C trace context in gRPC metadata. It must run before any channel or
server is created, hence here, at process start.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from services.core.config import TracingSettings

log = logging.getLogger(__name__)


def setup_tracing(service_name: str, settings: TracingSettings) -> TracerProvider:
    """Install and return this process's tracer provider."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if settings.otlp_endpoint:
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (  # type: ignore[import-not-found]
                OTLPSpanExporter,
            )
        except ImportError:
            log.warning("OTEL_EXPORTER_OTLP_* is set but opentelemetry-exporter-otlp is not installed")
        else:
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    instrument_grpc()
    return provider


def instrument_grpc() -> bool:
    """Instrument `grpc.aio` servers and clients (False when the instrumentation is not installed)."""
    try:
        # Imported by name: the instrumentation is untyped and optional.
        grpc_instrumentation = importlib.import_module("opentelemetry.instrumentation.grpc")
    except ImportError:
        log.info("opentelemetry-instrumentation-grpc is not installed: gRPC calls are not traced")
        return False
    for instrumentor in (grpc_instrumentation.GrpcAioInstrumentorServer(),
                         grpc_instrumentation.GrpcAioInstrumentorClient()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()
    return True


def current_traceparent(metadata: Iterable[tuple[str, Any]] | None = None) -> str:
    """The W3C `traceparent` of the current span, else the one in gRPC ``metadata``, else ``""``.

    With the gRPC instrumentation, a servicer runs inside its server span; without it, the
    caller's `traceparent` metadata is passed through unchanged.
    """
    carrier: dict[str, str] = {}
    if trace.get_current_span().get_span_context().is_valid:
        propagate.inject(carrier)
    if not carrier.get("traceparent") and metadata is not None:
        for key, value in metadata:
            if key == "traceparent" and isinstance(value, str):
                return value
    return carrier.get("traceparent", "")
