"""Dead letters: events whose queue message exhausted its deliveries, kept visible and replayable.

JetStream announces a message that reached `max_deliver` with an advisory. One ingest
replica (queue group) records the event as a dead letter and removes the message from
the work queue. A replay publishes the event again with a fresh de-duplication id.
"""

from __future__ import annotations

import json
import logging

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from services.core import db, model, subjects, wire
from services.core.db import Pool
from services.core.errors import NotFound
from services.core.ids import new_id
from services.core.rows import EVENT_COLUMNS, Row, event_from_row, qualified

log = logging.getLogger(__name__)

MAX_DELIVERIES_ADVISORY = (
    f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{subjects.EVENTS_STREAM}.{subjects.EXECUTOR_CONSUMER}"
)
_COLUMNS = ("d.dead_letter_id::text, d.env_id::text, d.deliveries, d.reason, d.created_at, d.replayed_at, "
            "d.replay_count, " + qualified(EVENT_COLUMNS, "e"))


def _from_row(row: Row) -> model.DeadLetter:
    return model.DeadLetter(row["dead_letter_id"], row["env_id"], row["deliveries"], row["reason"], row["created_at"],
                            row["replayed_at"], row["replay_count"], event_from_row(row))


async def record(pool: Pool, event_id: str, deliveries: int, reason: str) -> bool:
    """Insert an open dead letter for the event (once); False if the event is unknown or already open."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "INSERT INTO hot.dead_letter (dead_letter_id, env_id, event_id, deliveries, reason) "
            "SELECT %s, env_id, event_id, %s, %s FROM hot.event WHERE event_id = %s "
            "ON CONFLICT (event_id) WHERE replayed_at IS NULL DO NOTHING RETURNING dead_letter_id",
            (new_id(), deliveries, reason, event_id))
        return await cur.fetchone() is not None


async def list_dead_letters(pool: Pool, env_id: str, page: model.Page,
                            include_replayed: bool) -> model.PageOf[model.DeadLetter]:
    where = "d.env_id = %s" + ("" if include_replayed else " AND d.replayed_at IS NULL")
    rows, total = await db.fetch_page(pool, select=_COLUMNS,
                                      source="hot.dead_letter d JOIN hot.event e ON e.event_id = d.event_id",
                                      where=where, params=(env_id,), order="d.created_at DESC",
                                      limit=page.limit, offset=page.offset)
    return model.PageOf([_from_row(r) for r in rows], total, page)


async def mark_replayed(pool: Pool, env_id: str, dead_letter_id: str) -> model.DeadLetter:
    async with pool.connection() as conn:
        cur = await conn.execute(
            "UPDATE hot.dead_letter SET replayed_at = now(), replay_count = replay_count + 1 "
            "WHERE dead_letter_id = %s AND env_id = %s RETURNING dead_letter_id", (dead_letter_id, env_id))
        if await cur.fetchone() is None:
            raise NotFound("Dead letter not found")
        cur = await conn.execute(
            f"SELECT {_COLUMNS} FROM hot.dead_letter d JOIN hot.event e ON e.event_id = d.event_id "
            "WHERE d.dead_letter_id = %s", (dead_letter_id,))
        row = await cur.fetchone()
    assert row is not None
    return _from_row(row)


class DeadLetterListener:
    """Turns max-deliveries advisories into dead-letter rows and clears the exhausted messages."""

    def __init__(self, nc: Client, js: JetStreamContext, pool: Pool) -> None:
        self._nc = nc
        self._js = js
        self._pool = pool

    async def start(self) -> None:
        await self._nc.subscribe(MAX_DELIVERIES_ADVISORY, queue="hot-ingest-dlq", cb=self._on_advisory)

    async def _on_advisory(self, msg: Msg) -> None:
        try:
            advisory = json.loads(msg.data)
            seq = int(advisory["stream_seq"])
            deliveries = int(advisory.get("deliveries", 0))
            stored = await self._js.get_msg(subjects.EVENTS_STREAM, seq)
            queued = wire.queued_event_from_bytes(stored.data or b"")
            reason = f"delivered {deliveries} times without being processed"
            if await record(self._pool, queued.event_id, deliveries, reason):
                log.warning("event %s dead-lettered: %s", queued.event_id, reason)
            # The message would otherwise sit in the work queue forever: it is now a dead letter.
            await self._js.delete_msg(subjects.EVENTS_STREAM, seq)
        except Exception:
            log.exception("could not record a dead letter from advisory %r", msg.data[:500])
