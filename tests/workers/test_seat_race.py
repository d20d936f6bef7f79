"""Two people deciding on the last seat, or two nominations at a state's quota, at the same moment, each
through its own connection, on PostgreSQL: never more accepted than seats, never more nominated than the quota."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, func, select

from app import seeds
from app.auth.models import User
from app.core.config import get_settings
from app.core.db import make_engine
from app.core.errors import Conflict
from app.training import service
from app.training.models import Nomination, TrainingOffer
from tests.factories import make_user, state
from tests.support.database import migrated

pytestmark = pytest.mark.postgres_only


@pytest.fixture(scope="module")
def engine(new_database: Callable[[str], str]) -> Iterator[Engine]:
    """A committed, migrated and seeded database of its own."""
    engine = make_engine(migrated(new_database("prcn_seats")))
    with Session(engine) as db:
        seeds.load(db, get_settings().seeds_dir)
    yield engine
    engine.dispose()


def published_course(db: Session, coordinator: User, *, seats: int, per_state: int) -> TrainingOffer:
    start = date.today() + timedelta(days=60)
    offer = service.create_offer(
        db,
        user=coordinator,
        form=service.OfferForm(
            title="SAAT preparation, Blackrock",
            course_type="saat-preparation",
            track="police",
            starts_on=start.isoformat(),
            ends_on=(start + timedelta(days=4)).isoformat(),
            deadline_on=(start - timedelta(days=14)).isoformat(),
            seats=seats,
            seats_per_state=per_state,
            languages=["en"],
            venue_state="FJ",
            city="Nadi",
            provider_state="FJ",
            zone="Pacific/Fiji",
        ),
    )
    service.set_status(db, get_settings(), user=coordinator, offer=offer, status="published")
    return offer


def waiting_for_locks(engine: Engine) -> int:
    with engine.connect() as probe:
        return int(
            probe.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


def at_once(engine: Engine, offer_id: int, actions: list[Callable[[Session], object]]) -> list[BaseException]:
    """Runs each action in its own thread and transaction while another transaction holds the offer's row, then
    lets them go together; returns what each raised (None when it went through)."""
    outcomes: list[BaseException | None] = [None] * len(actions)
    ready = threading.Barrier(len(actions))

    def run(index: int) -> None:
        try:
            with Session(engine, expire_on_commit=False) as db:
                ready.wait(timeout=30)
                actions[index](db)
        except BaseException as error:  # noqa: BLE001 - reported to the test
            outcomes[index] = error

    with engine.connect() as holder:
        held = holder.begin()
        holder.execute(text("SELECT id FROM training_offer WHERE id = :id FOR UPDATE"), {"id": offer_id})
        threads = [threading.Thread(target=run, args=(index,)) for index in range(len(actions))]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while waiting_for_locks(engine) < len(actions) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_for_locks(engine) == len(actions), "the two requests did not meet at the locked offer"
        held.rollback()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes  # type: ignore[return-value]


def test_two_providers_giving_the_last_seat_to_two_people_at_once_accept_only_one(engine: Engine) -> None:
    settings = get_settings()
    with Session(engine, expire_on_commit=False) as db:
        coordinator = make_user(db, role="coordinator", password=None)
        provider = make_user(db, role="focal_point", member_state_id=state(db, "FJ").id, password=None)
        offer = published_course(db, coordinator, seats=2, per_state=2)
        ids = []
        for code in ("CK", "WS", "PG"):
            nominator = make_user(db, role="focal_point", member_state_id=state(db, code).id, password=None)
            ids.append(
                service.nominate(
                    db,
                    user=nominator,
                    offer=offer,
                    form=service.CandidateForm(full_name=f"Candidate of {code}", gender="woman"),
                ).id
            )
        service.allocate(db, settings, user=coordinator, offer=offer, decisions={ids[0]: "accepted"}, reasons={})

    def accept(user: User, nomination_id: int) -> Callable[[Session], object]:
        def action(db: Session) -> object:
            mine = db.get(TrainingOffer, offer.id)
            assert mine is not None
            return service.allocate(
                db, settings, user=db.merge(user), offer=mine, decisions={nomination_id: "accepted"}, reasons={}
            )

        return action

    outcomes = at_once(engine, offer.id, [accept(coordinator, ids[1]), accept(provider, ids[2])])  # type: ignore[arg-type]

    refused = [error for error in outcomes if error is not None]
    assert len(refused) == 1 and isinstance(refused[0], Conflict), outcomes
    assert refused[0].message == "This would accept %(wanted)s people for %(seats)s seats."
    with Session(engine) as db:
        accepted = db.exec(
            select(func.count())
            .select_from(Nomination)
            .where(Nomination.offer_id == offer.id, Nomination.status == "accepted")
        ).one()
    assert accepted == 2


def test_two_focal_points_of_one_state_nominating_at_the_quota_at_once_get_one_nomination_in(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as db:
        coordinator = make_user(db, role="coordinator", password=None)
        offer = published_course(db, coordinator, seats=10, per_state=2)
        samoa = state(db, "WS").id
        first, second = (make_user(db, role="focal_point", member_state_id=samoa, password=None) for _ in range(2))
        service.nominate(
            db, user=first, offer=offer, form=service.CandidateForm(full_name="Sina Leota", gender="woman")
        )

    def nominate(user: User, name: str) -> Callable[[Session], object]:
        def action(db: Session) -> object:
            mine = db.get(TrainingOffer, offer.id)
            assert mine is not None
            return service.nominate(
                db, user=db.merge(user), offer=mine, form=service.CandidateForm(full_name=name, gender="man")
            )

        return action

    outcomes = at_once(engine, offer.id, [nominate(first, "Tavita Aiono"), nominate(second, "Iosefa Ta'ala")])  # type: ignore[arg-type]

    refused = [error for error in outcomes if error is not None]
    assert len(refused) == 1 and isinstance(refused[0], Conflict), outcomes
    with Session(engine) as db:
        nominated = db.exec(
            select(Nomination).where(Nomination.offer_id == offer.id, Nomination.state_id == samoa)
        ).all()
    assert len(nominated) == 2
    assert sorted(n.preference for n in nominated) == [1, 2]
