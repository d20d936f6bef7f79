"""Prints, at the end of a run, the time its tests took per part of the suite (tests/<part>/, set-up included)."""

from __future__ import annotations

from collections import defaultdict

import pytest

_seconds: dict[str, float] = defaultdict(float)
_counts: dict[str, int] = defaultdict(int)


def part_of(nodeid: str) -> str:
    """`tests/meetings/test_x.py::test_y` → `meetings`; a file directly in tests/ counts as `(top)`."""
    parts = nodeid.split("::", 1)[0].split("/")
    return parts[1] if len(parts) > 2 else "(top)"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    part = part_of(report.nodeid)
    _seconds[part] += report.duration
    if report.when == "call":
        _counts[part] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _seconds:
        return
    terminalreporter.section("time per part of the suite (set-up, test and tear-down)")
    for part, seconds in sorted(_seconds.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"{part:<16} {_counts[part]:>5} tests {seconds:>7.0f} s")
    terminalreporter.write_line(f"{'total':<16} {sum(_counts.values()):>5} tests {sum(_seconds.values()):>7.0f} s")
