"""Lighthouse scores (mobile, simulated slow 4G) for the public page, the sign-in page and a meeting page, measured
against a real server with Debian's Chromium. Reported by `make bench`, never a pass/fail test."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from app.core.config import ROOT

LIGHTHOUSE = ROOT / "bench" / "js" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = Path("/usr/bin/chromium")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(port: int) -> subprocess.Popen[bytes]:
    """The portal on the bench's database, as `python -m app serve` runs it."""
    env = {**os.environ, "PRCN_BASE_URL": f"http://127.0.0.1:{port}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--no-sender"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the portal did not start for Lighthouse")


def _audit(url: str, cookie: str) -> dict[str, int]:
    """One Lighthouse run (its default: a mobile device on simulated slow 4G); each category's score out of 100."""
    with tempfile.TemporaryDirectory() as out:
        report = Path(out) / "report.json"
        command = [
            str(LIGHTHOUSE),
            url,
            f"--chrome-path={CHROMIUM}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
            f"--only-categories={','.join(CATEGORIES)}",
            "--output=json",
            f"--output-path={report}",
            "--quiet",
        ]
        if cookie:
            command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
        subprocess.run(command, check=True, timeout=300, env={**os.environ, "CHROME_PATH": str(CHROMIUM)})
        categories = json.loads(report.read_text())["categories"]
    return {name: round((categories[name]["score"] or 0) * 100) for name in CATEGORIES}


def scores(pages: list[tuple[str, str, str]]) -> list[dict[str, object]]:
    """Each page (label, path, Cookie header or "") audited once; an empty list, said why, when a tool is missing."""
    missing = [str(tool) for tool in (LIGHTHOUSE, CHROMIUM) if not tool.exists()]
    if missing:
        print(f"Lighthouse not run: {', '.join(missing)} missing (make bench installs them)")
        return []
    port = _free_port()
    server = _serve(port)
    try:
        return [{"page": label, **_audit(f"http://127.0.0.1:{port}{path}", cookie)} for label, path, cookie in pages]
    finally:
        server.terminate()
        server.wait(10)
