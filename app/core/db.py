"""Database engine, metadata naming convention and the request session dependency."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, Protocol

from fastapi import Depends
from sqlalchemy import DateTime, Engine, event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine
from starlette.concurrency import run_in_threadpool

from app.core.config import get_settings
from app.core.errors import Conflict

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Stored(Protocol):
    """A table row: its primary key is None until the row is flushed."""

    @property
    def id(self) -> int | None: ...


def id_of(row: Stored) -> int:
    """The primary key of a row that has been stored (flushed), where an int is needed."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no primary key yet: it was never flushed")
    return row.id


@contextmanager
def once(session: Session, message: str, **params: Any) -> Iterator[None]:
    """Around the writes of something that exists once: when a request taken at the same moment stored it first, the
    database refuses the second (a unique index) and the user reads the refusal a sequential duplicate gets."""
    try:
        yield
    except IntegrityError:
        session.rollback()
        raise Conflict(message, **params) from None


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant, stored the same way on SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is expected")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # Let SQLAlchemy, not the sqlite3 module, open transactions, so that savepoints work.
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


# Whether the work under way may write (a request whose method is not a safe one, say): see `writes`.
writing: ContextVar[bool] = ContextVar("writing", default=False)


@contextmanager
def writes() -> Iterator[None]:
    """Within it, a transaction that begins on SQLite takes the write lock at once (waiting its turn), for work that
    writes: a request that may, a GET that stores something, a scheduled job."""
    token = writing.set(True)
    try:
        yield
    finally:
        writing.reset(token)


def _begin_sqlite(connection: Any) -> None:
    """A request that may write takes SQLite's write lock as its transactions begin (waiting its turn): a
    transaction that read first and writes later fails at once with "database is locked" when another request
    wrote in between, which waiting cannot cure."""
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing.get() else "BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@lru_cache
def get_engine() -> Engine:
    """The portal's engine; every domain's tables are registered first, so any command can flush any row."""
    import app.models  # noqa: F401

    return make_engine(get_settings().database_url)


def new_session() -> Session:
    """A session of the portal's engine; it takes a connection only when first used."""
    return Session(get_engine(), expire_on_commit=False)


async def get_session() -> AsyncIterator[Session]:
    """The request's session: made in the event loop, since making one does no I/O, and closed in a worker thread,
    since closing ends its transaction on the connection."""
    session = new_session()
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


SessionDep = Annotated[Session, Depends(get_session)]


def ping(session: Session) -> None:
    """Runs the cheapest statement there is: it fails when the database does not answer."""
    session.execute(text("SELECT 1"))
