"""Fixtures for the outbox: a real SMTP server (aiosmtpd) and a committed database senders can share."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session

from app.core.config import Settings, get_settings
from app.core.db import make_engine
from app.outbox.models import OutboxMessage
from tests.support.database import migrated
from tests.support.live import free_port
from tests.support.smtp import SmtpServer


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
