"""Command line: `python -m app run|serve|migrate|seed|signin-link|send-outbox|worker|check-config`.

A wrong configuration value stops any command with one line naming the key, and exit status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError

from app.core.config import ROOT, ConfigurationError, Settings, get_settings
from app.core.list_migrations import StrayValues
from app.core.region import SeedError

# The advisory lock held while one process migrates and seeds (any constant unique to the portal).
SET_UP_LOCK = 70312026


def migrate(settings: Settings) -> None:
    """Brings the database schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    if settings.database_url.startswith("sqlite:///"):
        from pathlib import Path

        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    command.upgrade(config, "head")


def check_seeds(settings: Settings) -> None:
    """Reads and checks every seed file, so that a wrong one stops start-up with its message."""
    from app import seeds

    seeds.check(settings.seeds_dir)


def seed(settings: Settings) -> None:
    from sqlmodel import Session

    from app import seeds
    from app.core.db import get_engine

    with Session(get_engine()) as session:
        added = seeds.load(session, settings.seeds_dir)
    print(f"Seeds loaded from {settings.seeds_dir} ({added} new states).")


def wait_for_database(seconds: float) -> None:
    """Waits up to `seconds` for the database to answer (a container may start before its database does)."""
    import time

    from sqlalchemy import text

    from app.core.db import get_engine

    deadline = time.monotonic() + seconds
    while True:
        try:
            with get_engine().connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except OperationalError:
            if time.monotonic() >= deadline:
                raise
            print("Waiting for the database…", flush=True)
            time.sleep(2)


@contextmanager
def one_at_a_time(settings: Settings) -> Iterator[None]:
    """On PostgreSQL, holds a lock for the block, so that app containers starting together migrate and seed in
    turn: the first does the work, the next finds it done."""
    if not settings.database_url.startswith("postgresql"):
        yield
        return
    from sqlalchemy import text

    from app.core.db import get_engine

    with get_engine().connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SET_UP_LOCK})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SET_UP_LOCK})


def first_admin(settings: Settings, email: str) -> None:
    from sqlmodel import Session

    from app.auth import service
    from app.core.db import get_engine

    with Session(get_engine()) as session:
        link = service.ensure_first_admin(session, settings, email=email)
    if link:
        print(f"One-time sign-in link for the first admin ({email}), valid {settings.signin_link_hours} hours:")
        print(f"  {link}")
    else:
        print("An admin with a password exists. A new link: python -m app signin-link EMAIL")


def signin_link(settings: Settings, email: str) -> None:
    from sqlmodel import Session

    from app.auth import service
    from app.core.db import get_engine

    with Session(get_engine()) as session:
        user = service.find_user_by_email(session, email)
        if user is None:
            raise SystemExit(f"No account uses {email}.")
        print(service.sign_in_link(session, settings, user=user))


def record_option(settings: Settings) -> None:
    """Appends the option to its history when it changed since the last start."""
    from sqlmodel import Session

    from app.core.db import get_engine
    from app.governance import service

    with Session(get_engine(), expire_on_commit=False) as session:
        switch = service.record_option(session, settings.governance_option)
    if switch is not None and switch.previous:
        print(
            f"Governance option switched from {switch.previous} to {switch.option}: what the new option does "
            "not use is now dormant, nothing was deleted."
        )


def serve(settings: Settings, host: str, port: int, workers: int, sender: bool, worker: bool = True) -> None:
    from app import serving
    from app.main import create_app
    from app.notifications import jobs
    from app.outbox import sender as outbox_sender

    create_app()  # builds once here, so that a wrong route or seed stops start-up with its message
    record_option(settings)
    if sender and settings.smtp_enabled:
        outbox_sender.start_thread(settings)
    if worker:
        jobs.start_thread(settings)
    print(f"Serving the portal on http://{host}:{port}/ (governance option: {settings.governance_option})")
    serving.run(settings, host, port, workers)


def send_outbox(settings: Settings, once: bool) -> None:
    import threading

    from sqlmodel import Session

    from app.core.db import get_engine
    from app.outbox import sender, service

    if not settings.smtp_enabled:
        raise SystemExit("PRCN_SMTP_HOST is not set: messages stay on the admin outbox page.")
    if once:
        with Session(get_engine(), expire_on_commit=False) as session:
            print(f"{service.send_due(session, settings)} message(s) sent.")
        return
    sender.run(settings, threading.Event())


def worker(settings: Settings, *, once: bool, at: str, sender: bool) -> None:
    """The scheduled jobs every minute (and the outbox sender, unless told not to); `--once` runs them once, for
    the moment `--at` (an ISO instant) when given: to catch up by hand, or for tests that travel in time."""
    import threading
    from datetime import UTC, datetime

    from app.core import clock
    from app.notifications import jobs
    from app.outbox import sender as outbox_sender

    now = clock.now()
    if at:
        try:
            now = datetime.fromisoformat(at)
        except ValueError:
            raise SystemExit(f"--at {at!r} is not an ISO date and time.") from None
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    if once:
        for run in jobs.run_once(settings, now=now):
            left = f", {run.deferred} left for the next run" if run.deferred else ""
            print(f"{run.job}: {run.sent} sent, {run.skipped} skipped, {run.failed} failed{left} {run.error}".rstrip())
        return
    if sender and settings.smtp_enabled:
        outbox_sender.start_thread(settings)
    jobs.run(settings, threading.Event())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "serve"):
        command = commands.add_parser(name, help="migrate, seed and serve" if name == "run" else "serve")
        command.add_argument("--host", default="127.0.0.1")
        command.add_argument("--port", type=int, default=8000)
        command.add_argument("--workers", type=int, default=1)
        command.add_argument("--no-sender", action="store_true", help="do not deliver the outbox here")
        command.add_argument("--no-worker", action="store_true", help="do not run the scheduled jobs here")
        command.add_argument("--admin-email", default="admin@example.org")
        command.add_argument("--wait", type=float, default=60, help="seconds to wait for the database to answer")
    commands.add_parser("migrate")
    commands.add_parser("seed")
    commands.add_parser("check-config")
    link = commands.add_parser("signin-link")
    link.add_argument("email")
    outbox = commands.add_parser("send-outbox")
    outbox.add_argument("--once", action="store_true")
    scheduled = commands.add_parser("worker", help="run the scheduled jobs (reminders) every minute")
    scheduled.add_argument("--once", action="store_true", help="run every job once and stop")
    scheduled.add_argument("--at", default="", help="with --once: the moment to run for (ISO), instead of now")
    scheduled.add_argument("--no-sender", action="store_true", help="do not deliver the outbox here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")

    try:
        settings = get_settings()
        settings.secret()
        if args.command in ("run", "serve", "check-config"):
            check_seeds(settings)
        actions: dict[str, Callable[[], None]] = {
            "migrate": lambda: migrate(settings),
            "seed": lambda: seed(settings),
            "check-config": lambda: print(f"Configuration is valid (option: {settings.governance_option})."),
            "signin-link": lambda: signin_link(settings, args.email),
            "send-outbox": lambda: send_outbox(settings, args.once),
            "worker": lambda: worker(settings, once=args.once, at=args.at, sender=not args.no_sender),
        }
        if args.command == "run":
            wait_for_database(args.wait)
            with one_at_a_time(settings):
                migrate(settings)
                seed(settings)
                first_admin(settings, args.admin_email)
        if args.command in ("run", "serve"):
            serve(settings, args.host, args.port, args.workers, not args.no_sender, not args.no_worker)
        elif args.command in actions:
            actions[args.command]()
    except ConfigurationError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    except SeedError as error:
        print(f"Seed error: {error}", file=sys.stderr)
        return 2
    except StrayValues as error:
        print(f"Migration stopped: {error}", file=sys.stderr)
        return 2
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        print(f"Database error: PRCN_DATABASE_URL cannot be used ({reason})", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
