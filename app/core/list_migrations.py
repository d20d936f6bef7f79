"""What a migration that closes columns to their lists does: it refuses rows holding a value outside a list before
changing anything, then adds (or drops) one CHECK constraint per column. On SQLite each table is copied to change
its constraints, and foreign keys are checked once, after every copy, because rows of other tables refer to the
copied ones."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import groupby

import sqlalchemy as sa
from alembic import op

# (table, column, allowed values), grouped by table; "" is allowed where a column is empty until something happens.
# The values are words, or whole numbers for an integer column (written without quotes in its condition).
Values = tuple[str, ...] | tuple[int, ...]
Lists = tuple[tuple[str, str, Values], ...]


class StrayValues(RuntimeError):
    """Rows hold values outside their lists: the upgrade stops before changing anything, naming each one."""


def add_checks(lists: Lists) -> None:
    """Adds a CHECK constraint per listed column, once no row holds a value outside its list."""
    bind = op.get_bind()
    _refuse_values_outside_lists(bind, lists)
    with _foreign_keys_checked_at_the_end(bind):
        for table, columns in _by_table(lists):
            with op.batch_alter_table(table) as batch:
                for column, values in columns:
                    batch.create_check_constraint(op.f(_name(table, column)), _condition(column, values))


def drop_checks(lists: Lists) -> None:
    """Drops the CHECK constraint of each listed column."""
    with _foreign_keys_checked_at_the_end(op.get_bind()):
        for table, columns in _by_table(lists):
            with op.batch_alter_table(table) as batch:
                for column, _ in columns:
                    batch.drop_constraint(op.f(_name(table, column)), type_="check")


def _name(table: str, column: str) -> str:
    return f"ck_{table}_{column}"


def _condition(column: str, values: Values) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _refuse_values_outside_lists(bind: sa.Connection, lists: Lists) -> None:
    """Stops the upgrade, naming every column that holds a value outside its list: no page knows how to show such a
    value, and guessing what it meant would rewrite the network's records silently."""
    found = []
    for table, column, values in lists:
        kind = sa.Integer() if isinstance(values[0], int) else sa.String()
        held = sa.table(table, sa.column(column, kind)).c[column]
        strays = sorted(bind.execute(sa.select(held).distinct().where(held.not_in(values))).scalars())
        if strays:
            allowed = ", ".join(map(str, values))
            found.append(f"{table}.{column} holds {', '.join(map(repr, strays))} (allowed: {allowed})")
    if found:
        raise StrayValues("Correct these rows, then migrate again: " + "; ".join(found))


@contextmanager
def _foreign_keys_checked_at_the_end(bind: sa.Connection) -> Iterator[None]:
    """On SQLite, turns foreign keys off while tables are copied (the pragma only changes between transactions),
    then checks every reference once and turns them back on."""
    if bind.dialect.name != "sqlite":
        yield
        return
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    bind.exec_driver_sql("BEGIN")
    try:
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"Rows refer to rows that no longer exist: {broken}")
    except BaseException:
        bind.exec_driver_sql("ROLLBACK")
        raise
    else:
        bind.exec_driver_sql("COMMIT")
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")
        bind.exec_driver_sql("BEGIN")


def _by_table(lists: Lists) -> Iterator[tuple[str, list[tuple[str, Values]]]]:
    for table, rows in groupby(lists, key=lambda row: row[0]):
        yield table, [(column, values) for _, column, values in rows]
