"""A real OpenID Connect provider for tests: tests/js/oidc-provider.mjs run by Node on a free loopback port.

The provider signs in whoever the identity file names at the moment it signs the tokens, so a test chooses
who signs in by calling `identify(...)` before starting the flow.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from tests.support.live import ROOT, free_port

SCRIPT = ROOT / "tests" / "js" / "oidc-provider.mjs"
READY_TIMEOUT = 20.0


class OidcProvider:
    """`node tests/js/oidc-provider.mjs PORT IDENTITY_FILE`, started and stopped by the test run."""

    def __init__(self, work_dir: Path, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.work_dir = work_dir
        self.identity_file = work_dir / f"oidc-identity-{self.port}.json"
        self.log = work_dir / f"oidc-provider-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log_handle: IO[bytes] | None = None

    def start(self) -> OidcProvider:
        """Starts the provider and returns once it has printed its `ready URL` line."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.identify(subject="nobody", email="nobody@example.org")
        self._log_handle = self.log.open("wb")
        self.process = subprocess.Popen(
            ["node", str(SCRIPT), str(self.port), str(self.identity_file)],
            cwd=SCRIPT.parent,
            stdout=subprocess.PIPE,
            stderr=self._log_handle,
        )
        try:
            announced = self._ready_line()
        except BaseException:
            self.stop()
            raise
        if announced != self.url:
            self.stop()
            raise RuntimeError(f"the OpenID provider announced {announced}, expected {self.url}")
        return self

    def _ready_line(self) -> str:
        """The URL from the provider's `ready URL` line, waiting at most READY_TIMEOUT seconds."""
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + READY_TIMEOUT
        output = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while b"\n" not in output:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"the OpenID provider was not ready within {READY_TIMEOUT} s: {self._log()}")
                if not selector.select(left):
                    continue
                chunk = os.read(self.process.stdout.fileno(), 4096)
                if not chunk:
                    raise RuntimeError(f"the OpenID provider exited with {self.process.wait()}: {self._log()}")
                output += chunk
        line = output.split(b"\n", 1)[0].decode().strip()
        if not line.startswith("ready "):
            raise RuntimeError(f"unexpected first line from the OpenID provider: {line!r}")
        return line.removeprefix("ready ")

    def _log(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    def identify(
        self,
        *,
        subject: str,
        email: str | None,
        email_verified: bool | None = True,
        name: str = "Test Person",
        **claims: Any,
    ) -> None:
        """Makes the next sign-in at the provider carry these claims (None leaves a claim out)."""
        identity: dict[str, Any] = {"sub": subject, "name": name, **claims}
        if email is not None:
            identity["email"] = email
        if email_verified is not None:
            identity["email_verified"] = email_verified
        # Written aside and renamed, so that the provider never reads a half-written file.
        handle, temporary = tempfile.mkstemp(dir=self.work_dir, suffix=".json")
        with os.fdopen(handle, "w") as out:
            json.dump(identity, out)
        os.replace(temporary, self.identity_file)

    def stop(self) -> None:
        """Ends the provider process (killed if it does not stop on its own)."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None
