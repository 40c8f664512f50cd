"""Retention's pure parts: the cutoffs of a sweep and the events stream's limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nats.js.api import DiscardPolicy, RetentionPolicy

from services.core.config import RetentionSettings
from services.core.messaging import event_stream_config
from services.scheduler.retention import KINDS, Cutoffs, cutoffs_at

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def test_each_kind_is_cut_at_its_own_age_and_zero_keeps_forever() -> None:
    settings = RetentionSettings(events_days=30, runs_days=0, spans_days=7, schedule_log_days=1, dead_letters_days=2,
                                 events_max_age_days=7)
    assert cutoffs_at(settings, NOW) == Cutoffs(
        spans=NOW - timedelta(days=7), runs=None, dead_letters=NOW - timedelta(days=2),
        schedule_log=NOW - timedelta(days=1), events=NOW - timedelta(days=30), queue=NOW - timedelta(days=7))
    forever = cutoffs_at(RetentionSettings(events_days=0, events_max_age_days=0), NOW)
    assert forever.events is None and forever.streams is None and forever.queue is None


def test_the_sweep_order_follows_the_foreign_keys() -> None:
    # Spans before their runs, runs and dead letters before the events they refer to, streams last.
    assert KINDS == ("spans", "runs", "dead_letters", "schedule_log", "events", "streams")


def test_the_events_stream_limits_come_from_the_settings() -> None:
    config = event_stream_config(RetentionSettings(events_max_age_days=2, events_max_bytes=5_000_000))
    assert config.retention == RetentionPolicy.WORK_QUEUE
    assert config.max_age == 2 * 86_400 and config.max_bytes == 5_000_000
    assert config.discard == DiscardPolicy.NEW, "a full stream refuses publishes instead of dropping queued events"
    unlimited = event_stream_config(RetentionSettings(events_max_age_days=0, events_max_bytes=0))
    assert unlimited.max_age == 0 and unlimited.max_bytes == -1
