"""Drive a real `hot dev` (every service as its own process) from tests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from tests.support.api import ApiClient
from tests.support.servers import REPO, free_port, make_temp_dir
from tests.support.waiting import wait_until


class DevPlatform:
    """A `hot dev` process over a copy of a project folder.

    `project_files` are written into the project folder (sub-folders created); `outside_files`
    next to it, under the same temp dir (`self.base`), e.g. a local path dependency `../greet`."""

    def __init__(self, project_files: dict[str, str], *, include_examples: bool = True,
                 env: dict[str, str] | None = None, outside_files: dict[str, str] | None = None) -> None:
        self.base = make_temp_dir("hot-e2e-")
        self.project = self.base / "project"
        if include_examples:
            shutil.copytree(REPO / "examples", self.project, ignore=shutil.ignore_patterns(".devdata"))
        else:
            self.project.mkdir()
        for folder, files in ((self.project, project_files), (self.base, outside_files or {})):
            for rel, text in files.items():
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                (folder / rel).write_text(text)
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
        proc = self.proc

        def ready() -> bool:
            # `hot dev` writes dev.json once every service serves.
            if proc.poll() is not None:
                raise RuntimeError(f"hot dev exited rc={proc.returncode}:\n{self.log()}")
            return self.state_file.exists()

        try:
            wait_until(ready, timeout, interval=0.1, what="hot dev writing dev.json")
        except AssertionError as exc:
            raise TimeoutError(f"hot dev did not write dev.json:\n{self.log()}") from exc
        self.reload_state()
        return self

    def reload_state(self) -> dict[str, Any]:
        self.state = json.loads(self.state_file.read_text())
        return self.state

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-8000:]

    def client(self, token: str | None = "default") -> ApiClient:
        """A gateway client with the dev API key (`token=None`: anonymous; any other string: that key)."""
        headers = {}
        if token == "default":
            token = self.state["api_key"]
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return ApiClient(base_url=self.state["gateway_url"], headers=headers, timeout=15)

    # ----- the platform's database, for what the API does not show -------------------------

    def db_rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Rows of one query on the platform's database."""
        with psycopg.connect(self.state["database_url"]) as conn:
            return conn.execute(sql, args).fetchall()

    def db_count(self, sql: str, *args: Any) -> int:
        """The single integer a `SELECT count(*) …` returns."""
        ((value,),) = self.db_rows(sql, *args)
        return int(value)

    def db_execute(self, sql: str, *args: Any) -> None:
        """One statement, committed."""
        with psycopg.connect(self.state["database_url"], autocommit=True) as conn:
            conn.execute(sql, args)

    def wait_events_completed(self, *event_ids: str, timeout: float = 15.0) -> None:
        """Wait until the executor has finished with every given event: each handler it selected
        has a terminal or `pending_retry` run, so every run the event causes exists."""
        wait_until(lambda: self.db_count("SELECT count(*) FROM hot.event WHERE event_id = ANY(%s::uuid[]) "
                                         "AND completed_at IS NOT NULL", list(event_ids)) == len(event_ids),
                   timeout, what=f"events {event_ids} completed")

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
