"""Twenty identical requests at the same instant: what exists once is stored once, the others are refused with the
message a later duplicate gets (409), none fails (500). On SQLite as on PostgreSQL.

Each case runs twice: as the requests really race, and "stale", where every request checks the database as it was
before any of them wrote (the check is patched to see nothing). On SQLite writers take turns (the write lock is taken
as a request's transaction begins) so only the stale run reaches the database's own refusal there; on PostgreSQL the
checks of simultaneous requests really do all pass."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from app.auth import service as auth
from app.auth.models import User
from app.capacity import service as capacity
from app.coalitions import service as coalitions
from app.coalitions.models import Coalition, CoalitionNeed, CoalitionPartner
from app.core.config import get_settings
from app.core.db import writes
from app.core.errors import Conflict
from app.governance import service as governance
from app.governance.models import Body, MembershipEvent
from app.members.models import MemberState
from app.outbox.models import OutboxMessage

TOGETHER = 20


@pytest.fixture(params=["racing", "stale"])
def stale(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """`stale(module, name, answer)` makes the check `module.name` answer as before any write, in the stale run."""

    def patch(module: Any, name: str, answer: Any) -> None:
        if request.param == "stale":
            monkeypatch.setattr(module, name, lambda *args, **kwargs: answer)

    yield patch


def together(engine: Engine, action: Callable[[Session], object]) -> Counter[str]:
    """Runs `action` in TOGETHER threads at once, each with its own session and as a request that writes; counts
    the answers: "done", the refusal's message, or the name of any other error."""
    answers: Counter[str] = Counter()
    start = threading.Barrier(TOGETHER)

    def run() -> None:
        with writes(), Session(engine, expire_on_commit=False) as session:
            start.wait()
            try:
                action(session)
                answers["done"] += 1
            except Conflict as refusal:
                assert refusal.status_code == 409
                answers[refusal.message] += 1
            except Exception as error:  # noqa: BLE001 - any other error is what the test looks for
                answers[f"{type(error).__module__}.{type(error).__name__}"] += 1

    threads = [threading.Thread(target=run) for _ in range(TOGETHER)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def count(engine: Engine, query: Any) -> int:
    with Session(engine) as session:
        return int(session.exec(query).one())


def coordinator(engine: Engine) -> User:
    with Session(engine, expire_on_commit=False) as session:
        user = auth.create_user(
            session,
            actor_id=None,
            email=f"coordinator-{uuid.uuid4().hex[:8]}@example.org",
            display_name="Coordinator",
            role="coordinator",
        )
        session.commit()
        return user


def row(engine: Engine, model: Any, **where: Any) -> Any:
    with Session(engine, expire_on_commit=False) as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        found = session.exec(query).first()
        assert found is not None
        return found


def rows(engine: Engine, model: Any) -> list[Any]:
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(select(model)).all())


def a_coalition(engine: Engine, user: User, state_code: str) -> Coalition:
    """A new coalition around the state, with no partner yet."""
    with Session(engine, expire_on_commit=False) as session:
        state = session.exec(select(MemberState).where(MemberState.code == state_code)).one()
        return coalitions.convene(session, user=user, state_id=state.id or 0, title=f"Coalition {uuid.uuid4().hex}")


def test_one_request_to_join_waits(
    live_engine: Engine, stale: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty 'ask to join' for one state and one body: one request waits, nineteen are told it waits already
    (they once made 6 waiting requests)."""
    settings = get_settings().model_copy(update={"governance_option": "informal"})
    user = coordinator(live_engine)
    body = row(live_engine, Body, key="sme")
    # Each run asks for a state with no history in the body: the live database is shared by the tests of a run.
    state = next(
        state for state in rows(live_engine, MemberState) if count(live_engine, _events(body, state.code)) == 0
    )
    stale(governance, "_standing", None)

    answers = together(
        live_engine,
        lambda session: governance.request_membership(
            session, settings, user=user, body=body, state=state, action="join"
        ),
    )

    assert answers == Counter(
        {"done": 1, "A request for this state is already waiting for confirmation.": TOGETHER - 1}
    ), answers
    assert count(live_engine, _events(body, state.code)) == 1
    # The run's other tests share the live database: the request is declined, so that none finds the state waiting
    # (a focal point of that state would not be offered to ask to join).
    monkeypatch.undo()
    with Session(live_engine, expire_on_commit=False) as session:
        waiting = session.exec(
            select(MembershipEvent).where(MembershipEvent.body_id == body.id, MembershipEvent.state_id == state.id)
        ).one()
        governance.decide(session, settings, user=user, event_id=waiting.id or 0, accept=False)


def _events(body: Body, code: str) -> Any:
    return (
        select(func.count())
        .select_from(MembershipEvent)
        .join(MemberState, col(MemberState.id) == MembershipEvent.state_id)
        .where(MembershipEvent.body_id == body.id, MemberState.code == code)
    )


def test_one_partner_is_added(live_engine: Engine, stale: Callable[..., None]) -> None:
    """Twenty 'add partner' of one state to one coalition: it is a partner once (it once was 6 times)."""
    user = coordinator(live_engine)
    coalition = a_coalition(live_engine, user, "FJ")
    partner = row(live_engine, MemberState, code="NZ")
    stale(coalitions, "partners", [])

    answers = together(
        live_engine,
        lambda session: coalitions.add_partner(session, user=user, coalition=coalition, state_id=partner.id),
    )

    assert answers == Counter({"done": 1, "This partner is already in the coalition.": TOGETHER - 1}), answers
    partners = select(func.count()).where(
        CoalitionPartner.coalition_id == coalition.id, col(CoalitionPartner.left_at).is_(None)
    )
    assert count(live_engine, partners) == 1


def test_one_partner_organisation_is_added(live_engine: Engine, stale: Callable[..., None]) -> None:
    user = coordinator(live_engine)
    coalition = a_coalition(live_engine, user, "FJ")
    stale(coalitions, "partners", [])

    answers = together(
        live_engine,
        lambda session: coalitions.add_partner(session, user=user, coalition=coalition, organisation="UN DPO"),
    )

    assert answers == Counter({"done": 1, "This partner is already in the coalition.": TOGETHER - 1}), answers
    partners = select(func.count()).where(CoalitionPartner.coalition_id == coalition.id)
    assert count(live_engine, partners) == 1


def test_a_partner_that_left_may_join_again(live_engine: Engine) -> None:
    """Only the current partners are unique: the row of a partner that left stays, and it may join again."""
    user = coordinator(live_engine)
    coalition = a_coalition(live_engine, user, "FJ")
    partner = row(live_engine, MemberState, code="AU")
    with Session(live_engine, expire_on_commit=False) as session:
        first = coalitions.add_partner(session, user=user, coalition=coalition, state_id=partner.id)
        coalitions.partner_leaves(session, user=user, coalition=coalition, partner_id=first.id or 0)
        coalitions.add_partner(session, user=user, coalition=coalition, state_id=partner.id)
        with pytest.raises(Conflict):
            coalitions.add_partner(session, user=user, coalition=coalition, state_id=partner.id)
    assert count(live_engine, select(func.count()).where(CoalitionPartner.coalition_id == coalition.id)) == 2


def test_one_need_is_brought_into_scope(live_engine: Engine, stale: Callable[..., None]) -> None:
    """Twenty 'add need' of one need: it is in the scope once, no request fails (they once ended in a 500)."""
    user = coordinator(live_engine)
    coalition = a_coalition(live_engine, user, "FJ")
    with Session(live_engine, expire_on_commit=False) as session:
        need = capacity.record_need(
            session,
            user=user,
            form=capacity.NeedForm(
                area="training", track="police", description="Pre-deployment training", priority="high", state="FJ"
            ),
        )
    stale(coalitions, "in_scope", False)

    answers = together(
        live_engine,
        lambda session: coalitions.add_need(session, user=user, coalition=coalition, need_id=need.id or 0),
    )

    assert answers == Counter({"done": 1, "This need is already in the coalition's scope.": TOGETHER - 1}), answers
    needs = select(func.count()).where(CoalitionNeed.coalition_id == coalition.id)
    assert count(live_engine, needs) == 1


def test_one_account_is_invited(live_engine: Engine, stale: Callable[..., None]) -> None:
    """Twenty invitations of one email address: one account, one welcome message, no request fails (they once
    ended in a 500)."""
    settings = get_settings()
    user = coordinator(live_engine)
    email = f"invited-{uuid.uuid4().hex[:8]}@example.org"
    stale(auth, "find_user_by_email", None)

    answers = together(
        live_engine,
        lambda session: auth.invite_user(
            session,
            settings,
            email=email,
            display_name="Invited",
            role="observer",
            member_state_id=None,
            organisation="",
            actor_id=user.id or 0,
        ),
    )

    # A request that finds the account already stored is told whose it is; one that raced it, that it exists.
    refusals = Counter(
        "exists" if answer.startswith("An account with this email address exists already") else answer
        for answer in answers.elements()
    )
    assert refusals == Counter({"done": 1, "exists": TOGETHER - 1}), answers
    assert count(live_engine, select(func.count()).where(User.email == email)) == 1
    assert count(live_engine, select(func.count()).where(OutboxMessage.recipient == email)) == 1


def test_any_other_simultaneous_change_the_database_refuses_is_a_409_in_the_visitors_language(engine: Engine) -> None:
    """A unique rule the services do not name yet: the visitor reads that someone changed it at the same moment,
    in French here, not that the portal failed."""
    from fastapi.testclient import TestClient
    from sqlalchemy.exc import IntegrityError

    from app.main import create_app
    from tests.factories import page_csrf, soup

    app = create_app()

    @app.post("/clashes")
    def clashes() -> None:
        raise IntegrityError("INSERT …", {}, Exception("duplicate key value violates unique constraint"))

    with TestClient(app) as browser:
        token = page_csrf(browser)
        response = browser.post("/clashes", data={"csrf_token": token}, headers={"Accept-Language": "fr"})
    assert response.status_code == 409
    assert "Quelqu’un d’autre a modifié ceci au même moment." in soup(response.text).find(id="error").get_text()
