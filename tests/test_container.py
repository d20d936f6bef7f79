"""The Dockerfile, built with podman on a local Debian base and run on the host network, bound to 127.0.0.1.

No registry is reachable from these machines, so the test makes its own base image (debootstrap of Debian
bookworm with Python 3.11, imported into podman once and reused) and builds the image offline from wheels made
on the host. The container runs the image's own `run` command (migrate, seed, first-admin link, serve), on
SQLite in the image's data directory and on a throwaway PostgreSQL cluster reached through its unix socket.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.factories import csrf_token, soup
from tests.support.containers import LIMITS, PODMAN, build_image, checked, podman_log_line, run, set_up_authenticator
from tests.support.live import free_port
from tests.support.pg import Cluster

pytestmark = pytest.mark.container

SECRET = "container-test-secret-key-0123456789abcdef"
NETWORK_NAME = "Pacific Region Cooperation Network in the Field of Peacekeeping"
ALLOWED_OPTIONS = ("diplomatic", "operational", "informal", "adhoc")


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_image(tmp_path_factory.mktemp("image"))


@dataclass
class Portal:
    """A running container of the portal and where it answers."""

    name: str
    url: str
    database: str

    def logs(self) -> str:
        """What the container wrote, stdout and stderr interleaved."""
        return subprocess.run(
            [*PODMAN, "logs", self.name],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=60,
            check=False,
        ).stdout


def start(image: str, database: str, *, extra: list[str] | None = None) -> Portal:
    """`podman run` of the image's `run` command on a free loopback port; waits until /healthz answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    name = f"prcn-test-{os.getpid()}-{port}"
    checked(
        [
            *PODMAN,
            "run",
            "--detach",
            "--name",
            name,
            "--network=host",
            *LIMITS,
            "--env",
            f"PRCN_SECRET_KEY={SECRET}",
            "--env",
            "PRCN_GOVERNANCE_OPTION=operational",
            "--env",
            f"PRCN_BASE_URL={url}",
            *(extra or []),
            image,
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
    )
    portal = Portal(name=name, url=url, database=database)
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).text == "ok":
                return portal
        except httpx.HTTPError:
            pass
        state = run([*PODMAN, "container", "inspect", "--format", "{{.State.Running}}", name]).stdout.strip()
        if state != "true" or time.monotonic() > deadline:
            logs = portal.logs()
            remove(portal)
            pytest.fail(f"the container did not serve {url}/healthz (running: {state}):\n{logs[-4000:]}")
        time.sleep(0.25)


def remove(portal: Portal) -> None:
    run([*PODMAN, "rm", "--force", "--time", "10", portal.name])


@pytest.fixture(scope="module")
def postgres() -> Iterator[Cluster]:
    """A throwaway PostgreSQL cluster on a unix socket that the container reaches through a bind mount."""
    cluster = Cluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def portal(request: pytest.FixtureRequest, image: str) -> Iterator[Portal]:
    """The container, on the image's default SQLite database or on PostgreSQL via PRCN_DATABASE_URL."""
    extra: list[str] = []
    if request.param == "postgresql":
        cluster: Cluster = request.getfixturevalue("postgres")
        url = cluster.create_database("prcn_container")
        socket_dir = str(cluster.socket_dir)
        extra = ["--volume", f"{socket_dir}:{socket_dir}", "--env", f"PRCN_DATABASE_URL={url}"]
    started = start(image, request.param, extra=extra)
    try:
        yield started
    finally:
        remove(started)


def test_home_page_served_from_the_image(portal: Portal) -> None:
    response = httpx.get(f"{portal.url}/", timeout=10)
    assert response.status_code == 200
    page = soup(response.text)
    title, heading = page.find("h1"), page.find(id="option-heading")
    assert title is not None and heading is not None
    assert title.get_text(strip=True) == NETWORK_NAME
    assert "Operational option" in heading.get_text()


def test_portal_runs_as_unprivileged_user(portal: Portal) -> None:
    exec_uid = checked([*PODMAN, "exec", portal.name, "id", "-u"]).strip()
    server_uid = checked([*PODMAN, "exec", portal.name, "stat", "-c", "%u", "/proc/1"]).strip()
    assert exec_uid != "0"
    assert server_uid == exec_uid, "the serving process (PID 1) runs as the image's user"


def test_first_admin_signs_in_with_link_from_the_logs(portal: Portal) -> None:
    """A fresh container prints a one-time link for the first admin; it works and the admin page shows the
    database the container was given."""
    links = re.findall(r"https?://\S+/auth/link/\S+", portal.logs())
    assert len(links) == 1, "one sign-in link is printed"
    assert links[0].startswith(f"{portal.url}/auth/link/"), "the link uses PRCN_BASE_URL"
    with httpx.Client(base_url=portal.url, timeout=10) as browser:
        form = browser.get(links[0])
        assert form.status_code == 200
        signed_in = browser.post(links[0], data={"csrf_token": csrf_token(form.text)})
        assert signed_in.status_code == 303
        set_up_authenticator(
            lambda method, path, data: browser.request(method, path, data=data), signed_in.headers["location"]
        )
        admin = browser.get("/admin")
    assert admin.status_code == 200
    rows = {}
    for row in soup(admin.text).find_all("tr"):
        key, value = row.find("th"), row.find("td")
        if key is not None and value is not None:
            rows[key.get_text(strip=True)] = value.get_text(strip=True)
    assert rows["PRCN_GOVERNANCE_OPTION"] == "operational"
    if portal.database == "postgresql":
        assert rows["PRCN_DATABASE_URL"].startswith("postgresql+psycopg://postgres@/prcn_container")
    else:
        assert rows["PRCN_DATABASE_URL"] == "sqlite:////var/lib/prcn/portal.sqlite3"
        owner = checked([*PODMAN, "exec", portal.name, "stat", "-c", "%U", "/var/lib/prcn/portal.sqlite3"])
        assert owner.strip() == "prcn"


def test_wrong_configuration_stops_the_container_with_one_line(image: str) -> None:
    done = run(
        [
            *PODMAN,
            "run",
            "--rm",
            "--network=host",
            *LIMITS,
            "--env",
            f"PRCN_SECRET_KEY={SECRET}",
            "--env",
            "PRCN_GOVERNANCE_OPTION=federal",
            image,
        ],
        timeout=120,
    )
    assert done.returncode == 2
    output = [line for line in (done.stdout + done.stderr).splitlines() if line.strip() and not podman_log_line(line)]
    assert len(output) == 1, output
    assert "PRCN_GOVERNANCE_OPTION" in output[0]
    assert "federal" in output[0]
    assert all(option in output[0] for option in ALLOWED_OPTIONS)
    assert "Traceback" not in done.stderr


def test_container_stops_cleanly(image: str) -> None:
    """`podman stop` (SIGTERM) ends the server itself with status 0, without waiting to be killed."""
    started = start(image, "sqlite")
    try:
        checked([*PODMAN, "stop", "--time", "30", started.name])
        status = checked([*PODMAN, "container", "inspect", "--format", "{{.State.ExitCode}}", started.name])
        assert status.strip() == "0"
        assert "Finished server process" in started.logs()
    finally:
        remove(started)
