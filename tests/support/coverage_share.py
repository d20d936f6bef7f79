"""With `--coverage-share`, a run measures coverage for its share of the tests only: the two database runs of
`make test` each trace half the suite, and their measurements are combined.

Tracing makes a test that runs the portal in-process about two thirds slower, and a test measured on both databases
adds nothing to the combined figure but the branches that only one database takes. So the PostgreSQL run measures
the tests that need PostgreSQL and half of the other test files, chosen by a checksum of their path; the SQLite run
measures the other half.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import coverage
import pytest

DATABASES = ("sqlite", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--coverage-share",
        action="store_true",
        help="measure coverage only for this database's share of the tests (the other run measures the rest)",
    )


def measured_on(item: pytest.Item) -> str:
    """The database whose run measures this test's coverage."""
    if item.get_closest_marker("postgres_only") is not None:
        return "postgresql"
    test_file = item.nodeid.split("::", 1)[0]
    return DATABASES[zlib.crc32(test_file.encode()) % 2]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    running = coverage.Coverage.current()
    if (
        running is None
        or not item.config.getoption("--coverage-share")
        or measured_on(item) == item.config.getoption("--db")
    ):
        yield
        return
    running.stop()
    try:
        yield
    finally:
        running.start()
