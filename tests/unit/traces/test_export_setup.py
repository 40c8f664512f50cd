"""Service tracing set-up: OTLP export only when `OTEL_EXPORTER_OTLP_*` names an endpoint."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
from services.core.config import TracingSettings
from services.core.telemetry import setup_tracing
provider = setup_tracing("hot-probe", TracingSettings.from_env())
processors = provider._active_span_processor._span_processors
print(",".join(type(p).__name__ for p in processors) or "none")
"""


def _processors(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    result = subprocess.run([sys.executable, "-c", PROBE], env={**clean, **env}, capture_output=True, text=True,
                            timeout=60, check=True)
    return result.stdout.strip()


def test_nothing_is_exported_without_an_endpoint() -> None:
    assert _processors() == "none"


def test_an_endpoint_adds_an_otlp_batch_exporter() -> None:
    assert _processors(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:1") == "BatchSpanProcessor"
