"""One live portal (real uvicorn, real sessions) for the hostile tests that need HTTP between real programs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.live import LiveServer


@pytest.fixture(scope="package")
def live(live_env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(live_env).start()
    try:
        yield server
    finally:
        server.stop()
