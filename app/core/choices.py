"""Closed lists of values a column may hold: each is a StrEnum, and the database refuses anything else."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint


def one_of(column: str, values: type[StrEnum], *, empty: bool = False) -> CheckConstraint:
    """A CHECK constraint keeping `column` to the values of `values` (and "" when `empty`), which the metadata's
    naming convention names ck_<table>_<column>."""
    allowed = ([""] if empty else []) + [member.value for member in values]
    listed = ", ".join(f"'{value}'" for value in allowed)
    return CheckConstraint(f"{column} IN ({listed})", name=column, info={"values": tuple(allowed)})
