"""Fixtures of the Hot language tests."""

from __future__ import annotations

import pytest

from hotlang import RecordingHost


@pytest.fixture
def host() -> RecordingHost:
    return RecordingHost()
