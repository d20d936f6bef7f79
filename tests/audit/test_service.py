"""The audit log line of a change is written when its transaction commits, never for a change rolled back."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.audit import service as audit


def audit_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "prcn.audit"]


def change(session: Session, entity_id: int) -> None:
    audit.record(session, actor_id=None, action="update", entity="member_state", entity_id=entity_id)


def line(entity_id: int) -> str:
    return f"actor=None action=update entity=member_state id={entity_id}"


@pytest.fixture
def audit_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="prcn.audit")
    return caplog


def test_a_committed_change_logs_its_line_at_the_commit(session: Session, audit_log: pytest.LogCaptureFixture) -> None:
    change(session, 1)
    assert audit_lines(audit_log) == []
    session.commit()
    assert audit_lines(audit_log) == [line(1)]


def test_a_change_rolled_back_logs_no_line(session: Session, audit_log: pytest.LogCaptureFixture) -> None:
    change(session, 1)
    session.rollback()
    session.commit()
    assert audit_lines(audit_log) == []


def test_a_savepoint_rolled_back_drops_its_own_lines_only(
    session: Session, audit_log: pytest.LogCaptureFixture
) -> None:
    change(session, 1)
    savepoint = session.begin_nested()
    change(session, 2)
    savepoint.rollback()
    change(session, 3)
    session.commit()
    assert audit_lines(audit_log) == [line(1), line(3)]


def test_savepoints_inside_one_rolled_back_go_with_it(session: Session, audit_log: pytest.LogCaptureFixture) -> None:
    change(session, 1)
    outer = session.begin_nested()
    change(session, 2)
    session.begin_nested().commit()
    inner = session.begin_nested()
    change(session, 3)
    inner.commit()
    session.begin_nested()
    change(session, 4)
    outer.rollback()
    session.commit()
    assert audit_lines(audit_log) == [line(1)]


def test_a_released_savepoint_waits_for_the_commit_around_it(
    session: Session, audit_log: pytest.LogCaptureFixture
) -> None:
    with session.begin_nested():
        change(session, 1)
    assert audit_lines(audit_log) == []
    session.commit()
    assert audit_lines(audit_log) == [line(1)]


def test_a_released_savepoint_is_dropped_when_the_transaction_around_it_rolls_back(
    session: Session, audit_log: pytest.LogCaptureFixture
) -> None:
    with session.begin_nested():
        change(session, 1)
    session.rollback()
    session.commit()
    assert audit_lines(audit_log) == []


def test_a_session_closed_without_commit_logs_no_line(engine: Engine, audit_log: pytest.LogCaptureFixture) -> None:
    with Session(engine) as db:
        change(db, 1)
    with Session(engine) as db:
        db.commit()
    assert audit_lines(audit_log) == []
