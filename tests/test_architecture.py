"""Routes build no queries: what a page reads comes from a domain's `queries.py` (or its service), so the routes
modules and the pages of app/pages/ never call `select`, a session's `exec`, `execute`, `scalar(s)` or `get`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
QUERYING = ("exec", "execute", "scalar", "scalars")
BUILDS = "{}:{}: {}() builds a query in a route: read through the domain's queries.py"


def route_modules() -> list[Path]:
    """Every routes module of a domain and every page module."""
    found = {*APP.glob("*/routes.py"), *APP.glob("*/*_routes.py"), *APP.glob("pages/*.py")}
    return sorted(found)


def called(call: ast.Call) -> str | None:
    """The name of what a call queries with, or None when it does not query."""
    function = call.func
    if isinstance(function, ast.Name) and function.id == "select":
        return "select"
    if not isinstance(function, ast.Attribute):
        return None
    if function.attr == "select" or function.attr in QUERYING:
        return function.attr
    on_session = isinstance(function.value, ast.Name) and function.value.id == "session"
    return "session.get" if on_session and function.attr == "get" else None


def problems(source: str, where: str) -> list[str]:
    """Each query a module builds itself, as where:line: …"""
    return [
        BUILDS.format(where, node.lineno, name)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and (name := called(node)) is not None
    ]


def test_no_routes_module_or_page_builds_a_query() -> None:
    paths = route_modules()
    assert len(paths) > 10, f"too few routes modules under {APP}"
    found = [
        problem for path in paths for problem in problems(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("rows = queries.bodies(session)\n", []),
        ("value = values.get('state')\n", []),
        ("x = settings.get(1)\nselected = pick(select_box)\n", []),
        ("rows = session.exec(select(Body)).all()\n", [(1, "exec"), (1, "select")]),
        ("row = db.session.execute(text('SELECT 1'))\n", [(1, "execute")]),
        ("\n\nstate = session.get(MemberState, 1)\n", [(3, "session.get")]),
        ("rows = session.exec(service.select(MemberState))\n", [(1, "exec"), (1, "select")]),
        ("total = session.scalar(query)\n", [(1, "scalar")]),
    ],
)
def test_the_check_finds_the_calls_that_query(source: str, expected: list[tuple[int, str]]) -> None:
    assert sorted(problems(source, "m.py")) == sorted(BUILDS.format("m.py", line, name) for line, name in expected)
