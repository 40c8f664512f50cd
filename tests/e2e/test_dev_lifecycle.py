"""`hot dev` start-up and Ctrl-C: everything it started stops."""

from __future__ import annotations

import os
import signal

from tests.e2e.platform import DevPlatform, wait_for


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); read its state.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_dev_writes_state_and_ctrl_c_stops_everything() -> None:
    dev = DevPlatform({}, include_examples=True).start()
    try:
        state = dev.state
        assert {"gateway_url", "api_key", "nats_url", "database_url", "pids"} <= state.keys()
        assert state["api_key"].startswith("hot_")
        pids = state["pids"]
        assert {"ingest", "executor", "scheduler", "gateway", "nats", "postgres"} <= pids.keys()
        assert all(_alive(pid) for pid in pids.values())
        assert dev.proc is not None
        dev.proc.send_signal(signal.SIGINT)
        assert dev.proc.wait(30) == 0
        for name, pid in pids.items():
            wait_for(lambda pid=pid: not _alive(pid), timeout=15), name
    finally:
        dev.stop()
