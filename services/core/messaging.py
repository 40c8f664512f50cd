"""NATS and JetStream wiring: connecting, and declaring the streams and consumers."""

from __future__ import annotations

import logging

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from services.core import subjects
from services.core.config import DAY_S, RetentionSettings

log = logging.getLogger(__name__)

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


def event_stream_config(limits: RetentionSettings) -> StreamConfig:
    """The events stream: a work queue (a message leaves once acked) with two limits.

    `max_age` drops a message older than `events_max_age_days` whether or not it was consumed;
    its event row stays in PostgreSQL, unfinished (`completed_at IS NULL`), and setting its
    `published_at` back to NULL makes ingest's outbox sweeper publish it again. `max_bytes`
    refuses new publishes once the stream is full (`DiscardPolicy.NEW`, never dropping queued
    events): the refused events keep `published_at IS NULL` and the outbox sweeper re-publishes
    them when executors have made room. 0 means no limit (JetStream's -1)."""
    return StreamConfig(
        name=subjects.EVENTS_STREAM,
        subjects=[subjects.EVENTS_SUBJECTS],
        retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.FILE,
        duplicate_window=DEDUP_WINDOW_S,
        max_age=limits.events_max_age_days * DAY_S,
        max_bytes=limits.events_max_bytes or -1,
        discard=DiscardPolicy.NEW,
    )


async def ensure_event_stream(js: JetStreamContext, limits: RetentionSettings | None = None) -> None:
    """Declare the events stream (idempotent), or update an existing one to the configured limits
    (`RetentionSettings.events_max_age_days` / `events_max_bytes`, defaults when None)."""
    config = event_stream_config(limits or RetentionSettings())
    try:
        await js.stream_info(subjects.EVENTS_STREAM)
    except NotFoundError:
        await js.add_stream(config)
        return
    await js.update_stream(config)


def executor_consumer_config(*, ack_wait_s: float) -> ConsumerConfig:
    """The durable pull consumer every executor replica shares; JetStream redelivers a message
    not acknowledged (nor kept alive by an in-progress heartbeat) within `ack_wait_s`."""
    return ConsumerConfig(
        durable_name=subjects.EXECUTOR_CONSUMER,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ack_wait_s,
        max_deliver=MAX_DELIVER,
        max_ack_pending=10_000,
        filter_subject=subjects.EVENTS_SUBJECTS,
    )


async def ensure_executor_consumer(js: JetStreamContext, *, ack_wait_s: float) -> None:
    """Create the shared durable consumer, or recreate it when its delivery settings changed.

    Recreating a work-queue consumer loses nothing: unacknowledged messages stay in the
    stream and are delivered to the new consumer.
    """
    wanted = executor_consumer_config(ack_wait_s=ack_wait_s)
    try:
        info = await js.consumer_info(subjects.EVENTS_STREAM, subjects.EXECUTOR_CONSUMER)
    except NotFoundError:
        info = None
    if info is not None:
        current = info.config
        if current.ack_wait == wanted.ack_wait and current.max_deliver == wanted.max_deliver:
            return
        log.info("executor consumer settings changed; recreating it")
        await js.delete_consumer(subjects.EVENTS_STREAM, subjects.EXECUTOR_CONSUMER)
    try:
        await js.add_consumer(subjects.EVENTS_STREAM, wanted)
    except Exception as exc:  # noqa: BLE001 - another replica may have created it a moment ago
        log.info("adding the executor consumer: %s", exc)
