"""Every `type: ignore` in app/ names its error codes and says why after them, and none hides an attribute or
call error (attr-defined, union-attr, call-arg, call-overload): those are fixed in the code instead."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
FORBIDDEN = ("attr-defined", "union-attr", "call-arg", "call-overload")
IGNORE = re.compile(r"type:\s*ignore\b(?P<codes>\[[^\]]*\])?(?P<rest>.*)")
REASON = re.compile(r"\s*#\s*\S")
NO_CODES = "a type: ignore must name its error codes, as in type: ignore[arg-type]"
NO_REASON = "a type: ignore must say why after its codes, as in type: ignore[misc]  # the reason"
HIDES = "type: ignore[{}] hides an attribute or call error: fix the code instead"


def problems(source: str, where: str) -> list[str]:
    """What is wrong with each `type: ignore` comment of `source` (strings are not comments), as where:line: …"""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        match = IGNORE.search(token.string) if token.type == tokenize.COMMENT else None
        if match is None:
            continue
        at = f"{where}:{token.start[0]}"
        codes = [code.strip() for code in (match["codes"] or "[]")[1:-1].split(",") if code.strip()]
        if not codes:
            found.append(f"{at}: {NO_CODES}")
        hidden = [code for code in codes if code in FORBIDDEN]
        if hidden:
            found.append(f"{at}: {HIDES.format(', '.join(hidden))}")
        if not REASON.match(match["rest"]):
            found.append(f"{at}: {NO_REASON}")
    return found


def test_every_type_ignore_in_app_names_its_codes_and_why_and_hides_no_attribute_or_call_error() -> None:
    paths = sorted(APP.rglob("*.py"))
    assert paths, f"no Python files under {APP}"
    found = [
        problem
        for path in paths
        for problem in problems(path.read_text(encoding="utf-8"), str(path.relative_to(APP.parent)))
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = f()  # type: ignore[misc]  # SQLModel's select() stops at four columns\n", []),
        ("x = f()  # type: ignore[arg-type, misc]  # two codes, one reason\n", []),
        ("x = f()  # noqa: E712  # type: ignore[misc]  # after another comment\n", []),
        ('x = "# type: ignore"\n', []),
        ("x = f()  # type: ignore\n", [f"m.py:1: {NO_CODES}", f"m.py:1: {NO_REASON}"]),
        ("x = f()  # type: ignore[]  # why\n", [f"m.py:1: {NO_CODES}"]),
        ("x = f()  # type: ignore[arg-type]\n", [f"m.py:1: {NO_REASON}"]),
        ("x = f()  # type: ignore[arg-type]  #\n", [f"m.py:1: {NO_REASON}"]),
        ("x = f()  # type: ignore[arg-type] because\n", [f"m.py:1: {NO_REASON}"]),
        (
            "\nx.y  # type: ignore[attr-defined]  # a reason does not excuse it\n",
            [f"m.py:2: {HIDES.format('attr-defined')}"],
        ),
        (
            "f(x)  # type:ignore[misc,union-attr,call-arg,call-overload]  # nor does a harmless code beside them\n",
            [f"m.py:1: {HIDES.format('union-attr, call-arg, call-overload')}"],
        ),
    ],
)
def test_the_check_reads_codes_and_reasons_from_comments_only(source: str, expected: list[str]) -> None:
    assert problems(source, "m.py") == expected
