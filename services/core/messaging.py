"""NATS and JetStream wiring: connecting, and declaring the streams and consumers."""

from __future__ import annotations

import logging

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from services.core import subjects

log = logging.getLogger(__name__)

ACK_WAIT_S = 60.0
MAX_DELIVER = 3
DEDUP_WINDOW_S = 120.0


async def connect(url: str, *, name: str) -> Client:
    """Connect with unlimited reconnects: a NATS restart must not kill a service."""

    async def on_disconnect() -> None:
        log.warning("NATS disconnected")

    async def on_reconnect() -> None:
        log.info("NATS reconnected")

    async def on_error(exc: Exception) -> None:
        log.warning("NATS error: %s", exc)

    return await nats.connect(url, name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.5,
                              disconnected_cb=on_disconnect, reconnected_cb=on_reconnect, error_cb=on_error)


async def ensure_event_stream(js: JetStreamContext) -> None:
    """Declare the events stream (idempotent). Work-queue retention: a message leaves once acked."""
    config = StreamConfig(
        name=subjects.EVENTS_STREAM,
        subjects=[subjects.EVENTS_SUBJECTS],
        retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.FILE,
        duplicate_window=DEDUP_WINDOW_S,
    )
    try:
        await js.stream_info(subjects.EVENTS_STREAM)
    except NotFoundError:
        await js.add_stream(config)
        return
    await js.update_stream(config)


def executor_consumer_config() -> ConsumerConfig:
    """The durable pull consumer every executor replica shares."""
    return ConsumerConfig(
        durable_name=subjects.EXECUTOR_CONSUMER,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ACK_WAIT_S,
        max_deliver=MAX_DELIVER,
        max_ack_pending=10_000,
        filter_subject=subjects.EVENTS_SUBJECTS,
    )
