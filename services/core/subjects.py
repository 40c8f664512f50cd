"""Every NATS subject and JetStream name the platform uses, in one place."""

from __future__ import annotations

EVENTS_STREAM = "HOT_EVENTS"
"""JetStream stream carrying event pointers to the executors (work-queue retention)."""

EXECUTOR_CONSUMER = "executor"
"""Durable pull consumer shared by every executor replica."""


def events_subject(env_id: str) -> str:
    """JetStream subject for events of one environment."""
    return f"hot.events.{env_id}"


EVENTS_SUBJECTS = "hot.events.>"


def live_subject(env_id: str, stream_id: str) -> str:
    """Core NATS subject for live, loss-tolerant messages of one stream (run lifecycle, stream data)."""
    return f"hot.live.{env_id}.{stream_id}"


def env_live_subject(env_id: str) -> str:
    """Core NATS wildcard for every live message of one environment."""
    return f"hot.live.{env_id}.*"


def control_subject(env_id: str) -> str:
    """Core NATS subject for commands to executors (e.g. cancel a run) in one environment."""
    return f"hot.control.{env_id}"


CONTROL_SUBJECTS = "hot.control.*"
