"""Commands to every executor of an environment, on core NATS `hot.control.<env>`.

Ingest records a cancellation first (`POST /v1/runs/{id}/cancel`), then tells the executors;
the one running the run stops waiting for it and asks the interpreter to stop. Commands are
loss-tolerant: the recorded `cancelled` status wins over a late result (guarded write).
"""

from __future__ import annotations

import json
import logging
from typing import Protocol

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from services.core import subjects

log = logging.getLogger(__name__)

CANCEL_COMMAND = "run:cancel"


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
        try:
            command = json.loads(body)
        except ValueError:
            return None
        if not isinstance(command, dict) or command.get("type") != CANCEL_COMMAND:
            return None
        run_id = command.get("run_id")
        if isinstance(run_id, str) and self._runs.cancel_local(run_id):
            log.info("run %s cancelled while running here", run_id)
            return run_id
        return None
