"""The kernel against real servers: JetStream wiring and the migrations."""

from __future__ import annotations

import nats
import psycopg
from nats.js.api import RetentionPolicy

from services.core import db, messaging, subjects
from services.core.tokens import token_hash
from services.devtools.credentials import ensure_dev_environment


async def test_event_stream_is_a_deduplicating_work_queue(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await messaging.ensure_event_stream(js)
        await messaging.ensure_event_stream(js)  # idempotent
        info = await js.stream_info(subjects.EVENTS_STREAM)
        assert info.config.retention == RetentionPolicy.WORK_QUEUE
        subject = subjects.events_subject("env-test")
        first = await js.publish(subject, b"x", headers={"Nats-Msg-Id": "dup-1"})
        again = await js.publish(subject, b"x", headers={"Nats-Msg-Id": "dup-1"})
        assert again.duplicate and not first.duplicate
    finally:
        await nc.close()


def test_migrations_apply_once_and_seed_lookup_tables(pg_dsn: str) -> None:
    db.migrate(pg_dsn)
    assert db.migrate(pg_dsn) == []
    with psycopg.connect(pg_dsn) as conn:
        statuses = [r[0] for r in conn.execute("SELECT status FROM hot.run_status ORDER BY status_id")]
        types = [r[0] for r in conn.execute("SELECT run_type FROM hot.run_type ORDER BY run_type_id")]
    assert statuses == ["running", "succeeded", "failed", "cancelled", "pending_retry"]
    assert types == ["call", "event", "schedule", "run", "eval", "repl", "task"]


def test_migration_numbers_are_unique_and_ordered() -> None:
    versions = [v for v, _, _ in db.migration_files()]
    assert versions == sorted(set(versions)) and versions[0] == 1


def test_dev_environment_keeps_a_valid_key_and_replaces_an_unknown_one(pg_dsn: str) -> None:
    db.migrate(pg_dsn)
    env_id, token = ensure_dev_environment(pg_dsn, org_name="o-keys", env_name="dev")
    assert ensure_dev_environment(pg_dsn, org_name="o-keys", env_name="dev", token=token) == (env_id, token)
    env_again, fresh = ensure_dev_environment(pg_dsn, org_name="o-keys", env_name="dev", token="hot_forged")
    assert env_again == env_id and fresh != "hot_forged"
    with psycopg.connect(pg_dsn) as conn:
        stored = conn.execute("SELECT count(*) FROM hot.api_key WHERE token_hash = %s", (token_hash(fresh),))
        assert stored.fetchone() == (1,)
        plain = conn.execute("SELECT count(*) FROM hot.api_key WHERE token_hash = %s", (fresh,)).fetchone()
        assert plain == (0,), "tokens must be stored hashed"
