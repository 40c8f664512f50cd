"""Turning run states and live pings into stream messages, once per run per subscription.

Pure code: no I/O. A `LifecycleTracker` belongs to one subscription; it remembers which
runs it has announced as started and as ended, so the replay, the live messages and the
database poll can overlap freely without the subscriber seeing a duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from services.core import live, model
from services.core.fanout import RunOnce
from services.core.model import StreamMessage


class LifecycleTracker:
    """Per-subscription de-duplication of run:start and terminal messages by run id."""

    def __init__(self, project_id: str | None = None) -> None:
        self.project_id = project_id
        self._told = RunOnce()

    def _wanted(self, run: model.Run) -> bool:
        return self.project_id is None or run.project_id == self.project_id

    def run_messages(self, run: model.Run, *, with_end: bool = True,
                     ended_before: datetime | None = None) -> list[StreamMessage]:
        """What this subscriber has not been told about `run` yet: run:start, then its end
        (unless `with_end` is false, or the run ended after `ended_before`)."""
        if not self._wanted(run):
            return []
        out: list[StreamMessage] = []
        if self._told.first_start(run.run_id):
            out.append(StreamMessage(live.RUN_START, run=run))
        kind = live.terminal_kind(run.status) if with_end else None
        if kind is not None and ended_before is not None and run.stop_time is not None \
                and run.stop_time > ended_before:
            kind = None
        if kind is not None and self._told.first_end(run.run_id):
            out.append(StreamMessage(kind, run=run))
        return out

    def snapshot(self, runs: Iterable[model.Run], *,
                 ended_before: datetime | None = None) -> list[StreamMessage]:
        """Replay (and poll) messages for runs listed newest first (platform-spec §5.6).

        The poll passes `ended_before` (a moment ago): a run that has only just ended is left
        to its live terminal ping, which comes after the run's stream data, so a subscriber
        never sees a run's end before its data."""
        out: list[StreamMessage] = []
        for run in runs:
            out.extend(self.run_messages(run, ended_before=ended_before))
        return out

    def mark_seen(self, runs: Iterable[model.Run]) -> None:
        """Treat the runs' current state as already announced (a subscription without replay)."""
        self.snapshot(runs)

    def live(self, message: StreamMessage) -> list[StreamMessage]:
        """Messages to forward for one live message."""
        if message.kind == live.STREAM_DATA:
            if self.project_id is not None and (message.data is None or message.data.run_id not in self._told.started):
                return []
            return [message]
        if message.run is None:
            return []
        # A start ping announces only the start, even when the re-read run has already
        # ended: its stream data is still on the way, and its end ping follows the data.
        return self.run_messages(message.run, with_end=message.kind != live.RUN_START)
