"""`hot dev`: the whole platform on one machine.

Starts embedded NATS (JetStream) and PostgreSQL (unless `NATS_URL` / `DATABASE_URL`
point at servers), applies migrations, makes sure a development environment and API
key exist, starts ingest, executor, scheduler and gateway as their own processes,
deploys the project folder (and redeploys it when a `.hot` file changes), and writes
the live endpoints to `<project>/.devdata/dev.json`. Ctrl-C stops everything.

When the project has a `hot.hot`, the build is its `src.paths` plus every dependency's
sources (`deps/<package>/…`, resolved by `hotlang.tools.packages`), and the watcher also
watches each local path dependency. A dependency that does not resolve is reported with its
file and line and nothing is deployed until it is fixed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import FrameType
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from hotlang.tools.packages import PackageError, resolve_project
from services.cli.devctx import CTX_FILE, DevContextError, load_dev_context
from services.cli.supervisor import ServiceSpec, Supervisor
from services.core import db, model
from services.core.clients import IngestClient
from services.devtools.credentials import ensure_dev_environment, ensure_secrets_key
from services.devtools.settings import DevSettings
from services.devtools.stack import EmbeddedNats, EmbeddedPostgres, free_port

log = logging.getLogger("hot.dev")

SERVICES = ("ingest", "executor", "scheduler", "gateway")


def project_files(project: Path) -> dict[str, str]:
    """Every `.hot` file under the project (hidden folders and `.devdata` skipped), by relative path."""
    files = {}
    for path in sorted(project.rglob("*.hot")):
        rel = path.relative_to(project)
        if any(part.startswith(".") for part in rel.parts) or rel == CTX_FILE:
            continue  # hot/ctx.hot is the dev context, never deployed
        files[rel.as_posix()] = path.read_text(encoding="utf-8")
    return files


def build_files(project: Path) -> tuple[dict[str, str], list[Path]]:
    """The files of the project's build (dependencies included) and the folders to watch.

    Raises `PackageError` when a dependency does not resolve."""
    resolved = resolve_project(project)
    if resolved.config is None:
        return project_files(project), [project]
    return resolved.sources(), resolved.watch_paths()


def project_name(project: Path, name: str | None) -> str:
    """`--name`, else the project name `hot.hot` declares, else the folder's name."""
    if name is None:
        try:
            resolved = resolve_project(project)
        except PackageError:
            resolved = None  # reported by the first deploy; the folder's name serves meanwhile
        if resolved is not None and resolved.config is not None:
            name = resolved.name
    raw = name or project.name or "app"
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", raw).strip("-")
    return cleaned or "app"


def wait_grpc_healthy(address: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1, wait_for_ready=True)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"gRPC service at {address} not healthy after {timeout}s")
            time.sleep(0.05)


def wait_http_ok(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:  # noqa: S310 - loopback URL we built
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} not answering after {timeout}s")
        time.sleep(0.05)


def deploy(ingest_addr: str, env_id: str, name: str, project: Path) -> list[Path] | None:
    """Deploy the project's build through ingest; a broken build is reported, not fatal.

    Returns the folders to watch, or None when the dependencies did not resolve."""
    try:
        files, watch = build_files(project)
    except PackageError as exc:
        print(f"hot dev: dependencies do not resolve; nothing deployed:\n{exc.format()}", file=sys.stderr,
              flush=True)
        return None
    except (OSError, UnicodeDecodeError) as exc:
        print(f"hot dev: cannot read the project: {exc}; nothing deployed", file=sys.stderr, flush=True)
        return None
    if not files:
        print(f"hot dev: no .hot files under {project}; nothing deployed", flush=True)
        return watch

    async def deploy_once() -> model.DeployResult:
        async with IngestClient(ingest_addr) as ingest:
            return await ingest.deploy_build(env_id, name, files, timeout_s=30)

    try:
        reply = asyncio.run(deploy_once())
    except grpc.aio.AioRpcError as exc:
        print(f"hot dev: deploy failed:\n{exc.details()}", file=sys.stderr, flush=True)
        return watch
    for warning in reply.warnings:
        print(f"hot dev: warning: {warning}", file=sys.stderr, flush=True)
    if reply.changed:
        handlers = ", ".join(f"{h.ns}/{h.var} ← {h.event_type}" for h in reply.handlers) or "no handlers"
        print(f"hot dev: deployed {len(files)} file(s) of '{name}' as build {reply.build_id} ({handlers})",
              flush=True)
    return watch


def write_dev_context(project: Path, path: Path) -> None:
    """Evaluate `hot/ctx.hot` (with `.env`) into the dev context file the executors read; a broken
    file is reported and leaves the dev context empty. Written atomically, readable only by us."""
    try:
        dev_ctx = load_dev_context(project)
    except DevContextError as exc:
        print(f"hot dev: {CTX_FILE} not loaded (the dev context is empty):\n{exc}", file=sys.stderr, flush=True)
        dev_ctx = {"values": {}, "secret_keys": []}
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(json.dumps(dev_ctx))
    tmp.replace(path)


class _Watcher(threading.Thread):
    """Sets `changed` when a `.hot` file under the project or a local dependency, or the project's
    `.env`, changes (the main thread re-reads the dev context and redeploys)."""

    def __init__(self, folders: list[Path]) -> None:
        super().__init__(name="hot-dev-watch", daemon=True)
        self.folders = [folder.resolve() for folder in folders]
        self.changed = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        from watchfiles import watch

        roots = [str(folder) for folder in self.folders]
        dotenvs = {os.path.join(root, ".env") for root in roots}

        def only_hot(_change: Any, path: str) -> bool:
            if path in dotenvs:
                return True
            if not path.endswith(".hot"):
                return False
            root = max((r for r in roots if path.startswith(r + os.sep)), key=len, default="")
            return "/." not in path[len(root):]

        for _ in watch(*self.folders, watch_filter=only_hot, stop_event=self.stop, debounce=200, rust_timeout=500):
            self.changed.set()


def run_dev(project: Path, port: int, name: str | None, settings: DevSettings, *, executors: int = 1) -> int:
    """Run the platform until Ctrl-C (see the module docstring); `settings` from `DevSettings.from_env()`."""
    logging.basicConfig(level=settings.platform.log_level, format="%(asctime)s dev %(levelname)s %(message)s")
    project = project.resolve()
    if not project.is_dir():
        print(f"hot dev: project folder {project} does not exist", file=sys.stderr)
        return 2
    data_dir = project / ".devdata"
    data_dir.mkdir(exist_ok=True)
    dev_json = data_dir / "dev.json"
    started = time.perf_counter()
    stop_requested: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop_requested.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    nats_server: EmbeddedNats | None = None
    postgres: EmbeddedPostgres | None = None
    supervisor: Supervisor | None = None
    watcher: _Watcher | None = None
    try:
        stack = settings.stack
        nats_url = settings.platform.nats_url
        if not nats_url:
            nats_server = EmbeddedNats(data_dir / "nats", port=stack.nats_port or None, settings=stack).start()
            nats_url = nats_server.url
        database_url = settings.platform.database_url
        if not database_url:
            postgres = EmbeddedPostgres(data_dir / "pg", port=stack.pg_port or None, settings=stack).start()
            database_url = postgres.dsn
        db.migrate(database_url)
        previous_key = None
        if dev_json.exists():
            try:
                previous_key = json.loads(dev_json.read_text()).get("api_key")
            except ValueError:
                previous_key = None
        env_id, api_key = ensure_dev_environment(database_url, token=previous_key)
        secrets_key = settings.platform.context.secrets_key or ensure_secrets_key(data_dir)
        dev_ctx_file = data_dir / "dev-context.json"
        write_dev_context(project, dev_ctx_file)

        gateway_port = port or free_port()
        executor_names = ["executor", *(f"executor-{i}" for i in range(2, executors + 1))]
        grpc_ports = {name: free_port() for name in ("ingest", *executor_names, "scheduler")}
        ingest_addr = f"127.0.0.1:{grpc_ports['ingest']}"
        scheduler_addr = f"127.0.0.1:{grpc_ports['scheduler']}"
        common = {"DATABASE_URL": database_url, "NATS_URL": nats_url, "HOT_INGEST_ADDR": ingest_addr,
                  "HOT_SCHEDULER_ADDR": scheduler_addr, "HOT_SECRETS_KEY": secrets_key,
                  "HOT_DEV_CONTEXT_FILE": str(dev_ctx_file),
                  # Local development calls local servers: `::hot::http` may reach private and
                  # loopback addresses here unless the developer says otherwise (metadata stays refused).
                  "HOT_HTTP_ALLOW_PRIVATE": os.environ.get("HOT_HTTP_ALLOW_PRIVATE", "1")}
        specs = [ServiceSpec(name, f"services.{name.split('-')[0]}",
                             {**common, "HOT_GRPC_LISTEN": f"127.0.0.1:{grpc_ports[name]}"})
                 for name in ("ingest", *executor_names, "scheduler")]
        specs.append(ServiceSpec("gateway", "services.gateway",
                                 {**common, "HOT_HTTP_PORT": str(gateway_port), "HOT_HTTP_HOST": "127.0.0.1"}))
        supervisor = Supervisor(specs)
        supervisor.start_all()
        gateway_url = f"http://127.0.0.1:{gateway_port}"
        wait_grpc_healthy(ingest_addr, timeout=30)
        project_label = project_name(project, name)
        watched = deploy(ingest_addr, env_id, project_label, project) or [project]
        for name in (*executor_names, "scheduler"):
            wait_grpc_healthy(f"127.0.0.1:{grpc_ports[name]}", timeout=30)
        wait_http_ok(f"{gateway_url}/status", timeout=30)

        embedded_pids = {label: server.proc.pid for label, server in (("nats", nats_server), ("postgres", postgres))
                         if server is not None and server.proc is not None}

        def write_state() -> None:
            assert supervisor is not None
            state = {"gateway_url": gateway_url, "api_key": api_key, "nats_url": nats_url,
                     "database_url": database_url, "env_id": env_id, "project": project_label,
                     "grpc": {svc: f"127.0.0.1:{p}" for svc, p in grpc_ports.items()},
                     "pids": {**supervisor.pids(), **embedded_pids}, "supervisor_pid": os.getpid()}
            tmp = dev_json.with_suffix(".tmp")
            tmp.write_text(json.dumps(state, indent=2))
            tmp.replace(dev_json)  # atomic: readers never see half a file

        write_state()
        print(f"\nHot is running ({time.perf_counter() - started:.1f}s)\n"
              f"  gateway   {gateway_url}\n  api key   {api_key}\n  project   {project_label} ({project})\n"
              f"  state     {dev_json}\n\nTry:\n  curl -s -X POST {gateway_url}/v1/events "
              f"-H 'Authorization: Bearer {api_key}' -H 'Content-Type: application/json' "
              "-d '{\"event_type\": \"order:created\", \"event_data\": {\"order_id\": \"o-1\"}}'\n", flush=True)

        watcher = _Watcher(watched)
        watcher.start()
        while not stop_requested:
            time.sleep(0.2)
            if supervisor.check():
                write_state()
            if watcher.changed.is_set():
                watcher.changed.clear()
                write_dev_context(project, dev_ctx_file)
                folders = deploy(ingest_addr, env_id, project_label, project)
                if folders is not None and [f.resolve() for f in folders] != watcher.folders:
                    watcher.stop.set()  # hot.hot now names other local dependencies: watch those
                    watcher = _Watcher(folders)
                    watcher.start()
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"hot dev: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        print("hot dev: stopping", flush=True)
        if watcher is not None:
            watcher.stop.set()
        if supervisor is not None:
            supervisor.stop_all()
        if postgres is not None:
            postgres.stop()
        if nats_server is not None:
            nats_server.stop()
