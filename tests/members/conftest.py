"""Members fixtures: the people who use the member pages, copies of the seeds to change, fresh databases, and a
tiny invented region written as seed files."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect
from sqlmodel import Session, SQLModel, select

from app.auth.models import User
from app.core.config import ROOT, get_settings
from app.core.db import make_engine
from tests.factories import csrf_token, make_user, sign_in, soup, state
from tests.support.database import migrate

SEEDS = ROOT / "seeds"


# Reading pages


def alert(html: str) -> str:
    """The error message a page shows in its alert box ('' when none)."""
    box = soup(html).find(attrs={"role": "alert"})
    return box.get_text(" ", strip=True) if box else ""


def post_form(browser: TestClient, page: str, target: str, /, **fields: Any) -> Any:
    """Submits a form found on `page` (read first, for its CSRF token) to `target`."""
    return browser.post(target, data={"csrf_token": csrf_token(browser.get(page).text), **fields})


def table_rows(html: str, heading_id: str, index: int = 0) -> list[list[str]]:
    """The body cells of the `index`-th table in the section labelled by `heading_id`."""
    section = soup(html).find(id=heading_id).find_parent("section")
    table = section.find_all("table")[index]
    return [[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])] for row in table.select("tbody tr")]


def rows_of(session: Session, model: type[SQLModel]) -> list[dict[str, Any]]:
    """Every row of a table as plain values, in id order, to compare before and after."""
    session.expire_all()
    return [row.model_dump() for row in session.exec(select(model).order_by(*inspect(model).primary_key)).all()]


# People


@dataclass
class People:
    coordinator: User
    observer: User
    fiji: User
    samoa: User


@pytest.fixture
def people(session: Session) -> People:
    """A coordinator, an observer, and focal points of Fiji and Samoa."""
    return People(
        coordinator=make_user(session, role="coordinator", display_name="Colin Coordinator", password=None),
        observer=make_user(session, role="observer", display_name="Olive Observer", password=None),
        fiji=make_user(
            session, role="focal_point", display_name="Fiji Focal", member_state_id=state(session).id, password=None
        ),
        samoa=make_user(
            session,
            role="focal_point",
            display_name="Samoa Focal",
            member_state_id=state(session, "WS").id,
            password=None,
        ),
    )


@pytest.fixture
def browser_for(app, session: Session) -> Iterator[Callable[[User | None], TestClient]]:  # type: ignore[no-untyped-def]
    """Opens a client of its own for each user (anonymous for None), all on the test's session."""
    from app.core.db import get_session

    opened: list[TestClient] = []
    app.dependency_overrides[get_session] = lambda: session

    def open_for(user: User | None) -> TestClient:
        browser = TestClient(app, base_url="http://testserver", follow_redirects=False)
        opened.append(browser)
        if user is not None:
            sign_in(browser, session, user)
        return browser

    try:
        yield open_for
    finally:
        for browser in opened:
            browser.close()
        app.dependency_overrides.clear()


# Settings


@pytest.fixture
def configure() -> Iterator[Callable[..., None]]:
    """Changes the portal's configuration (PRCN_ variables) for one test; restored afterwards."""
    with pytest.MonkeyPatch.context() as patch:

        def apply(**values: str) -> None:
            for key, value in values.items():
                patch.setenv(f"PRCN_{key.upper()}", value)
            get_settings.cache_clear()

        yield apply
    get_settings.cache_clear()


# Seeds on disk


def copy_seeds(directory: Path) -> Path:
    """A copy of the region's seed files, to change."""
    target = directory / "seeds"
    shutil.copytree(SEEDS, target)
    return target


def replace_in(path: Path, old: str, new: str) -> None:
    """Replaces one exact piece of a seed file; fails if it is not there once."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items()) + " }"
    return str(value)


def toml_table(header: str, fields: dict[str, Any]) -> str:
    """One TOML table (`[x]`) or array entry (`[[x]]`) with its fields."""
    return header + "\n" + "".join(f"{key} = {toml_value(value)}\n" for key, value in fields.items()) + "\n"


@dataclass(frozen=True)
class TinyRegion:
    seeds_dir: Path
    states: dict[str, tuple[str, str]]
    body: tuple[str, str]
    network: tuple[str, str]


TINY_STATES = {
    "XA": {
        "name_en": "Verdant Isle",
        "name_fr": "Île Verdoyante",
        "time_zones": ["Atlantic/Azores"],
        "languages": ["en"],
    },
    "XB": {
        "name_en": "Nordholm",
        "name_fr": "Nordholme",
        "time_zones": ["Europe/Oslo", "Arctic/Longyearbyen"],
        "languages": ["fr"],
    },
}
TINY_BODY = {
    "key": "harbour-council",
    "kind": "network",
    "track": "joint",
    "acronym": "HCN",
    "name_en": "Harbour Council of the North",
    "name_fr": "Conseil portuaire du Nord",
}
TINY_NETWORK = {
    "name_en": "Northern Harbours Cooperation Network",
    "name_fr": "Réseau de coopération des ports du Nord",
    "short_name_en": "Northern harbours network",
    "short_name_fr": "Réseau des ports du Nord",
    "lead_en": "Harbour masters of the north, cooperating.",
    "lead_fr": "Les capitaines de port du Nord coopèrent.",
}
TINY_SUBREGION = {"name_en": "Northern shores", "name_fr": "Rivages du Nord"}
TINY_STANDING = {"name_en": "Harbour states", "name_fr": "États portuaires"}
OPTIONS = ("diplomatic", "operational", "informal", "adhoc")


def write_tiny_region(directory: Path) -> TinyRegion:
    """Seed files of an invented region: two states, one body, and a profile for each of the four options."""
    seeds_dir = directory / "tiny-seeds"
    seeds_dir.mkdir()
    states = "".join(
        toml_table("[[state]]", {"code": code, "subregion": "shores", "status": "state", **fields})
        for code, fields in TINY_STATES.items()
    )
    (seeds_dir / "states.toml").write_text(states, encoding="utf-8")
    (seeds_dir / "bodies.toml").write_text(toml_table("[[body]]", TINY_BODY), encoding="utf-8")
    network = (
        toml_table("[network]", TINY_NETWORK)
        + toml_table("[subregions.shores]", TINY_SUBREGION)
        + toml_table("[standings.harbour]", TINY_STANDING)
    )
    for option in OPTIONS:
        network += toml_table(
            f"[options.{option}]",
            {
                "label_en": f"Harbour way {option}",
                "label_fr": f"Voie portuaire {option}",
                "summary_en": "Harbour masters meet and share their practice.",
                "summary_fr": "Les capitaines de port se réunissent et partagent leurs pratiques.",
                "members_heading_en": "Harbour members",
                "members_heading_fr": "Membres portuaires",
            },
        )
        network += toml_table(
            f"[profiles.{option}]",
            {
                "bodies": [TINY_BODY["key"]],
                "working_groups": [],
                "meeting_series": ["sme-quarterly"],
                "chair": "rotation",
                "decisions": "consensus",
            },
        )
    (seeds_dir / "network.toml").write_text(network, encoding="utf-8")
    return TinyRegion(
        seeds_dir=seeds_dir,
        states={code: (fields["name_en"], fields["name_fr"]) for code, fields in TINY_STATES.items()},  # type: ignore[misc]
        body=(TINY_BODY["name_en"], TINY_BODY["name_fr"]),
        network=(TINY_NETWORK["name_en"], TINY_NETWORK["name_fr"]),
    )


# Fresh databases


@pytest.fixture
def fresh_engine(new_database: Callable[[str], str]) -> Iterator[Callable[[], Engine]]:
    """Makes empty, migrated databases whose transactions really commit; each call gives a new one."""
    engines: list[Engine] = []

    def make() -> Engine:
        url = new_database(f"members_{uuid.uuid4().hex[:12]}")
        migrate(url)
        engine = make_engine(url)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()
