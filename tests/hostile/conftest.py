"""The live portal (real uvicorn, real sessions) for the hostile tests that need HTTP between real programs."""

from __future__ import annotations

import pytest

from tests.support.live import LiveServer


@pytest.fixture(scope="package")
def live(live_server: LiveServer) -> LiveServer:
    return live_server
