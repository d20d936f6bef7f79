"""Every column whose values are a closed list (statuses, kinds, roles, answers, languages, jobs, windows of days)
refuses a value outside it, in the database itself: a service with a bug cannot store a status no page knows how to
show."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count
from typing import Any

import pytest
from sqlalchemy import CheckConstraint, Column, Connection, Table, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401
from app.core.region import BODY_KINDS, TRACKS
from app.governance.models import TRACKS as TRACK_LABELS
from app.governance.models import BodyKind
from app.notifications.models import Job
from app.notifications.service import jobs

LISTS = sorted(
    (
        (table, constraint)
        for table in SQLModel.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint) and "values" in constraint.info
    ),
    key=lambda pair: str(pair[1].name),
)


def _listed_column(constraint: CheckConstraint) -> str:
    return str(constraint.sqltext).split(" IN ", 1)[0]


def _stored(connection: Connection, table: Table, numbers: count[int]) -> int:
    """Stores a row of `table` with a listed value in each listed column and rows for what it refers to; its id."""
    values = {column.name: _value(connection, column, numbers) for column in table.columns if _required(column)}
    key = connection.execute(table.insert().values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def _required(column: Column[Any]) -> bool:
    return not (column.primary_key or column.nullable or column.default is not None or column.server_default)


def _value(connection: Connection, column: Column[Any], numbers: count[int]) -> object:
    if column.foreign_keys:
        return _stored(connection, next(iter(column.foreign_keys)).column.table, numbers)
    for constraint in column.table.constraints:
        if isinstance(constraint, CheckConstraint) and _listed_column(constraint) == column.name:
            return next(value for value in constraint.info["values"] if value)
    kind = getattr(column.type, "impl", column.type).python_type
    if kind is str:
        length = getattr(column.type, "length", None) or 20
        return str(next(numbers))[-length:]
    return {int: 1, bool: False, date: date.today(), datetime: datetime.now(UTC), object: []}[kind]


@pytest.mark.parametrize(
    ("table", "constraint"), LISTS, ids=[f"{table.name}.{_listed_column(constraint)}" for table, constraint in LISTS]
)
def test_a_value_outside_the_list_is_refused(session: Session, table: Table, constraint: CheckConstraint) -> None:
    connection = session.connection()
    row = _stored(connection, table, count(1_000_000))
    column = table.c[_listed_column(constraint)]
    with pytest.raises(IntegrityError) as refused, connection.begin_nested():
        connection.execute(update(table).where(table.c.id == row).values({column: _unlisted(column, constraint)}))
    assert str(constraint.name) in str(refused.value)


def _unlisted(column: Column[Any], constraint: CheckConstraint) -> object:
    """A value outside the list that the column's type takes: PostgreSQL refuses a word in an integer column, or one
    longer than a string column, before it reads the check."""
    values = constraint.info["values"]
    if isinstance(values[0], int):
        return max(values) + 1
    return "unlisted"[: getattr(column.type, "length", None)]


def test_every_status_column_has_its_list() -> None:
    listed = {f"{table.name}.{_listed_column(constraint)}" for table, constraint in LISTS}
    assert {"capacity_need.status", "nomination.status", "user_account.role", "outbox_message.status"} <= listed


def test_every_kind_and_purpose_column_has_its_list() -> None:
    listed = {f"{table.name}.{_listed_column(constraint)}" for table, constraint in LISTS}
    assert {
        "body.kind",
        "working_group_event.kind",
        "meeting_document.kind",
        "one_time_token.purpose",
        "webauthn_challenge.purpose",
        "sign_in_failure.kind",
        "meeting.format",
        "meeting_series.cadence",
        "agenda_item.part",
        "decision.part",
    } <= listed


def test_every_area_track_category_and_option_column_has_its_list() -> None:
    listed = {f"{table.name}.{_listed_column(constraint)}" for table, constraint in LISTS}
    assert {
        "capacity_need.area",
        "capacity_need.track",
        "capacity_need.priority",
        "capacity_support.area",
        "capacity_support.track",
        "training_offer.track",
        "body.track",
        "working_group.track",
        "option_switch.option",
        "option_switch.previous",
        "member_state.status",
        "focal_point.portfolio",
        "contribution_report.category",
        "pledge.category",
        "pledge.readiness",
    } <= listed


def test_every_language_job_and_window_column_has_its_list() -> None:
    listed = {f"{table.name}.{_listed_column(constraint)}" for table, constraint in LISTS}
    assert {
        "user_account.language",
        "library_document.language",
        "job_run.job",
        "notification.job",
        "pledge.deployment_days",
    } <= listed


def test_the_jobs_that_run_are_the_jobs_the_database_accepts() -> None:
    assert list(jobs()) == list(Job)


def test_a_window_of_days_is_listed_as_numbers() -> None:
    window = next(constraint for _, constraint in LISTS if str(constraint.name) == "ck_pledge_deployment_days")
    assert str(window.sqltext) == "deployment_days IN (30, 60, 90)"


def test_the_seeds_accept_the_kinds_of_body_the_database_does() -> None:
    assert set(BODY_KINDS) == set(BodyKind)


def test_the_seeds_accept_the_tracks_the_database_does() -> None:
    assert set(TRACKS) == set(TRACK_LABELS)
