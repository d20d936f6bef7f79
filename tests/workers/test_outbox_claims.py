"""On PostgreSQL a sender skips the rows another sender is claiming, instead of waiting or taking them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session

from app.outbox import service as outbox
from tests.support.database import migrated

pytestmark = pytest.mark.postgres_only


@pytest.fixture(scope="module")
def engine(new_database: Callable[[str], str]) -> Iterator[Engine]:
    # A claim that waited for the other sender's lock would fail after 5 s instead of hanging.
    engine = create_engine(migrated(new_database("prcn_claims")), connect_args={"options": "-c lock_timeout=5000"})
    yield engine
    engine.dispose()


def test_rows_locked_by_another_sender_are_skipped(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as db:
        messages = [outbox.queue(db, recipient="fp@example.org", subject=f"Minutes {n}", body="…") for n in range(6)]
        db.commit()
        ids = [message.id for message in messages]

    with engine.connect() as other_sender:
        held = other_sender.begin()
        locked = (
            other_sender.execute(text("SELECT id FROM outbox_message ORDER BY id LIMIT 3 FOR UPDATE")).scalars().all()
        )
        assert list(locked) == ids[:3]
        with Session(engine, expire_on_commit=False) as db:
            assert [message.id for message in outbox.claim_due(db, limit=3)] == ids[3:]
            assert outbox.claim_due(db, limit=3) == []
        held.rollback()  # that sender died before its claim was committed

    with Session(engine, expire_on_commit=False) as db:
        assert [message.id for message in outbox.claim_due(db, limit=3)] == ids[:3]
