"""Two people acting on one course at the same instant, each in a transaction of its own on PostgreSQL: the last
seat goes to one candidate only, and two focal points of one state cannot nominate past the state's quota."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from app import seeds
from app.auth.models import User
from app.core.config import get_settings
from app.core.db import make_engine
from app.core.errors import Conflict
from app.outbox.models import OutboxMessage
from app.training import service
from app.training.models import Nomination, TrainingOffer
from tests.factories import make_user, state
from tests.support.database import migrated

pytestmark = pytest.mark.postgres_only

Action = Callable[[Session], object]


@pytest.fixture(scope="module")
def engine(new_database: Callable[[str], str]) -> Iterator[Engine]:
    """A committed, migrated and seeded database of its own."""
    engine = make_engine(migrated(new_database("prcn_allocation_race")))
    with Session(engine) as db:
        seeds.load(db, get_settings().seeds_dir)
    yield engine
    engine.dispose()


def focal_point(db: Session, code: str) -> User:
    return make_user(db, role="focal_point", member_state_id=state(db, code).id, password=None)


def open_course(db: Session, provider: User, *, seats: int, per_state: int) -> TrainingOffer:
    """A police course Fiji's focal point offers and publishes, starting in two months."""
    first_day = date.today() + timedelta(days=60)
    offer = service.create_offer(
        db,
        user=provider,
        form=service.OfferForm(
            title="SAAT preparation, Suva",
            course_type="saat-preparation",
            track="police",
            starts_on=first_day.isoformat(),
            ends_on=(first_day + timedelta(days=4)).isoformat(),
            deadline_on=(first_day - timedelta(days=15)).isoformat(),
            seats=seats,
            seats_per_state=per_state,
            languages=["en"],
            online=True,
            zone="Pacific/Fiji",
        ),
    )
    service.set_status(db, get_settings(), user=provider, offer=offer, status="published")
    return offer


def blocked(engine: Engine) -> int:
    """How many sessions on this database wait for a lock (the first in line behind the holder, the next ones
    behind the first)."""
    with engine.connect() as probe:
        return int(
            probe.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND cardinality(pg_blocking_pids(pid)) > 0"
                )
            ).scalar_one()
        )


@dataclass
class Result:
    returned: object = None
    error: BaseException | None = None


def together(engine: Engine, offer_id: int, actions: list[Action]) -> list[Result]:
    """Starts each action in its own thread and transaction while a third transaction holds the offer's row, waits
    until all of them are stuck behind that lock, then lets them race for it."""
    results = [Result() for _ in actions]

    def run(action: Action, result: Result) -> None:
        try:
            with Session(engine, expire_on_commit=False) as db:
                result.returned = action(db)
        except BaseException as error:  # noqa: BLE001 - handed to the test
            result.error = error

    with engine.connect() as gate:
        holding = gate.begin()
        gate.execute(text("SELECT id FROM training_offer WHERE id = :id FOR UPDATE"), {"id": offer_id})
        threads = [threading.Thread(target=run, args=pair) for pair in zip(actions, results, strict=True)]
        for thread in threads:
            thread.start()
        give_up = time.monotonic() + 30
        while blocked(engine) < len(actions) and time.monotonic() < give_up:
            if any(r.error for r in results):
                break
            time.sleep(0.02)
        all_waiting = blocked(engine) == len(actions)
        holding.rollback()
    for thread in threads:
        thread.join(timeout=60)
    assert all_waiting, f"the requests did not meet at the locked offer: {results}"
    return results


def test_two_providers_giving_the_last_seat_to_two_people_at_once_seat_only_one_and_tell_only_that_state(
    engine: Engine,
) -> None:
    settings = get_settings()
    with Session(engine, expire_on_commit=False) as db:
        provider, colleague = focal_point(db, "FJ"), focal_point(db, "FJ")
        offer = open_course(db, provider, seats=2, per_state=2)
        nominators = {code: focal_point(db, code) for code in ("CK", "WS", "PG")}
        candidates = {
            code: service.nominate(
                db,
                user=user,
                offer=offer,
                form=service.CandidateForm(full_name=f"Candidate from {code}", gender="woman"),
            )
            for code, user in nominators.items()
        }
        service.allocate(
            db,
            settings,
            user=provider,
            offer=offer,
            decisions={candidates["CK"].id: "accepted"},  # type: ignore[dict-item]
            reasons={},
        )

    def accept(user_id: int, nomination_id: int) -> Action:
        def action(db: Session) -> object:
            user, course = db.get(User, user_id), db.get(TrainingOffer, offer.id)
            assert user is not None and course is not None
            return service.allocate(
                db, settings, user=user, offer=course, decisions={nomination_id: "accepted"}, reasons={}
            )

        return action

    results = together(
        engine,
        offer.id,
        [
            accept(provider.id, candidates["WS"].id),  # type: ignore[arg-type]
            accept(colleague.id, candidates["PG"].id),
        ],
    )  # type: ignore[arg-type]

    refused = [r.error for r in results if r.error is not None]
    assert len(refused) == 1 and isinstance(refused[0], Conflict), results
    assert (refused[0].message, refused[0].params) == (
        "This would accept %(wanted)s people for %(seats)s seats.",
        {"wanted": 3, "seats": 2},
    )
    assert sorted(r.returned for r in results if r.error is None) == [1]  # type: ignore[type-var]
    with Session(engine) as db:
        status = {code: db.get_one(Nomination, n.id).status for code, n in candidates.items()}
        told = db.exec(
            select(OutboxMessage.recipient).where(
                col(OutboxMessage.recipient).in_([nominators["WS"].email, nominators["PG"].email])
            )
        ).all()
    assert list(status.values()).count("accepted") == 2
    assert status["CK"] == "accepted" and sorted([status["WS"], status["PG"]]) == ["accepted", "nominated"]
    winner = "WS" if status["WS"] == "accepted" else "PG"
    assert told == [nominators[winner].email]


def test_two_focal_points_of_one_state_nominating_at_its_quota_at_once_get_only_one_candidate_in(
    engine: Engine,
) -> None:
    with Session(engine, expire_on_commit=False) as db:
        offer = open_course(db, focal_point(db, "FJ"), seats=12, per_state=2)
        first, second = focal_point(db, "TO"), focal_point(db, "TO")
        service.nominate(
            db, user=first, offer=offer, form=service.CandidateForm(full_name="Mele Taufa", gender="woman")
        )
        tonga = state(db, "TO").id

    def nominate(user_id: int, name: str) -> Action:
        def action(db: Session) -> object:
            user, course = db.get(User, user_id), db.get(TrainingOffer, offer.id)
            assert user is not None and course is not None
            return service.nominate(
                db, user=user, offer=course, form=service.CandidateForm(full_name=name, gender="man")
            )

        return action

    results = together(
        engine,
        offer.id,
        [
            nominate(first.id, "Sione Havili"),  # type: ignore[arg-type]
            nominate(second.id, "Viliami Fifita"),
        ],
    )  # type: ignore[arg-type]

    refused = [r.error for r in results if r.error is not None]
    assert len(refused) == 1 and isinstance(refused[0], Conflict), results
    assert refused[0].params == {"count": 2}
    with Session(engine) as db:
        nominated = db.exec(
            select(Nomination)
            .where(Nomination.offer_id == offer.id, Nomination.state_id == tonga)
            .order_by(col(Nomination.preference))
        ).all()
    assert len(nominated) == 2
    assert [n.preference for n in nominated] == [1, 2] and nominated[0].full_name == "Mele Taufa"
    assert nominated[1].full_name in ("Sione Havili", "Viliami Fifita")
