"""Governance fixtures: the portal started under a chosen option, the people who use it, and small helpers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from bs4 import Tag
from sqlmodel import Session, select

from app.auth.models import User
from app.core.config import Settings, get_settings
from app.governance.models import Body
from app.members.models import MemberState
from tests.factories import make_user, soup, state

OPTIONS = ("diplomatic", "operational", "informal", "adhoc")
REGIONAL = {"pif", "fsrs", "spdmm", "picp", "lcm"}
NETWORK = {"sme", "pif-subcommittee", "spdmm-group", "picp-group", "adhoc-network"}
PROFILE_BODIES = {
    "diplomatic": {"sme", "pif-subcommittee"},
    "operational": {"sme", "spdmm-group", "picp-group"},
    "informal": {"sme"},
    "adhoc": {"sme", "adhoc-network"},
}
PROFILE_GROUPS = {
    "diplomatic": {"pif-subcommittee": ("military", "police", "joint")},
    "operational": {"spdmm-group": ("military",), "picp-group": ("police",)},
    "informal": {},
    "adhoc": {"adhoc-network": ("military", "police", "joint")},
}


def settings_for(option: str) -> Settings:
    """The test configuration with another governance option, for calling services directly."""
    return get_settings().model_copy(update={"governance_option": option})


def body(session: Session, key: str) -> Body:
    found = session.exec(select(Body).where(Body.key == key)).first()
    assert found is not None, f"seeded body {key} missing"
    return found


def states(session: Session, *codes: str) -> list[MemberState]:
    return [state(session, code) for code in codes]


def alert(html: str) -> str:
    """The error message a page shows in its alert box ('' when none)."""
    box = soup(html).find(attrs={"role": "alert"})
    return box.get_text(" ", strip=True) if box else ""


def links(scope: str | Tag, prefix: str) -> set[str]:
    """What follows `prefix` in every link starting with it, in a page's main part or in one element."""
    if isinstance(scope, str):
        page = soup(scope)
        scope = page.find("main") or page
    return {str(a["href"])[len(prefix) :] for a in scope.find_all("a", href=True) if str(a["href"]).startswith(prefix)}


@dataclass
class People:
    admin: User
    coordinator: User
    fiji: User
    samoa: User


@pytest.fixture
def people(session: Session) -> People:
    """An admin, a coordinator, and focal points of Fiji and Samoa."""
    fiji, samoa = states(session, "FJ", "WS")
    return People(
        admin=make_user(session, role="admin", display_name="Ana Admin", password=None),
        coordinator=make_user(session, role="coordinator", display_name="Colin Coordinator", password=None),
        fiji=make_user(session, role="focal_point", display_name="Fiji Focal", member_state_id=fiji.id, password=None),
        samoa=make_user(
            session, role="focal_point", display_name="Samoa Focal", member_state_id=samoa.id, password=None
        ),
    )
