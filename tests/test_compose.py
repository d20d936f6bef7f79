"""compose.yaml brought up with podman-compose on the host's network (deploy/compose.host.yaml): PostgreSQL, two app
containers, the worker and Caddy terminating TLS. A person signs in through one app container and acts through the
other; the worker container delivers the email that action queued; the proxy serves over verified TLS.
"""

from __future__ import annotations

import os
import re
import secrets
import ssl
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import pytest

from tests.factories import csrf_token, soup
from tests.support.containers import BASE_IMAGE, PODMAN, ROOT, build_image, checked, run, set_up_authenticator
from tests.support.live import free_port
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.container

PROJECT = "prcn-compose-test"
COMPOSE = [str(Path(sys.executable).parent / "podman-compose"), "-p", PROJECT]
COMPOSE += ["-f", "compose.yaml", "-f", "deploy/compose.host.yaml"]


@dataclass
class Stack:
    """The running services and where they answer."""

    env: dict[str, str]
    app1: str
    app2: str
    https: str
    http: str
    mailbox: SmtpServer

    def logs(self, service: str, *, timestamps: bool = False) -> str:
        done = run([*PODMAN, "logs", *(["--timestamps"] if timestamps else []), f"{PROJECT}_{service}_1"])
        return done.stdout + done.stderr

    def compose(self, *arguments: str, timeout: float = 600) -> str:
        return checked_in_root([*COMPOSE, *arguments], self.env, timeout=timeout)


def checked_in_root(command: list[str], env: dict[str, str], *, timeout: float) -> str:
    import subprocess

    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{(done.stdout + done.stderr)[-4000:]}"
    return done.stdout


def remove_leftovers() -> None:
    """Containers, pod and volumes a killed earlier run of this test left behind."""
    names = run([*PODMAN, "ps", "-a", "--format", "{{.Names}}"]).stdout.split()
    mine = [name for name in names if name.startswith(f"{PROJECT}_")]
    if mine:
        run([*PODMAN, "rm", "-f", *mine])
    run([*PODMAN, "pod", "rm", "-f", f"pod_{PROJECT}"])
    volumes = run([*PODMAN, "volume", "ls", "--format", "{{.Name}}"]).stdout.split()
    ours = [volume for volume in volumes if volume.startswith(f"{PROJECT}_")]
    if ours:
        run([*PODMAN, "volume", "rm", "-f", *ours])


def wait_for(url: str, *, verify: ssl.SSLContext | bool = False, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=3, verify=verify).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer within {seconds:.0f} s"
        time.sleep(1)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("compose")
    image = build_image(work)
    conf = work / "containers.conf"
    # What `PODMAN` passes on its command line, for the podman processes podman-compose starts.
    conf.write_text(
        '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\nruntime = "runc"\n'
    )
    for service in ("postgres", "proxy"):
        tag = "localhost/prcn-postgres:15" if service == "postgres" else "localhost/prcn-proxy:latest"
        checked(
            [*PODMAN, "build", "--network=host", "--build-arg", f"BASE_IMAGE={BASE_IMAGE}", "--tag", tag,
             "--file", str(ROOT / "deploy" / service / "Containerfile"), str(ROOT / "deploy" / service)],
            timeout=900,
        )  # fmt: skip
    mailbox = SmtpServer(free_port()).start()
    ports = {name: str(free_port()) for name in ("DB", "APP1", "APP2", "HTTP", "HTTPS")}
    env = {
        **os.environ,
        "CONTAINERS_CONF": str(conf),
        "PRCN_IMAGE": image,
        "PRCN_DB_PASSWORD": secrets.token_urlsafe(16),
        "PRCN_SECRET_KEY": secrets.token_urlsafe(40),
        "PRCN_SITE": "127.0.0.1",
        "PRCN_SMTP_HOST": "127.0.0.1",
        "PRCN_SMTP_PORT": str(mailbox.port),
        "PRCN_MAIL_FROM": "portal@prcn.example.org",
        **{f"PRCN_{name}_PORT": port for name, port in ports.items()},
    }
    remove_leftovers()
    running = Stack(
        env=env,
        app1=f"http://127.0.0.1:{ports['APP1']}",
        app2=f"http://127.0.0.1:{ports['APP2']}",
        https=f"https://127.0.0.1:{ports['HTTPS']}",
        http=f"http://127.0.0.1:{ports['HTTP']}",
        mailbox=mailbox,
    )
    try:
        running.compose("up", "-d")
        for url in (running.app1, running.app2):
            wait_for(f"{url}/healthz")
        yield running
    finally:
        try:
            run_down = [*COMPOSE, "down", "-v", "-t", "10"]
            checked_in_root(run_down, env, timeout=300)
        finally:
            remove_leftovers()
            mailbox.stop()


class Visitor:
    """A client that keeps its cookies by hand: the portal's cookies are Secure, so no client would send them over
    plain HTTP on its own; the test stands where the proxy would, in front of one app container or the other."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def send(self, method: str, url: str, data: dict[str, str] | None = None) -> httpx.Response:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        response = httpx.request(method, url, headers={"Cookie": cookie}, data=data, timeout=20)
        for header in response.headers.get_list("set-cookie"):
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response


def test_both_app_containers_migrated_once_and_serve_one_database(stack: Stack) -> None:
    """The two app containers started together: one migrated and loaded the seeds, the other found them done."""
    seeded = [re.search(r"Seeds loaded from \S+ \((\d+) new states\)", stack.logs(app)) for app in ("app1", "app2")]
    assert all(seeded), "each app container ran its start-up steps"
    assert sorted(int(found.group(1)) for found in seeded if found)[0] == 0, "the second found the seeds loaded"
    for url in (stack.app1, stack.app2):
        assert httpx.get(f"{url}/healthz", timeout=5).text == "ok"


def test_signed_in_through_one_app_container_acting_through_the_other(stack: Stack) -> None:
    """The session lives in PostgreSQL: a sign-in on app1 is honoured by app2, whose change the worker container
    then delivers by email."""
    links = sorted(
        (line.split(" ", 1)[0], link)
        for app in ("app1", "app2")
        for line in stack.logs(app, timestamps=True).splitlines()
        for link in re.findall(r"https://\S+/auth/link/[\w-]{43}", line)  # podman may join the next line to it
    )
    assert links, "an app container printed the first admin's sign-in link"
    # Each app container prints a link as it starts; a new link replaces the one before, so the last one works.
    path = links[-1][1].split("127.0.0.1", 1)[1].split("/", 1)[1]
    visitor = Visitor()
    form = visitor.send("GET", f"{stack.app1}/{path}")
    assert form.status_code == 200
    signed_in = visitor.send("POST", f"{stack.app1}/{path}", data={"csrf_token": csrf_token(form.text)})
    assert signed_in.status_code == 303
    set_up_authenticator(
        lambda method, where, data: visitor.send(method, f"{stack.app1}{where}", data), signed_in.headers["location"]
    )
    users = visitor.send("GET", f"{stack.app2}/admin/users")
    assert users.status_code == 200, "app2 knows the session app1 opened"
    created = visitor.send(
        "POST",
        f"{stack.app2}/admin/users",
        data={
            "email": "ana.sapolu@mic.gov.to",
            "display_name": "ʻAna Sāpolu",
            "role": "coordinator",
            "member_state_id": "",
            "organisation": "UN DPO",
            "csrf_token": csrf_token(users.text),
        },
    )
    assert created.status_code == 303 and created.headers["location"] == "/admin/users?notice=account-created"
    deadline = time.monotonic() + 90
    while not any(recipients == ["ana.sapolu@mic.gov.to"] for recipients in stack.mailbox.mailbox.recipients):
        assert time.monotonic() < deadline, f"the worker delivered nothing; its log:\n{stack.logs('worker')[-2000:]}"
        time.sleep(1)
    message = stack.mailbox.mailbox.messages[-1]
    assert "/auth/link/" in message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def test_proxy_terminates_tls_compresses_and_balances(stack: Stack, tmp_path: Path) -> None:
    """Caddy answers over TLS with a certificate from its own authority, redirects plain HTTP, compresses pages,
    and sends requests to both app containers."""
    root = tmp_path / "root.crt"
    checked([*PODMAN, "cp", f"{PROJECT}_proxy_1:/data/caddy/pki/authorities/local/root.crt", str(root)])
    trusted = ssl.create_default_context(cafile=str(root))
    wait_for(f"{stack.https}/healthz", verify=trusted)
    with httpx.Client(base_url=stack.https, verify=trusted, timeout=10) as visitor:
        home = visitor.get("/", headers={"Accept-Encoding": "gzip"})
        assert home.status_code == 200 and home.headers.get("content-encoding") == "gzip"
        assert soup(home.text).find("h1") is not None
        before = {app: stack.logs(app).count('"GET /healthz?proxied') for app in ("app1", "app2")}
        for _ in range(6):
            assert visitor.get("/healthz?proxied").text == "ok"
    after = {app: stack.logs(app).count('"GET /healthz?proxied') for app in ("app1", "app2")}
    assert all(after[app] > before[app] for app in after), f"requests per app container: {after}"
    redirect = httpx.get(f"{stack.http}/", timeout=10)
    assert redirect.status_code in (301, 308) and redirect.headers["location"].startswith("https://127.0.0.1")
