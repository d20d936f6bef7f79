"""The nomination tallies the reports and the catalogue read stay right when two people nominate for courses of the
same year at the same moment: the second to count the year waits for the first and counts what it committed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date

from sqlmodel import Session, select

from app import seeds
from app.core import clock
from app.core.config import get_settings
from app.core.db import make_engine, writes
from app.training import service
from app.training.models import Nomination, NominationTally, OfferTally
from tests.factories import make_user, state
from tests.support.database import migrate
from tests.training.conftest import course_on


def test_two_nominations_for_the_same_year_at_once_are_both_counted(new_database: Callable[[str], str]) -> None:
    url = new_database("prcn_tally_race")
    migrate(url)
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as db:
            seeds.load(db, get_settings().seeds_dir)
            provider = make_user(db, role="focal_point", member_state_id=state(db, "FJ").id, password=None)
            samoa = make_user(db, role="focal_point", member_state_id=state(db, "WS").id, password=None)
            tonga = make_user(db, role="focal_point", member_state_id=state(db, "TO").id, password=None)
            march, june = course_on(db, provider, date(2031, 3, 2)), course_on(db, provider, date(2031, 6, 2))
            service.nominate(db, user=samoa, offer=march, form=service.CandidateForm(full_name="Ana", gender="woman"))

        first = Session(engine)
        first.add(
            Nomination(
                offer_id=march.id,
                state_id=samoa.member_state_id,
                preference=2,
                full_name="Sina",
                gender="woman",
                nominated_at=clock.now(),
                nominated_by=samoa.id,
            )
        )
        first.flush()  # counts 2031 again, and holds it until this transaction ends
        failures: list[BaseException] = []

        def nominate_from_tonga() -> None:
            try:
                # As a request that writes: on SQLite it waits for the write lock from the start.
                with writes(), Session(engine) as second:
                    service.nominate(
                        second, user=tonga, offer=june, form=service.CandidateForm(full_name="Fetu", gender="man")
                    )
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                failures.append(error)

        other = threading.Thread(target=nominate_from_tonga)
        other.start()
        time.sleep(0.5)  # time for the second to reach the year and wait for it
        first.commit()
        first.close()
        other.join()

        assert failures == []
        with Session(engine) as db:
            counted = sorted(
                (row.state_id, row.status, row.gender, row.nominations)
                for row in db.exec(select(NominationTally).where(NominationTally.year == 2031)).all()
            )
        assert counted == sorted(
            [(samoa.member_state_id, "nominated", "woman", 2), (tonga.member_state_id, "nominated", "man", 1)]
        )
        with Session(engine) as db:
            per_offer = sorted(
                (row.offer_id, row.status, row.gender, row.nominations) for row in db.exec(select(OfferTally)).all()
            )
        assert per_offer == sorted([(march.id, "nominated", "woman", 2), (june.id, "nominated", "man", 1)])
    finally:
        engine.dispose()
