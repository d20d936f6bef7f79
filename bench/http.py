"""`make bench` over HTTP: requests per second and latency (p50, p99) of the meeting page, the member directory and
the bare `/healthz` (the framework's floor), served by `python -m app serve` with 1, 2 and 4 worker processes on a
throwaway PostgreSQL, loaded by wrk (16 keep-alive connections); with the CPU each worker process used.

The figures are added to var/bench.json under "http".
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.support.live import free_port, wait_for
from tests.support.pg import Cluster

DURATION = os.environ.get("PRCN_BENCH_HTTP_SECONDS", "8")
CONNECTIONS = 16
WORKER_COUNTS = (1, 2, 4)
TICKS = os.sysconf("SC_CLK_TCK")
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
WRK = shutil.which("wrk") or "/usr/bin/wrk"


@dataclass
class Load:
    page: str
    workers: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    cpu_seconds_per_worker: list[float]


def found(pattern: str, text: str) -> str:
    """The first group of `pattern` in wrk's report."""
    match = re.search(pattern, text)
    if match is None:
        raise SystemExit(f"wrk's report has no {pattern!r}:\n{text}")
    return match.group(1)


def milliseconds(text: str) -> float:
    """A wrk duration (e.g. 850.00us, 4.12ms, 1.02s) in milliseconds."""
    unit = found(r"(us|ms|s)$", text)
    return round(float(text.removesuffix(unit)) * UNITS[unit], 2)


def wrk(url: str, cookie: str) -> tuple[float, float, float]:
    """Requests per second, p50 and p99 in ms."""
    done = subprocess.run(
        [WRK, "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", "-H", f"Cookie: {cookie}", url],
        capture_output=True,
        text=True,
        check=True,
    )
    rate = float(found(r"Requests/sec:\s+([\d.]+)", done.stdout))
    p50 = milliseconds(found(r"\s50%\s+(\S+)", done.stdout))
    p99 = milliseconds(found(r"\s99%\s+(\S+)", done.stdout))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses under load")
    return rate, p50, p99


def worker_pids(server: int) -> list[int]:
    """The processes serving requests: the worker processes, or the server itself when it has none."""
    found = []
    for task in Path(f"/proc/{server}/task").iterdir():
        for child in (task / "children").read_text().split():
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
    return found or [server]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def measure(env: dict[str, str], workers: int, pages: list[tuple[str, str]], cookie: str) -> list[Load]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", str(workers), "--no-sender"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/healthz", server, timeout=120)
        time.sleep(2 if workers > 1 else 0)  # every worker up before the load starts
        results = []
        for label, path in pages:
            wrk(f"{base}{path}", cookie)  # warm-up: connections, caches, the database's plans
            pids = worker_pids(server.pid)
            before = [cpu_seconds(pid) for pid in pids]
            rate, p50, p99 = wrk(f"{base}{path}", cookie)
            used = [round(cpu_seconds(pid) - start, 1) for pid, start in zip(pids, before, strict=True)]
            results.append(Load(label, workers, rate, p50, p99, used))
        return results
    finally:
        server.terminate()
        server.wait(30)


def main() -> int:
    if not Path(WRK).exists():
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    cluster = Cluster().start()
    try:
        url = cluster.create_database("prcn_bench_http")
        os.environ["PRCN_BENCH_DATABASE_URL"] = url
        from bench import __main__ as inprocess  # configures the app for that database

        settings = inprocess.get_settings()
        inprocess.migrate(settings)
        with inprocess.Session(inprocess.get_engine()) as session:
            inprocess.seeds.load(session, settings.seeds_dir)
        meeting = next(path for label, path, _ in inprocess.meetings_pages() if label == "/meetings/{id}")
        cookie = f"{inprocess.SESSION_COOKIE}={inprocess.session_token('focal_point')}"
        env = {**os.environ, "PRCN_DATABASE_URL": url}
        pages = [("/healthz", "/healthz"), ("/meetings/{id}", meeting), ("/members", "/members")]
        results = [load for workers in WORKER_COUNTS for load in measure(env, workers, pages, cookie)]
    finally:
        cluster.stop()
    print(f"\nOver HTTP, PostgreSQL, wrk {CONNECTIONS} connections, {DURATION} s per figure, {os.cpu_count()} cores")
    print(f"{'page':<18}{'workers':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'/ floor':>9}  CPU s per worker")
    floor = {load.workers: load.requests_per_second for load in results if load.page == "/healthz"}
    for load in results:
        share = load.requests_per_second / floor[load.workers]
        print(
            f"{load.page:<18}{load.workers:>8}{load.requests_per_second:>9.0f}{load.p50_ms:>9}{load.p99_ms:>9}"
            f"{share:>9.2f}  {' '.join(str(cpu) for cpu in load.cpu_seconds_per_worker)}"
        )
    out = inprocess.ROOT / "var" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    figures = json.loads(out.read_text()) if out.exists() else {}
    figures["http"] = [asdict(load) for load in results]
    out.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
