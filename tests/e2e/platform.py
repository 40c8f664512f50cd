"""Drive a real `hot dev` (every service as its own process) from tests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from services.devtools.stack import free_port
from tests.conftest import make_temp_dir

REPO = Path(__file__).resolve().parents[2]


class DevPlatform:
    """A `hot dev` process over a copy of a project folder."""

    def __init__(self, project_files: dict[str, str], *, include_examples: bool = True,
                 env: dict[str, str] | None = None) -> None:
        self.base = make_temp_dir("hot-e2e-")
        self.project = self.base / "project"
        if include_examples:
            shutil.copytree(REPO / "examples", self.project, ignore=shutil.ignore_patterns(".devdata"))
        else:
            self.project.mkdir()
        for rel, text in project_files.items():
            (self.project / rel).write_text(text)
        self.port = free_port()
        self.log_path = self.base / "hot-dev.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.state: dict[str, Any] = {}
        self.extra_env = env or {}

    @property
    def state_file(self) -> Path:
        return self.project / ".devdata" / "dev.json"

    def start(self, timeout: float = 90.0) -> DevPlatform:
        env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "DATABASE_URL")}
        env["HOT_LOG_LEVEL"] = "INFO"
        env.update(self.extra_env)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "services.cli.main", "dev", "--project", str(self.project),
                 "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=REPO)
        deadline = time.monotonic() + timeout
        while not self.state_file.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"hot dev exited rc={self.proc.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"hot dev did not write dev.json:\n{self.log()}")
            time.sleep(0.1)
        self.reload_state()
        return self

    def reload_state(self) -> dict[str, Any]:
        self.state = json.loads(self.state_file.read_text())
        return self.state

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-8000:]

    def client(self, token: str | None = "default") -> httpx.Client:
        headers = {}
        if token == "default":
            token = self.state["api_key"]
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.Client(base_url=self.state["gateway_url"], headers=headers, timeout=15)

    def stop(self) -> int | None:
        code = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                code = self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                code = self.proc.wait()
        # Keep the platform's log for post-mortems (CI prints where it is on failure).
        keep = Path(tempfile.gettempdir()) / "hot-e2e-logs"
        keep.mkdir(exist_ok=True)
        crashed = ""
        if self.log_path.exists():
            shutil.copy(self.log_path, keep / f"{self.base.name}.log")
            crashed = self.log() if "exited with code 1;" in self.log_path.read_text(errors="replace") else ""
        shutil.rmtree(self.base, ignore_errors=True)
        # A service that dies of an unhandled exception is a bug even when the supervisor hides it.
        assert not crashed, f"a service crashed during the test:\n{crashed}"
        return code


@contextmanager
def running(project_files: dict[str, str], **options: Any) -> Iterator[DevPlatform]:
    """A started `DevPlatform` for the duration of the block (the module fixtures use this)."""
    dev = DevPlatform(project_files, **options).start()
    try:
        yield dev
    finally:
        dev.stop()


def wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll `predicate()` until it returns a truthy value; return it (or fail after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        time.sleep(interval)
