"""One migrated database per run (SQLite or PostgreSQL, chosen by --db); each test in a rolled-back transaction."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

WORK = Path(tempfile.mkdtemp(prefix="prcn-test-"))
os.environ.update(
    {
        "PRCN_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "PRCN_VAR_DIR": str(WORK / "var"),
        "PRCN_BASE_URL": "http://testserver",
        "PRCN_DATABASE_URL": f"sqlite:///{WORK / 'placeholder.sqlite3'}",
        # No role must use a second factor, so the suite signs admins and coordinators in with a password alone;
        # the second factor's own tests set the policy they test.
        "PRCN_MFA_REQUIRED_ROLES": "",
    }
)
MINE = ("PRCN_SECRET_KEY", "PRCN_VAR_DIR", "PRCN_BASE_URL", "PRCN_DATABASE_URL", "PRCN_MFA_REQUIRED_ROLES")
for key in [k for k in os.environ if k.startswith("PRCN_") and k not in MINE]:
    del os.environ[key]

from sqlalchemy import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from tests.support.database import migrate  # noqa: E402
from tests.support.live import LiveServer, use_port_block  # noqa: E402
from tests.support.pg import Cluster  # noqa: E402
from tests.support.portal import Portal  # noqa: E402

pytest_plugins = ["tests.support.timing", "tests.support.coverage_share"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the database the suite runs on",
    )


def pytest_configure(config: pytest.Config) -> None:
    """The servers this run starts take their ports from its database's block, apart from the other run's."""
    use_port_block(config.getoption("--db"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that need PostgreSQL (row locks, several processes on one database) are deselected on SQLite runs."""
    if config.getoption("--db") == "postgresql":
        return
    deselected = [item for item in items if item.get_closest_marker("postgres_only") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item.get_closest_marker("postgres_only") is None]


@pytest.fixture(scope="session")
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


@pytest.fixture(scope="session")
def cluster(db_kind: str) -> Iterator[Cluster | None]:
    """The throwaway PostgreSQL cluster of this run (None on SQLite); stopped at the end."""
    if db_kind != "postgresql":
        yield None
        return
    started = Cluster().start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def new_database(cluster: Cluster | None):  # type: ignore[no-untyped-def]
    """Makes an empty database and returns its URL."""

    def make(name: str) -> str:
        if cluster is None:
            return f"sqlite:///{WORK / (name + '.sqlite3')}"
        return cluster.create_database(name)

    return make


def use_database(url: str) -> None:
    """Points the app's settings and engine at `url`."""
    from app.core.config import get_settings
    from app.core.db import get_engine

    os.environ["PRCN_DATABASE_URL"] = url
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture(scope="session")
def database_url(new_database) -> str:  # type: ignore[no-untyped-def]
    url = new_database("prcn_test")
    migrate(url)
    use_database(url)
    from app import seeds
    from app.core.config import get_settings
    from app.core.db import get_engine

    with Session(get_engine()) as session:
        seeds.load(session, get_settings().seeds_dir)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Engine:
    from app.core.db import get_engine

    return get_engine()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose commits are savepoints inside one transaction rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        transaction.rollback()
        connection.close()


@pytest.fixture(scope="session")
def app(engine: Engine):  # type: ignore[no-untyped-def]
    from app.main import create_app

    return create_app()


@pytest.fixture
def client(app, session: Session):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from app.core.db import get_session

    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as test_client:
        yield test_client
    app.dependency_overrides.clear()


@pytest.fixture
def work_dir() -> Path:
    return WORK


@pytest.fixture(scope="session")
def live_env(new_database, database_url: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Settings for portal processes started by a test: their own migrated, seeded database.

    The rolled-back test transactions never see it, so live servers and tests do not block each other.
    """
    import subprocess
    import sys

    url = new_database("prcn_live")
    migrate(url)
    env = {
        "PRCN_DATABASE_URL": url,
        "PRCN_SECRET_KEY": os.environ["PRCN_SECRET_KEY"],
        "PRCN_VAR_DIR": str(WORK / "live-var"),
        # The tests stand where a reverse proxy would: they give each browser its own address.
        "PRCN_TRUSTED_PROXIES": "127.0.0.1",
    }
    subprocess.run(
        [sys.executable, "-m", "app", "seed"], env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL
    )
    return env


@pytest.fixture(scope="session")
def live_engine(live_env: dict[str, str]) -> Iterator[Engine]:
    """An engine on the live servers' database, to arrange data for them and check what they wrote."""
    from app.core.db import make_engine

    engine = make_engine(live_env["PRCN_DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_env: dict[str, str]) -> Iterator[LiveServer]:
    """One `python -m app serve` on the live database, under the default option, shared by the tests that need one."""
    live = LiveServer(live_env).start()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def portal(session: Session) -> Iterator[Portal]:
    """Start it with `portal.run(option)`; the configuration is restored afterwards."""
    from app.core.config import get_settings

    with pytest.MonkeyPatch.context() as patch:
        running = Portal(session, patch)
        try:
            yield running
        finally:
            running.close()
    get_settings.cache_clear()
