"""Fixtures for the outbox: a real SMTP server (aiosmtpd) and a committed database senders can share."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, delete
from sqlmodel import Session

from app.config import Settings, get_settings
from app.db import make_engine
from app.outbox.models import OutboxMessage
from tests.support.database import migrated
from tests.support.live import free_port


@dataclass
class Mailbox:
    """Collects every envelope the SMTP server accepts, parsed as an email message."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Addresses this server refuses for good, as a server refuses a mailbox that does not exist.
    unknown: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.unknown:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = (envelope.original_content or envelope.content).replace(b"\r\n", b"\n")
        parsed = message_from_bytes(raw, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        with self.lock:
            return [str(message["Subject"]) for message in self.messages]


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 that can be started late, to play a mail server that was down."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_down() -> Iterator[SmtpServer]:
    """A mail server that is not listening yet: `.start()` brings it up on the same port."""
    server = SmtpServer(free_port())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp(smtp_down: SmtpServer) -> SmtpServer:
    """A running mail server."""
    return smtp_down.start()


def settings_for(server: SmtpServer) -> Settings:
    """The portal's settings with the sender pointed at `server`."""
    return get_settings().model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": server.port,
            "mail_from": "portal@prcn.example.org",
        }
    )


@pytest.fixture(scope="session")
def outbox_url(new_database: Callable[[str], str]) -> str:
    """A migrated database whose transactions really commit, so that several senders can share it."""
    return migrated(new_database("prcn_outbox"))


@pytest.fixture(scope="session")
def outbox_engine_shared(outbox_url: str) -> Iterator[Engine]:
    engine = make_engine(outbox_url)
    yield engine
    engine.dispose()


@pytest.fixture
def outbox_engine(outbox_engine_shared: Engine) -> Engine:
    """The committed outbox database, with an empty outbox at the start of each test."""
    with Session(outbox_engine_shared) as db:
        db.execute(delete(OutboxMessage))
        db.commit()
    return outbox_engine_shared
