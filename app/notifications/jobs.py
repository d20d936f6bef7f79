"""The worker loop: every minute, each scheduled job for the moment read from the clock. Run as a thread of
`python -m app serve` (unless --no-worker) or alone with `python -m app worker`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.core.clock import now
from app.core.config import Settings
from app.core.db import get_engine
from app.notifications import service

log = logging.getLogger(__name__)

INTERVAL = 60.0
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Summary:
    """What one job did, readable after its session has closed."""

    job: str
    sent: int
    skipped: int
    failed: int
    deferred: int
    error: str


def run_once(settings: Settings, *, now: datetime) -> list[Summary]:
    """Every job once for `now`; what a job met is recorded on its run, the other jobs still run."""
    with Session(get_engine(), expire_on_commit=False) as session:
        # Read inside the session: a later job's rollback (its lock held elsewhere) expires the earlier records.
        return [
            Summary(run.job, run.sent, run.skipped, run.failed, run.deferred, run.error)
            for run in service.run_due(session, settings, now=now)
        ]


def run(settings: Settings, stop: threading.Event, *, clock: Clock = now, interval: float = INTERVAL) -> None:
    """Runs the jobs every `interval` seconds until `stop` is set."""
    while not stop.is_set():
        try:
            run_once(settings, now=clock())
        except OperationalError as error:
            log.warning("scheduled jobs could not reach the database: %s", error)
        except Exception:
            # The worker lives on to the next minute: a reminder not decided now is decided then.
            log.exception("scheduled jobs failed; trying again in %s s", interval)
        stop.wait(interval)


def start_thread(settings: Settings, *, interval: float = INTERVAL) -> threading.Event:
    stop = threading.Event()
    thread = threading.Thread(
        target=run, args=(settings, stop), kwargs={"interval": interval}, name="scheduled-jobs", daemon=True
    )
    thread.start()
    return stop
