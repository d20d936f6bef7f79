"""The HTTP server processes: one uvicorn server, or several that share the load fairly.

uvicorn's own `--workers` share one listening socket; whichever worker wakes first accepts, so a burst of
keep-alive connections can all land on one worker while the others idle. Here each worker binds its own socket
to the same port with SO_REUSEPORT, and the kernel spreads new connections across them as they arrive.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

from app.core.config import Settings

log = logging.getLogger(__name__)


def _config(settings: Settings, host: str, port: int) -> Any:
    import uvicorn

    from app.core import edge

    return uvicorn.Config(
        "app.main:app_factory",
        factory=True,
        host=host,
        port=port,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        # Named rather than left to "auto", which falls back to the pure-Python ones without a word when missing.
        loop="uvloop",
        http="httptools",
        log_level="info",
        log_config=edge.access_log_config(),
    )


def _own_socket(host: str, port: int) -> socket.socket:
    """A listening socket on host:port that other workers may bind too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listening.bind((host, port))
    listening.listen(2048)
    listening.set_inheritable(True)
    return listening


def _worker(host: str, port: int) -> None:
    """One worker process: its own socket, one uvicorn server."""
    import uvicorn

    from app.core.config import get_settings

    uvicorn.Server(_config(get_settings(), host, port)).run(sockets=[_own_socket(host, port)])


def run(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serves until stopped: in this process when `workers` is 1, else in `workers` processes, each restarted
    if it dies."""
    if workers <= 1:
        import uvicorn

        uvicorn.Server(_config(settings, host, port)).run()
        return
    context = multiprocessing.get_context("spawn")
    stopping = False

    def start() -> BaseProcess:
        process = context.Process(target=_worker, args=(host, port), name="portal-worker")
        process.start()
        return process

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    try:
        _own_socket(host, port).close()
    except OSError as error:
        raise SystemExit(f"Cannot listen on {host}:{port}: {error.strerror}") from None
    running = [start() for _ in range(workers)]
    log.info("serving with %d worker processes: %s", workers, ", ".join(str(p.pid) for p in running))
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping:
            for index, process in enumerate(running):
                if not process.is_alive() and not stopping:
                    log.warning("worker %s ended (exit %s); starting another", process.pid, process.exitcode)
                    running[index] = start()
            time.sleep(0.5)
    finally:
        for process in running:
            if process.is_alive() and process.pid is not None:
                process.terminate()
        for process in running:
            process.join(timeout=30)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
