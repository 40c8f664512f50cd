"""A small process supervisor for `hot dev`: start service processes, restart the ones that die.

Children are started through `setpriv --pdeathsig=TERM` from the main thread, so they
are terminated even if the supervisor itself is SIGKILLed (no orphans).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import IO

from services.devtools.stack import setpriv_prefix, stop_process

log = logging.getLogger(__name__)


@dataclass
class ServiceSpec:
    name: str
    module: str
    env: dict[str, str]


@dataclass
class Child:
    spec: ServiceSpec
    proc: subprocess.Popen[bytes]
    started: float
    restarts: int = 0
    next_restart: float = 0.0
    recent_failures: list[float] = field(default_factory=list)


class Supervisor:
    """Keeps one process per service running."""

    def __init__(self, specs: list[ServiceSpec], *, output: IO[bytes] | None = None) -> None:
        self._specs = specs
        self._output = output
        self.children: dict[str, Child] = {}

    def _spawn(self, spec: ServiceSpec) -> subprocess.Popen[bytes]:
        env = {**os.environ, **spec.env}
        cmd = [*setpriv_prefix(death_sig="TERM"), sys.executable, "-m", spec.module]
        return subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=self._output,
                                stderr=self._output)

    def start_all(self) -> None:
        now = time.monotonic()
        for spec in self._specs:
            self.children[spec.name] = Child(spec, self._spawn(spec), now)

    def pids(self) -> dict[str, int]:
        return {name: child.proc.pid for name, child in self.children.items()}

    def check(self) -> list[str]:
        """Restart every child that exited (with a short backoff); returns the names restarted."""
        restarted = []
        now = time.monotonic()
        for name, child in self.children.items():
            code = child.proc.poll()
            if code is None:
                continue
            if child.next_restart == 0.0:
                # Quick repeated crashes back off up to 5 s, so a broken service does not spin.
                child.recent_failures = [t for t in child.recent_failures if now - t < 30] + [now]
                delay = min(5.0, 0.2 * (2 ** (len(child.recent_failures) - 1)))
                child.next_restart = now + delay
                log.warning("%s exited with code %s; restarting in %.1fs", name, code, delay)
            if now >= child.next_restart:
                child.proc = self._spawn(child.spec)
                child.started = now
                child.restarts += 1
                child.next_restart = 0.0
                restarted.append(name)
        return restarted

    def stop_all(self, timeout: float = 10.0) -> None:
        for child in self.children.values():
            if child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children.values():
            remaining = max(0.1, deadline - time.monotonic())
            stop_process(child.proc, signal.SIGTERM, remaining)
