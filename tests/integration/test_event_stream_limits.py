"""The events stream's JetStream limits against a real nats-server: declared, updated, and what a
full stream does (it refuses the publish; nothing queued is dropped)."""

from __future__ import annotations

import nats
import pytest
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import APIError

from services.core import messaging, subjects
from services.core.config import RetentionSettings
from tests.support.servers import embedded_nats


async def test_the_stream_shows_the_configured_limits_and_an_update_changes_them(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await messaging.ensure_event_stream(js, RetentionSettings(events_max_age_days=2, events_max_bytes=50_000_000))
        info = await js.stream_info(subjects.EVENTS_STREAM)
        assert info.config.max_age == 2 * 86_400 and info.config.max_bytes == 50_000_000
        assert info.config.discard == DiscardPolicy.NEW
        await messaging.ensure_event_stream(js, RetentionSettings(events_max_age_days=0, events_max_bytes=0))
        info = await js.stream_info(subjects.EVENTS_STREAM)
        assert info.config.max_age == 0 and info.config.max_bytes == -1, "0 is no limit"
        await messaging.ensure_event_stream(js)  # back to the defaults, for the tests that follow
        info = await js.stream_info(subjects.EVENTS_STREAM)
        assert info.config.max_age == 7 * 86_400 and info.config.max_bytes == 1024 ** 3
    finally:
        await nc.close()


async def test_a_full_stream_refuses_new_events_and_keeps_the_queued_ones() -> None:
    with embedded_nats() as url:  # its own server: this test fills the stream
        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            await messaging.ensure_event_stream(js, RetentionSettings(events_max_bytes=4096))
            subject = subjects.events_subject("env-full")
            accepted = 0
            with pytest.raises(APIError, match=r"(?i)maximum bytes"):
                for n in range(100):
                    await js.publish(subject, b"x" * 512, headers={"Nats-Msg-Id": f"full-{n}"})
                    accepted += 1
            assert 0 < accepted < 100
            info = await js.stream_info(subjects.EVENTS_STREAM)
            assert info.state.messages == accepted and info.state.first_seq == 1, "nothing queued was dropped"
        finally:
            await nc.close()


async def test_a_stream_declared_before_the_limits_is_updated_in_place() -> None:
    with embedded_nats() as url:  # its own server: the stream starts as older releases declared it
        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            await js.add_stream(StreamConfig(name=subjects.EVENTS_STREAM, subjects=[subjects.EVENTS_SUBJECTS],
                                             retention=RetentionPolicy.WORK_QUEUE, storage=StorageType.FILE))
            await js.publish(subjects.events_subject("env-upgrade"), b"queued before the upgrade")
            await messaging.ensure_event_stream(js, RetentionSettings(events_max_age_days=3, events_max_bytes=10**8))
            info = await js.stream_info(subjects.EVENTS_STREAM)
            assert (info.config.max_age, info.config.max_bytes, info.config.discard) == (
                3 * 86_400, 10**8, DiscardPolicy.NEW)
            assert info.state.messages == 1, "the queued event survives the update"
        finally:
            await nc.close()
