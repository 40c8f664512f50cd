"""Session fixtures: real NATS (JetStream) and PostgreSQL on free ports, and a running `hot dev`."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.devtools.settings import StackSettings
from services.devtools.stack import EmbeddedNats, EmbeddedPostgres


def make_temp_dir(prefix: str) -> Path:
    """A temp dir an unprivileged postgres can traverse (pytest's own tmp dirs are 0700 as root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    base = make_temp_dir("hot-nats-")
    server = EmbeddedNats(base, settings=StackSettings.from_env()).start()
    yield server.url
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    base = make_temp_dir("hot-pg-")
    server = EmbeddedPostgres(base, fast_unsafe=True, settings=StackSettings.from_env()).start()
    yield server.dsn
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture()
def api(platform: Any) -> Iterator[Any]:
    """An HTTP client with the platform's API key, for modules that define a `platform` fixture."""
    with platform.client() as client:
        yield client
