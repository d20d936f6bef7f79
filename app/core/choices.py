"""Closed lists of values a column may hold: each is a StrEnum, a fixed dictionary of labels or a tuple of whole
numbers, and the database refuses anything else."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import CheckConstraint


def one_of(column: str, values: Iterable[str] | Iterable[int], *, empty: bool = False) -> CheckConstraint:
    """A CHECK constraint keeping `column` to `values`, a StrEnum, the keys of a label dictionary or whole numbers (and
    "" when `empty`), which the metadata's naming convention names ck_<table>_<column>."""
    allowed = ([""] if empty else []) + [value if isinstance(value, int) else str(value) for value in values]
    listed = ", ".join(str(value) if isinstance(value, int) else f"'{value}'" for value in allowed)
    return CheckConstraint(f"{column} IN ({listed})", name=column, info={"values": tuple(allowed)})
