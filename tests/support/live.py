"""The portal served by real uvicorn processes, for tests that need HTTP between real programs."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
# Importing the portal takes a few seconds of CPU; on a machine shared with other work that can be half a minute.
STARTUP_SECONDS = 120


# `make test` runs the suite on both databases at once, and both start servers at the same moments. A port taken
# from the kernel's shared pool can be handed to both runs: one run's server then fails to bind it, and that run's
# tests talk to the other run's portal, on the other database. So each run takes its ports from a block of its own,
# below the kernel's pool for outgoing connections (32768 and up).
# Outside the suite (the bench), any of them.
PORT_BLOCKS = {"sqlite": range(20000, 26000), "postgresql": range(26000, 32000), "any": range(20000, 32000)}


def _shuffled(block: range) -> Iterator[int]:
    ports = list(block)
    random.shuffle(ports)
    return iter(ports)


_ports = _shuffled(PORT_BLOCKS["any"])


def use_port_block(database: str) -> None:
    """Makes `free_port` hand out the ports of this database's run, in a random order, each once."""
    global _ports
    _ports = _shuffled(PORT_BLOCKS[database])


def free_port() -> int:
    """A port of this run's block that nothing listens on, never handed out before in this run."""
    for port in _ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port left in this run's block")


def wait_for(url: str, process: subprocess.Popen[bytes] | None = None, timeout: float = 90) -> None:
    """Waits for the address to answer; a busy machine can take long to start a server, an idle one does not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class LiveServer:
    """`python -m app serve` on a free port, with the given settings in its environment."""

    def __init__(self, env: dict[str, str], *, port: int | None = None, workers: int = 1) -> None:
        self.port = port or free_port()
        self.workers = workers
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PRCN_BASE_URL": self.url, **env}
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(env.get("PRCN_VAR_DIR", "/tmp")) / f"server-{self.port}.log"

    def start(self) -> LiveServer:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--no-sender",
                # Reminders and digests run only where a test drives the worker with its own clock.
                "--no-worker",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(f"{self.url}/healthz", self.process, timeout=STARTUP_SECONDS)
        except RuntimeError:
            self.stop()  # a server that did not answer in time is not left running after the test
            raise
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
