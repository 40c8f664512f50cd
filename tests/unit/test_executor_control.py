"""The executor's control listener: `run:cancel` commands stop a run only where it runs."""

from __future__ import annotations

import json

from services.executor.control import ControlListener


class _Runs:
    """Stands in for `EventRunner.cancel_local`: this process runs only `running`."""

    def __init__(self, *running: str) -> None:
        self.running = set(running)
        self.cancelled: list[str] = []

    def cancel_local(self, run_id: str) -> bool:
        if run_id not in self.running:
            return False
        self.cancelled.append(run_id)
        return True


def _command(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_a_cancel_command_stops_a_run_of_this_process() -> None:
    runs = _Runs("r-1")
    assert ControlListener(runs).apply(_command(type="run:cancel", run_id="r-1")) == "r-1"
    assert runs.cancelled == ["r-1"]


def test_runs_of_other_processes_and_other_commands_are_left_alone() -> None:
    runs = _Runs("r-1")
    listener = ControlListener(runs)
    assert listener.apply(_command(type="run:cancel", run_id="r-2")) is None
    assert listener.apply(_command(type="run:pause", run_id="r-1")) is None
    assert runs.cancelled == []


def test_undecodable_commands_are_ignored() -> None:
    runs = _Runs("r-1")
    listener = ControlListener(runs)
    for body in (b"not json", b"[1, 2]", _command(type="run:cancel", run_id=7)):
        assert listener.apply(body) is None
    assert runs.cancelled == []
