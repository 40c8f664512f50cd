"""Typed clients of the internal gRPC APIs: requests in, domain objects out.

One client per service (`IngestClient`, `StreamsClient`, `TracesClient`, `SchedulerClient`),
used by every caller (gateway, executor, scheduler, `hot dev`), so each RPC is spelled once and
every conversion goes through `services.core.wire`. Errors stay `grpc.aio.AioRpcError`; edges
turn them into `PlatformError`s with `services.core.grpcio.error_from_rpc`.
"""

from services.core.clients.ingest import IngestClient
from services.core.clients.scheduler import SchedulerClient
from services.core.clients.streams import StreamsClient
from services.core.clients.traces import TracesClient

__all__ = ["IngestClient", "SchedulerClient", "StreamsClient", "TracesClient"]
