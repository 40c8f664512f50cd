"""The pytest fixtures every kind of test may ask for (registered by `tests/conftest.py`).

`nats_url` and `pg_dsn` start their server once per session, on the first test that needs
it: unit tests ask for neither, so `make test-fast` starts nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.support.api import ApiClient
from tests.support.servers import embedded_nats, embedded_postgres
from tests.support.stack import Stack, open_stack


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    """A NATS server with JetStream for the whole session."""
    with embedded_nats() as url:
        yield url


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """A PostgreSQL server for the whole session (tests needing isolation take `stack`)."""
    with embedded_postgres() as dsn:
        yield dsn


@pytest.fixture
async def stack(pg_dsn: str, nats_url: str) -> AsyncIterator[Stack]:
    """A fresh database with its own environment and an in-process ingest server."""
    async with open_stack(pg_dsn, nats_url) as opened:
        yield opened


@pytest.fixture()
def api(platform: Any) -> Iterator[ApiClient]:
    """An API client with the platform's key, for modules that define a `platform` fixture."""
    with platform.client() as client:
        yield client
