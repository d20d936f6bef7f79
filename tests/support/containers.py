"""Container images for the container tests, built with podman on a local Debian base, offline.

No registry is reachable from these machines, so the base image is made here (debootstrap of Debian bookworm with
Python 3.11, imported into podman once and reused) and the portal's image is built from host-built wheels.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pyotp

from tests.factories import csrf_token, soup

ROOT = Path(__file__).resolve().parents[2]
BASE_IMAGE = "localhost/prcn-debian-python:bookworm"
IMAGE = "localhost/prcn-portal:container-test"
MIRROR = "http://deb.debian.org/debian"
PODMAN = ["podman", "--runtime", "runc"]  # crun fails on this machine's cgroup layout
LIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]


def run(command: list[str], *, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Runs a command, capturing its output as text."""
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def checked(command: list[str], *, timeout: float = 600) -> str:
    """Runs a command and fails the test with the end of its output when it fails."""
    done = run(command, timeout=timeout)
    output = (done.stdout + done.stderr)[-4000:]
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{output}"
    return done.stdout


def podman_log_line(line: str) -> bool:
    """A line podman itself writes (warnings of the engine), as opposed to the container's output."""
    return line.startswith('time="') or re.match(r"^(WARN|ERRO|INFO)\[\d+\]", line) is not None


def image_id(name: str) -> str | None:
    done = run([*PODMAN, "image", "inspect", "--format", "{{.Id}}", name])
    return done.stdout.strip() if done.returncode == 0 else None


def make_base_image() -> None:
    """Debian bookworm (Python 3.11, venv, pip) from the Debian mirror, imported into podman; made once."""
    if run([*PODMAN, "image", "exists", BASE_IMAGE]).returncode == 0:
        return
    with tempfile.TemporaryDirectory(prefix="prcn-debootstrap-") as work:
        rootfs = Path(work) / "rootfs"
        checked(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=python3,python3-venv,python3-pip",
                "bookworm",
                str(rootfs),
                MIRROR,
            ],
            timeout=900,
        )
        tar = subprocess.Popen(
            ["tar", "-C", str(rootfs), "--exclude=./var/cache/apt/archives/*.deb", "-c", "."], stdout=subprocess.PIPE
        )
        imported = subprocess.run(
            [*PODMAN, "import", "-", BASE_IMAGE],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert tar.stdout is not None
        tar.stdout.close()
        assert tar.wait() == 0, "tar of the Debian root file system failed"
        assert imported.returncode == 0, f"podman import failed:\n{imported.stderr[-2000:]}"


def build_context(directory: Path) -> Path:
    """The repository as `docker build .` sees it (.dockerignore applies at build time), plus wheels/.

    The wheels are those of the versions pinned in requirements.lock, the ones the Dockerfile installs; building
    them from the list rather than from the project keeps build/ out of the working tree and keeps the
    image's dependency layer cached while only the app's code changes.
    """
    context = directory / "context"
    shutil.copytree(
        ROOT,
        context,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "node_modules",
            "var",
            "build",
            "dist",
            "*.egg-info",
            "__pycache__",
            ".*_cache",
            "wheels",
            ".wheels",
        ),
    )
    requirements = ROOT / "requirements.lock"
    checked(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "-w",
            str(context / "wheels"),
            "-r",
            str(requirements),
        ]
    )
    return context


def build_image(directory: Path) -> str:
    """The portal's image, built from the Dockerfile on the Debian base, offline from host-built wheels."""
    assert os.geteuid() == 0, "the container test runs as root (debootstrap, podman with runc)"
    make_base_image()
    context = build_context(directory)
    previous = image_id(IMAGE)
    checked(
        [
            *PODMAN,
            "build",
            "--network=host",
            *LIMITS,
            "--build-arg",
            f"BASE_IMAGE={BASE_IMAGE}",
            "--tag",
            IMAGE,
            str(context),
        ],
        timeout=900,
    )
    current = image_id(IMAGE)
    if previous and previous != current:
        run([*PODMAN, "rmi", previous])  # the image this build replaced; kept if something still uses it
    return IMAGE


def set_up_authenticator(send: Callable[[str, str, dict[str, str] | None], httpx.Response], location: str) -> None:
    """Follows sign-in to the authenticator set-up the default policy asks of an admin, and confirms it with a
    code computed as the app would: the first admin of a new portal meets this page first."""
    assert location.startswith("/account/second-factor"), f"sign-in went to {location}, not to the set-up"
    page = send("GET", location, None)
    assert page.status_code == 200
    secret = soup(page.text).select_one("#totp-secret")
    assert secret is not None, "the set-up page shows the key as text"
    next_field = soup(page.text).select_one("input[name=next]")
    confirmed = send(
        "POST",
        "/account/second-factor",
        {
            "code": pyotp.TOTP(secret.get_text(strip=True)).now(),
            "next": str(next_field["value"]) if next_field else "",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert confirmed.status_code == 200
    assert len(soup(confirmed.text).select("#recovery-codes code")) == 10, "the ten recovery codes are shown once"
