"""The sender loop, run beside the app (a thread of `python -m app serve`, or `python -m app send-outbox`)."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.core.config import Settings
from app.core.db import get_engine
from app.outbox import service

log = logging.getLogger(__name__)


def run(settings: Settings, stop: threading.Event, *, interval: float = 5.0) -> None:
    """Delivers due messages every `interval` seconds until `stop` is set."""
    while not stop.is_set():
        try:
            with Session(get_engine(), expire_on_commit=False) as session:
                service.send_due(session, settings)
        except OperationalError as error:
            log.warning("outbox sender could not reach the database: %s", error)
        except Exception:
            # Whatever one pass met, the sender lives on to the next: it alone delivers every later email.
            log.exception("outbox sender pass failed; trying again in %s s", interval)
        stop.wait(interval)


def start_thread(settings: Settings, *, interval: float = 5.0) -> threading.Event:
    stop = threading.Event()
    thread = threading.Thread(
        target=run, args=(settings, stop), kwargs={"interval": interval}, name="outbox-sender", daemon=True
    )
    thread.start()
    return stop
