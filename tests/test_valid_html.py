"""Valid HTML on every page: under each governance option, each role walks the portal as tests/test_crawl.py does
(every link followed, every form sent), every page read is kept, and the W3C Nu HTML Checker (npm vnu-jar, on
Java) reads all of one role's pages at once. Any error fails the test, listed by page and message.

Run alone: `.venv/bin/python -m pytest tests/test_valid_html.py --db=sqlite` (scripts/test-deps.sh installs the
checker and Java)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlmodel import Session

from tests.governance.conftest import OPTIONS
from tests.support.crawl import ROLES, Crawler, walker
from tests.support.portal import Portal

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = ROOT / "tests" / "js" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@dataclass
class Keeper:
    """Keeps each page a walk reads as a file (a page read twice the same is kept once), and its address."""

    folder: Path
    pages: dict[str, str] = field(default_factory=dict)  # file name → address
    seen: set[str] = field(default_factory=set)

    def __call__(self, url: str, html: str) -> None:
        digest = hashlib.sha256(html.encode()).hexdigest()
        if digest in self.seen:
            return
        self.seen.add(digest)
        name = f"page-{len(self.pages):04d}.html"
        (self.folder / name).write_text(html, encoding="utf-8")
        self.pages[name] = url


def check(keeper: Keeper) -> list[str]:
    """The checker's errors on the kept pages, one line each: address, line, message, and the code around it.
    One Java start reads every page."""
    files = [str(keeper.folder / name) for name in keeper.pages]
    done = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--exit-zero-always", "--format", "json", *files],
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


@pytest.mark.parametrize("option", OPTIONS)
def test_every_page_each_role_reaches_is_valid_html(
    option: str, portal: Portal, session: Session, tmp_path: Path
) -> None:
    assert VNU_JAR.exists() and shutil.which("java"), "the HTML checker or Java is missing: run scripts/test-deps.sh"
    portal.run(option)
    errors = []
    for role in ROLES:
        user = walker(session, role)
        keeper = Keeper(tmp_path / role)
        keeper.folder.mkdir()
        own = (f"/admin/users/{user.id}",) if user else ()
        Crawler(portal.client(user), skip=own, read=keeper).walk("/dashboard", "/")
        assert len(keeper.pages) > 5, f"{role} read almost nothing"
        found = check(keeper)
        print(f"{option}, {role}: {len(keeper.pages)} pages, {len(found)} errors")
        errors += [f"{role}: {error}" for error in found]
    assert not errors, f"{len(errors)} errors under {option}:\n" + "\n".join(errors)
