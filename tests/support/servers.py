"""Where tests put things and which ports they use: the repository root, temp dirs an
unprivileged PostgreSQL can traverse, free ports, and the embedded NATS and PostgreSQL servers."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.devtools.settings import StackSettings
from services.devtools.stack import EmbeddedNats, EmbeddedPostgres, free_port

__all__ = ["REPO", "embedded_nats", "embedded_postgres", "free_port", "make_temp_dir"]

REPO = Path(__file__).resolve().parents[2]


def make_temp_dir(prefix: str) -> Path:
    """A temp dir an unprivileged postgres can traverse (pytest's own tmp dirs are 0700 as root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@contextmanager
def embedded_nats() -> Iterator[str]:
    """A NATS server with JetStream on a free port; yields its URL."""
    base = make_temp_dir("hot-nats-")
    server = EmbeddedNats(base, settings=StackSettings.from_env()).start()
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def embedded_postgres(*, fast_unsafe: bool = True) -> Iterator[str]:
    """A throw-away PostgreSQL on a free port (fsync off unless `fast_unsafe=False`); yields its DSN."""
    base = make_temp_dir("hot-pg-")
    server = EmbeddedPostgres(base, fast_unsafe=fast_unsafe, settings=StackSettings.from_env()).start()
    try:
        yield server.dsn
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
