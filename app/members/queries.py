"""What pages read of member states and their pledges."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.core.errors import NotFound
from app.core.i18n import N_
from app.members.models import MemberState, Pledge


def member_states(session: Session) -> list[MemberState]:
    """Every member state, by English name."""
    return list(session.exec(select(MemberState).order_by(col(MemberState.name_en))).all())


def states_by_id(session: Session) -> dict[int, MemberState]:
    """Every member state, keyed by its id."""
    return {state.id: state for state in session.exec(select(MemberState)).all() if state.id is not None}


def state(session: Session, state_id: int | None) -> MemberState | None:
    """The state with this id, or None when there is none or no id."""
    return session.get(MemberState, state_id) if state_id else None


def state_by_code(session: Session, code: str) -> MemberState | None:
    """The state with this ISO code in any case, or None."""
    return session.exec(select(MemberState).where(MemberState.code == code.upper())).first()


def get_state(session: Session, code: str) -> MemberState:
    """The state a page's address names by its code; a 404 when there is none."""
    found = state_by_code(session, code.upper()[:2])
    if found is None:
        raise NotFound(N_("No such member state."))
    return found


def pledge_of(session: Session, state: MemberState, pledge_id: int) -> Pledge | None:
    """The state's pledge with this id, or None when the state has none such."""
    pledge = session.get(Pledge, pledge_id)
    return pledge if pledge is not None and pledge.state_id == state.id else None
