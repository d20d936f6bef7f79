"""The W3C Nu HTML Checker (npm vnu-jar, on Java) over the pages walks read: each distinct page kept as a file, all
of them checked by one Java start, every error reported by page address and message."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# One short run: the quick compiler alone and one garbage-collection thread take half the processor time of Java's
# defaults for the same messages; the quick compiler's larger frames need a deeper stack than the default.
JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss8m")
VNU_JAR = ROOT / "tests" / "js" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@dataclass
class Keeper:
    """Keeps each page the walks read as a file, and who read it where; a page read the same twice, by one reader
    or by several, is kept once. Set `reader` before each walk."""

    folder: Path
    reader: str = ""
    pages: dict[str, str] = field(default_factory=dict)  # file name → reader and address
    seen: set[str] = field(default_factory=set)

    def __call__(self, url: str, html: str) -> None:
        digest = hashlib.sha256(html.encode()).hexdigest()
        if digest in self.seen:
            return
        self.seen.add(digest)
        name = f"page-{len(self.pages):04d}.html"
        (self.folder / name).write_text(html, encoding="utf-8")
        self.pages[name] = f"{self.reader}: {url}"


def check(keeper: Keeper) -> list[str]:
    """The checker's errors on the kept pages, one line each: address, line, message, and the code around it.
    One Java start reads every page."""
    files = [str(keeper.folder / name) for name in keeper.pages]
    done = subprocess.run(
        [
            "java",
            *JAVA_OPTIONS,
            "-jar",
            str(VNU_JAR),
            "--errors-only",
            "--exit-zero-always",
            "--format",
            "json",
            *files,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    try:
        messages = json.loads(done.stderr or done.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"the checker answered no JSON: {done.stdout[-500:]} {done.stderr[-1000:]}")
    errors = []
    for message in messages:
        if message.get("type") not in ("error", "non-document-error"):
            continue
        name = str(message.get("url", "")).rsplit("/", 1)[-1]
        extract = " ".join(str(message.get("extract", "")).split())
        errors.append(
            f"{keeper.pages.get(name, name)} line {message.get('lastLine', '?')}: {message.get('message')}"
            f" — {extract[:160]}"
        )
    return errors


def checker_ready() -> bool:
    return VNU_JAR.exists() and shutil.which("java") is not None
