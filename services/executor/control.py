"""Commands to every executor of an environment, on core NATS `hot.control.<env>`.

Ingest records a cancellation first (`POST /v1/runs/{id}/cancel`), then tells the executors;
the one running the run stops waiting for it and asks the interpreter to stop. Commands are
loss-tolerant: the recorded `cancelled` status wins over a late result (guarded write).
"""

from __future__ import annotations

import logging
from typing import Protocol

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from services.core import live, subjects

log = logging.getLogger(__name__)

class CancelsRuns(Protocol):
    def cancel_local(self, run_id: str) -> bool:
        """Stop a run if this process executes it; False when it does not."""
        ...


class ControlListener:
    """Applies control commands to this process's runs (today: `run:cancel`)."""

    def __init__(self, runs: CancelsRuns) -> None:
        self._runs = runs

    async def subscribe(self, nc: Client) -> Subscription:
        """Listen to the control subjects of every environment."""
        return await nc.subscribe(subjects.CONTROL_SUBJECTS, cb=self.on_message)

    async def on_message(self, msg: Msg) -> None:
        self.apply(msg.data)

    def apply(self, body: bytes) -> str | None:
        """Apply one command; returns the id of the run it cancelled here, else None.

        Undecodable and unknown commands are ignored: another executor version may send them.
        """
        command = live.decode_control(body)
        if command is not None and self._runs.cancel_local(command.run_id):
            log.info("run %s cancelled while running here", command.run_id)
            return command.run_id
        return None
