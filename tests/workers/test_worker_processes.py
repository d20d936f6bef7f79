"""`serve --workers N`: each worker process accepts its own share of the connections, and one that dies is
replaced while the others go on serving."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live import LiveServer


def children(pid: int) -> list[int]:
    """The worker processes a server process started."""
    tasks = Path(f"/proc/{pid}/task")
    found: list[int] = []
    for task in tasks.iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return [child for child in found if is_worker(child)]


def is_worker(pid: int) -> bool:
    """Whether the process is alive and a worker (multiprocessing also starts a resource tracker)."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def established_sockets(port: int) -> set[str]:
    """The inodes of the server side of established TCP connections on `port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01":
                inodes.add(fields[9])
    return inodes


def sockets_of(pid: int) -> set[str]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[len("socket:[") : -1])
    return found


@pytest.fixture(scope="module")
def server(live_env: dict[str, str]) -> Iterator[LiveServer]:
    """One server for the module; the last test stops it."""
    running = LiveServer(live_env, workers=2).start()
    try:
        yield running
    finally:
        running.stop()


def wait_for_workers(server: LiveServer, count: int) -> list[int]:
    assert server.process is not None
    deadline = time.monotonic() + 120
    while len(workers := children(server.process.pid)) != count or not all(answers(server) for _ in workers):
        assert time.monotonic() < deadline, f"expected {count} workers, found {workers}"
        time.sleep(0.5)
    return workers


def answers(server: LiveServer) -> bool:
    try:
        return httpx.get(f"{server.url}/healthz", timeout=5).text == "ok"
    except httpx.HTTPError:
        return False


def test_keep_alive_connections_spread_over_the_workers(server: LiveServer) -> None:
    """Sixteen browsers keeping their connections open are served by both workers, not all by the first."""
    workers = wait_for_workers(server, 2)
    clients = [httpx.Client(base_url=server.url, timeout=20) for _ in range(16)]
    try:
        for client in clients:
            assert client.get("/healthz").text == "ok"
        open_connections = established_sockets(server.port)
        held = {pid: len(sockets_of(pid) & open_connections) for pid in workers}
    finally:
        for client in clients:
            client.close()
    assert sum(held.values()) == 16, held
    assert all(count > 0 for count in held.values()), f"connections per worker: {held}"


def test_a_worker_that_dies_is_replaced(server: LiveServer) -> None:
    first, second = wait_for_workers(server, 2)
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while is_worker(first):  # the signal is delivered, and the process ends, some time after kill() returns
        assert time.monotonic() < deadline, "the killed worker did not end"
        time.sleep(0.1)
    replaced = wait_for_workers(server, 2)
    assert first not in replaced and second in replaced
    assert answers(server)


def test_stopping_the_server_stops_its_workers(server: LiveServer) -> None:
    workers = wait_for_workers(server, 2)
    server.stop()
    deadline = time.monotonic() + 30
    while any(is_worker(pid) for pid in workers):
        assert time.monotonic() < deadline, "a worker outlived its server"
        time.sleep(0.2)
