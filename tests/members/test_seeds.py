"""The region as data: the states, bodies and figures in seeds/ are loaded as written, loading again is harmless,
an edited state keeps its edits, a wrong seed file loads nothing, and another region needs only other seed files."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, select

from app import seeds
from app.auth import service as accounts
from app.core.config import ROOT
from app.core.db import make_engine
from app.core.region import SeedError
from app.governance.models import Body
from app.members import service as members
from app.members.models import ContributionReport, MemberState, RegionTotal
from tests.factories import PASSWORD, csrf_token, soup, state
from tests.members.conftest import (
    SEEDS,
    People,
    TinyRegion,
    copy_seeds,
    replace_in,
    rows_of,
    table_rows,
    toml_table,
    write_tiny_region,
)
from tests.support.database import migrate
from tests.support.live import LiveServer

SEEDED_TABLES: tuple[type[SQLModel], ...] = (MemberState, Body, RegionTotal, ContributionReport)
STATE_FIELDS = ("name_en", "name_fr", "subregion", "standing", "status", "sovereign", "languages", "time_zones")


def seed_file(name: str, directory: Path = SEEDS) -> dict[str, Any]:
    return tomllib.loads((directory / name).read_text(encoding="utf-8"))


def seeded_states() -> list[dict[str, Any]]:
    return seed_file("states.toml")["state"]


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables seeds fill, read in a session of its own."""
    with Session(engine) as db:
        return {model.__tablename__: rows_of(db, model) for model in SEEDED_TABLES}  # type: ignore[misc]


def by_code(session: Session) -> dict[str, MemberState]:
    session.expire_all()
    return {found.code: found for found in session.exec(select(MemberState)).all()}


# The Pacific region as seeded


def test_every_state_and_territory_of_the_seed_file_is_loaded_with_all_its_facts(session: Session) -> None:
    loaded = by_code(session)
    entries = seeded_states()

    assert len(entries) == 22
    assert sorted(loaded) == sorted(entry["code"] for entry in entries)
    for entry in entries:
        found = loaded[entry["code"]]
        assert {field: getattr(found, field) for field in STATE_FIELDS} == {
            field: entry.get(field, "") for field in STATE_FIELDS
        }, entry["code"]


def test_states_carry_the_facts_of_the_study(session: Session) -> None:
    loaded = by_code(session)

    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in loaded)
    assert (loaded["FJ"].name_en, loaded["FJ"].name_fr, loaded["FJ"].subregion) == ("Fiji", "Fidji", "melanesia")
    assert (loaded["CK"].status, loaded["CK"].sovereign) == ("associated_state", "NZ")
    assert (loaded["PF"].status, loaded["PF"].sovereign, loaded["PF"].languages) == ("territory", "FR", ["fr"])
    assert (loaded["TK"].status, loaded["TK"].sovereign, loaded["TK"].standing) == ("territory", "NZ", "pif_associate")
    assert loaded["WF"].name_fr == "Wallis-et-Futuna"
    assert loaded["AU"].subregion == loaded["JP"].subregion == "other"
    assert (loaded["PG"].status, loaded["PG"].sovereign) == ("state", "")
    assert loaded["KI"].time_zones == ["Pacific/Tarawa", "Pacific/Kanton", "Pacific/Kiritimati"]
    assert loaded["FM"].time_zones == ["Pacific/Chuuk", "Pacific/Pohnpei", "Pacific/Kosrae"]
    assert loaded["PF"].time_zones == ["Pacific/Tahiti", "Pacific/Marquesas", "Pacific/Gambier"]
    assert "fr" in loaded["VU"].languages and "en" in loaded["VU"].languages


def test_a_territory_page_shows_whose_it_is_its_zones_and_languages(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    page = soup(browser_for(people.observer).get("/members/PF").text)

    facts = dict(
        zip(
            [dt.get_text(strip=True) for dt in page.select("dl.facts dt")],
            [dd.get_text(strip=True) for dd in page.select("dl.facts dd")],
            strict=True,
        )
    )
    assert page.h1.get_text(strip=True) == "French Polynesia"
    assert facts == {
        "Subregion": "Polynesia",
        "Status": "Territory of France",
        "Time zones": "Tahiti, French Polynesia (UTC-10); Marquesas Islands, French Polynesia (UTC-9:30); "
        "Gambier, French Polynesia (UTC-9)",
        "Official languages": "French",
    }


def test_the_study_figures_are_seeded(session: Session) -> None:
    totals = {total.as_of: total.personnel for total in session.exec(select(RegionTotal)).all()}
    reports = {
        (state_code, report.category): report.total
        for report, state_code in session.exec(
            select(ContributionReport, MemberState.code)
            .join(MemberState, MemberState.id == ContributionReport.state_id)  # type: ignore[arg-type]
            .where(ContributionReport.as_of == date(2024, 5, 30))
        ).all()
    }

    assert totals[date(2020, 10, 31)] == 1837
    assert totals[date(2024, 5, 30)] == 1531
    assert reports[("FJ", "individual_police")] == 26
    assert reports[("KI", "individual_police")] == 8
    assert reports[("PG", "experts_on_mission")] == 2


# Loading again


def test_loading_the_seeds_twice_adds_nothing_and_changes_nothing(fresh_engine: Callable[[], Engine]) -> None:
    engine = fresh_engine()
    with Session(engine) as db:
        assert seeds.load(db, SEEDS) == 22
    first = snapshot(engine)

    with Session(engine) as db:
        assert seeds.load(db, SEEDS) == 0

    assert snapshot(engine) == first
    assert len(first["member_state"]) == 22 and len(first["region_total"]) == 2
    assert len(first["body"]) == len(seed_file("bodies.toml")["body"])


def test_a_state_edited_in_the_portal_keeps_its_edits_when_the_seeds_are_loaded_again(
    session: Session, people: People, tmp_path: Path
) -> None:
    fiji = state(session, "FJ")
    members.update_profile(session, user=people.fiji, state=fiji, profile="Police deployed to UNMISS since 2011.")
    changed = copy_seeds(tmp_path)
    replace_in(changed / "states.toml", 'name_en = "Fiji"', 'name_en = "Republic of Fiji"')
    replace_in(changed / "states.toml", 'time_zones = ["Pacific/Fiji"]', 'time_zones = ["Pacific/Auckland"]')
    replace_in(changed / "states.toml", 'name_en = "Tonga"', 'name_en = "Kingdom of Tonga"')

    assert seeds.load(session, changed) == 0

    loaded = by_code(session)
    assert (loaded["FJ"].name_en, loaded["FJ"].time_zones) == ("Fiji", ["Pacific/Fiji"])
    assert loaded["FJ"].profile == "Police deployed to UNMISS since 2011."
    assert loaded["TO"].name_en == "Kingdom of Tonga", "a state nobody edited follows its seed entry"


# Wrong seed files


def state_number(code: str) -> int:
    """Where a state's entry is in seeds/states.toml, counting from 1 (as the error messages do)."""
    return [entry["code"] for entry in seeded_states()].index(code) + 1


BAD_STATES = {
    "missing field": ('name_fr = "Fidji"\n', "", "FJ", "field name_fr is missing or empty"),
    "unknown time zone": ('["Pacific/Fiji"]', '["Pacific/Atlantis"]', "FJ", "unknown time zone 'Pacific/Atlantis'"),
    "duplicate code": ('code = "TO"', 'code = "FJ"', "TO", "code 'FJ' is used twice"),
}


@pytest.fixture(scope="module")
def seeded_engine(new_database: Callable[[str], str]) -> Iterator[Engine]:
    """A committed database loaded once with the real seeds, for loads that must change nothing."""
    url = new_database("members_seeded")
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as db:
        seeds.load(db, SEEDS)
    yield engine
    engine.dispose()


@pytest.mark.parametrize(("old", "new", "code", "complaint"), BAD_STATES.values(), ids=BAD_STATES.keys())
def test_a_wrong_states_file_is_refused_naming_the_entry_and_loads_nothing(
    seeded_engine: Engine, tmp_path: Path, old: str, new: str, code: str, complaint: str
) -> None:
    wrong = copy_seeds(tmp_path)
    path = wrong / "states.toml"
    replace_in(path, 'name_en = "Samoa"', 'name_en = "Independent State of Samoa"')
    replace_in(path, old, new)
    path.write_text(
        path.read_text(encoding="utf-8")
        + toml_table(
            "[[state]]",
            {
                "code": "XQ",
                "name_en": "Quietland",
                "name_fr": "Pays tranquille",
                "subregion": "other",
                "time_zones": ["UTC"],
            },
        ),
        encoding="utf-8",
    )
    before = snapshot(seeded_engine)

    with Session(seeded_engine) as db, pytest.raises(SeedError) as refused:
        seeds.load(db, wrong)

    assert str(refused.value) == f"{path} state {state_number(code)}: {complaint}"
    with pytest.raises(SeedError, match=re.escape(complaint)):
        seeds.check(wrong)
    assert snapshot(seeded_engine) == before


def test_a_report_for_an_unknown_state_is_refused_and_no_state_of_that_load_stays(
    fresh_engine: Callable[[], Engine], tmp_path: Path
) -> None:
    engine = fresh_engine()
    wrong = copy_seeds(tmp_path)
    path = wrong / "contributions.toml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + toml_table("[[report]]", {"state": "ZZ", "as_of": date(2024, 5, 30), "category": "troops", "unspecified": 4}),
        encoding="utf-8",
    )
    reports = len(seed_file("contributions.toml", wrong)["report"])

    with Session(engine) as db, pytest.raises(SeedError) as refused:
        seeds.load(db, wrong)

    assert str(refused.value) == f"{path} report {reports}: unknown state 'ZZ'"
    with Session(engine) as db:
        assert db.exec(select(func.count()).select_from(MemberState)).one() == 0
        assert db.exec(select(func.count()).select_from(Body)).one() == 0


# Another region


def seeded_words() -> set[str]:
    """The names of every seeded state and body, in both languages, and the network's own names."""
    words = {entry[field] for entry in seeded_states() for field in ("name_en", "name_fr")}
    words |= {entry[field] for entry in seed_file("bodies.toml")["body"] for field in ("name_en", "name_fr")}
    network = seed_file("network.toml")["network"]
    return words | {network[field] for field in ("name_en", "name_fr", "short_name_en", "short_name_fr")}


def code_files() -> list[Path]:
    return sorted([*(ROOT / "app").rglob("*.py"), *(ROOT / "templates").rglob("*.html")])


def test_no_seeded_state_or_body_name_is_written_into_the_code_or_templates() -> None:
    names = {entry[field] for entry in seeded_states() for field in ("name_en", "name_fr")}
    names |= {entry[field] for entry in seed_file("bodies.toml")["body"] for field in ("name_en", "name_fr")}
    found = []
    for path in code_files():
        text = path.read_text(encoding="utf-8")
        found += [
            f"{path.relative_to(ROOT)}: {name}"
            for name in sorted(names)
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text)
        ]

    assert len(code_files()) > 20 and len(names) > 40
    assert found == []


@pytest.fixture(scope="module")
def tiny_portal(
    new_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TinyRegion, httpx.Client]]:
    """The portal serving an invented two-state region from its own seeds and database, signed in."""
    directory = tmp_path_factory.mktemp("tiny")
    tiny = write_tiny_region(directory)
    url = new_database("members_tiny_region")
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as db:
        assert seeds.load(db, tiny.seeds_dir) == 2
        accounts.create_user(
            db,
            email="harbour@example.org",
            display_name="Harbour Watcher",
            role="observer",
            actor_id=None,
            password=PASSWORD,
        )
        db.commit()
    engine.dispose()
    server = LiveServer(
        {"PRCN_DATABASE_URL": url, "PRCN_SEEDS_DIR": str(tiny.seeds_dir), "PRCN_VAR_DIR": str(directory / "var")}
    ).start()
    try:
        with httpx.Client(base_url=server.url, timeout=20) as web:
            token = csrf_token(web.get("/auth/sign-in").text)
            signed = web.post(
                "/auth/sign-in",
                data={"email": "harbour@example.org", "password": PASSWORD, "next": "/members", "csrf_token": token},
            )
            assert signed.status_code == 303, signed.text
            yield tiny, web
    finally:
        server.stop()


def test_another_region_served_from_its_own_seed_files_lists_only_its_own_states(
    tiny_portal: tuple[TinyRegion, httpx.Client],
) -> None:
    tiny, web = tiny_portal

    english = web.get("/members")

    assert english.status_code == 200
    listed = [row[0] for row in table_rows_in(english.text)]
    assert listed == sorted(name for name, _ in tiny.states.values())
    assert soup(english.text).h1.get_text(strip=True) == "Harbour members"
    assert tiny.body[0] in [option.get_text(strip=True) for option in soup(english.text).select("#f-body option")]
    assert tiny.network[0] in soup(english.text).find("footer").get_text()
    assert [option.get_text(strip=True) for option in soup(english.text).select("#f-subregion option")][1:] == [
        "Northern shores"
    ]
    visible = soup(english.text).get_text(" ")
    assert [word for word in sorted(seeded_words()) if word in visible] == []
    assert re.search(r"Pacific|Pacifique", visible) is None


def table_rows_in(html: str) -> list[list[str]]:
    """The rows of the directory table."""
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
        for row in soup(html).select("#directory tbody tr")
    ]


def test_another_regions_pages_carry_no_pacific_words(tiny_portal: tuple[TinyRegion, httpx.Client]) -> None:
    _, web = tiny_portal
    pacific = sorted(seeded_words()) + ["Pacific", "Pacifique", "Melanesia", "Micronesia", "Polynesia"]
    found = {}
    for path in ("/", "/members", "/members/XA", "/bodies", "/contributions", "/account"):
        response = web.get(path)
        assert response.status_code == 200, path
        visible = soup(response.text).get_text(" ")
        found[path] = [word for word in pacific if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", visible)]

    assert found == {path: [] for path in found}


def test_a_state_page_shows_the_figures_seeded_for_it(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    rows = table_rows(browser_for(people.observer).get("/members/FJ").text, "contrib-heading")

    assert ["30 May 2024", "Individual police officers", "0", "0", "26", "26"] in rows
