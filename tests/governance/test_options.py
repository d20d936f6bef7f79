"""The four governance options: what each profile runs, how a wrong profile is reported, and switching between
options there and back, which hides what the new option does not use and deletes nothing."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, SQLModel, select

from app.core import region
from app.core.config import ROOT
from app.core.region import SeedError
from app.governance import service as governance
from app.governance.models import Body, OptionSwitch, WorkingGroup
from app.members import service as members
from tests.factories import soup, state
from tests.governance.conftest import (
    NETWORK,
    OPTIONS,
    PROFILE_BODIES,
    PROFILE_GROUPS,
    REGIONAL,
    People,
    body,
    links,
    settings_for,
)
from tests.support.database import migrated
from tests.support.portal import Portal

SEEDS = ROOT / "seeds"

# What each option runs


@pytest.mark.parametrize("option", OPTIONS)
def test_each_option_activates_exactly_the_bodies_of_its_profile(session: Session, option: str) -> None:
    settings = settings_for(option)
    active = {b.key for b in session.exec(select(Body)).all() if governance.is_active(b, settings)}
    assert active == PROFILE_BODIES[option] | REGIONAL
    assert set(governance.profile(settings).bodies) == PROFILE_BODIES[option]
    assert {
        key: tuple(tracks) for key, tracks in governance.profile(settings).working_groups.items()
    } == PROFILE_GROUPS[option]


@pytest.mark.parametrize("option", OPTIONS)
def test_focal_point_sees_the_bodies_of_the_option_in_force(
    session: Session, people: People, portal: Portal, option: str
) -> None:
    portal.run(option)
    page = soup(portal.client(people.fiji).get("/bodies").text)
    assert links(page.find(id="h-network").parent, "/bodies/") == PROFILE_BODIES[option]
    assert links(page.find(id="h-regional").parent, "/bodies/") == REGIONAL
    assert page.find(class_="dormant") is None


@pytest.mark.parametrize("option", OPTIONS)
def test_quarterly_sme_meeting_runs_under_every_option(
    session: Session, people: People, portal: Portal, option: str
) -> None:
    settings = portal.run(option)
    assert "sme-quarterly" in governance.profile(settings).meeting_series
    page = portal.client(people.fiji).get("/bodies/sme")
    assert page.status_code == 200
    assert "dormant" not in soup(page.text).get_text()


# Profiles checked when read


def seeds_copy(tmp_path: Path, file: str = "", old: str = "", new: str = "") -> Path:
    """A copy of seeds/ in tmp_path with `old` replaced by `new` once in `file`."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    if file:
        path = target / file
        text = path.read_text(encoding="utf-8")
        assert text.count(old) >= 1, f"{old!r} not found in {file}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def check_seeds(seeds_dir: Path) -> None:
    """What `seed` checks: the region files, then the states."""
    region.load(seeds_dir)
    region.read_states(seeds_dir)


PROFILE_BLOCK = """[profiles.informal]
bodies = ["sme"]
working_groups = []
meeting_series = ["sme-quarterly"]
chair = "rotation"
decisions = "consensus"
"""
BROKEN = {
    "unknown body": (
        "network.toml",
        'bodies = ["sme", "pif-subcommittee"]',
        'bodies = ["sme", "pif-subcomittee"]',
        "[profiles.diplomatic]: 'pif-subcomittee' is not a network body of bodies.toml",
    ),
    "regional body": (
        "network.toml",
        'bodies = ["sme", "adhoc-network"]',
        'bodies = ["sme", "pif"]',
        "[profiles.adhoc]: 'pif' is not a network body of bodies.toml",
    ),
    "option misspelt": (
        "network.toml",
        "[profiles.adhoc]",
        "[profiles.ad-hoc]",
        "[profiles.ad-hoc] is not a governance option; use one of: diplomatic, operational",
    ),
    "missing chair": (
        "network.toml",
        PROFILE_BLOCK,
        PROFILE_BLOCK.replace('chair = "rotation"\n', ""),
        "[profiles.informal]: field chair is missing or empty",
    ),
    "missing decisions": (
        "network.toml",
        PROFILE_BLOCK,
        PROFILE_BLOCK.replace('decisions = "consensus"\n', ""),
        "[profiles.informal]: field decisions is missing or empty",
    ),
    "missing label": (
        "network.toml",
        'label_fr = "Option opérationnelle"\n',
        "",
        "[options.operational]: field label_fr is missing or empty",
    ),
    "missing meeting series": (
        "network.toml",
        PROFILE_BLOCK,
        PROFILE_BLOCK.replace('meeting_series = ["sme-quarterly"]\n', ""),
        "meeting_series must include 'sme-quarterly'",
    ),
    "unknown track": (
        "network.toml",
        '{ body = "picp-group", tracks = ["police"] }',
        '{ body = "picp-group", tracks = ["traffic"] }',
        "[profiles.operational]: working groups under 'picp-group' need tracks among",
    ),
    "groups under a body the option lacks": (
        "network.toml",
        '{ body = "spdmm-group", tracks = ["military"] }',
        '{ body = "adhoc-network", tracks = ["military"] }',
        "[profiles.operational]: working groups under 'adhoc-network', which this option does not have",
    ),
    "unknown time zone": (
        "states.toml",
        '"Pacific/Fiji"',
        '"Pacific/Atlantis"',
        "unknown time zone 'Pacific/Atlantis'",
    ),
}


def test_unchanged_copy_of_the_seeds_is_accepted(tmp_path: Path) -> None:
    check_seeds(seeds_copy(tmp_path))


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_profile_names_the_file_and_the_problem(tmp_path: Path, case: str) -> None:
    file, old, new, problem = BROKEN[case]
    seeds_dir = seeds_copy(tmp_path, file, old, new)
    with pytest.raises(SeedError) as refused:
        check_seeds(seeds_dir)
    message = str(refused.value)
    assert message.startswith(str(seeds_dir / file)), message
    assert problem in message
    assert "\n" not in message


def test_profile_for_an_option_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    seeds_dir = seeds_copy(
        tmp_path,
        "network.toml",
        "[profiles.adhoc]",
        PROFILE_BLOCK.replace("informal", "federal") + "\n[profiles.adhoc]",
    )
    with pytest.raises(SeedError) as refused:
        check_seeds(seeds_dir)
    message = str(refused.value)
    assert "network.toml" in message and "[profiles.federal] is not a governance option" in message


def test_profile_without_its_bodies_field_is_refused(tmp_path: Path) -> None:
    """Without the field the option would silently run no body at all, not even the SME meeting."""
    seeds_dir = seeds_copy(tmp_path, "network.toml", PROFILE_BLOCK, PROFILE_BLOCK.replace('bodies = ["sme"]\n', ""))
    with pytest.raises(SeedError) as refused:
        check_seeds(seeds_dir)
    assert "[profiles.informal]" in str(refused.value) and "bodies" in str(refused.value)


@pytest.fixture(scope="session")
def seed_target(new_database: Callable[[str], str]) -> str:
    """A migrated database for `python -m app seed` to refuse to fill."""
    return migrated(new_database("prcn_governance_seeds"))


def run_cli(command: str, seeds_dir: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PRCN_")}
    env.update(
        PRCN_SEEDS_DIR=str(seeds_dir),
        PRCN_DATABASE_URL=database_url,
        PRCN_VAR_DIR=os.environ["PRCN_VAR_DIR"],
        PRCN_SECRET_KEY=os.environ["PRCN_SECRET_KEY"],
    )
    return subprocess.run(
        [sys.executable, "-m", "app", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("command", ["seed", "check-config"])
@pytest.mark.parametrize("case", ["unknown body", "option misspelt", "missing chair", "unknown time zone"])
def test_command_stops_on_a_broken_seed_with_one_line(
    tmp_path: Path, seed_target: str, case: str, command: str
) -> None:
    file, old, new, problem = BROKEN[case]
    seeds_dir = seeds_copy(tmp_path, file, old, new)

    result = run_cli(command, seeds_dir, seed_target)

    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Seed error: {seeds_dir / file}") and problem in lines[0]


# Switching there and back


def populate(session: Session, people: People) -> dict[str, list[WorkingGroup]]:
    """Data in every governance and members table: each network body has members (one withdrew, one is
    waiting), a chair rotation and, where some option allows, working groups (one archived). Returns the
    groups by body."""
    coordinator = people.coordinator
    fj, ws, pg, to = (state(session, code) for code in ("FJ", "WS", "PG", "TO"))
    done: set[str] = set()
    groups: dict[str, list[WorkingGroup]] = {}
    for option in OPTIONS:
        settings = settings_for(option)
        for key in governance.profile(settings).bodies:
            if key in done:
                continue
            done.add(key)
            network_body = body(session, key)
            for member in (fj, ws, pg):
                governance.record_membership(
                    session,
                    settings,
                    user=coordinator,
                    body=network_body,
                    state=member,
                    note=f"{member.code} joins {key}",
                )
            leaving = governance.request_membership(
                session, settings, user=coordinator, body=network_body, state=pg, action="withdraw", note="Leaving"
            )
            governance.decide(session, settings, user=coordinator, event_id=leaving.id, accept=True)
            governance.request_membership(
                session, settings, user=coordinator, body=network_body, state=to, action="join", note="Waiting"
            )
            governance.record_chair(
                session, settings, user=coordinator, body=network_body, state=fj, starts_on=date(2025, 1, 1)
            )
            governance.record_chair(
                session, settings, user=coordinator, body=network_body, state=ws, starts_on=date(2025, 7, 1)
            )
        for key, tracks in governance.profile(settings).working_groups.items():
            for track in tracks:
                group = governance.create_working_group(
                    session,
                    settings,
                    user=coordinator,
                    body_key=key,
                    name=f"{key} {track}",
                    track=track,
                    lead_state_id=fj.id,
                    mandate=f"Mandate of {key} {track}",
                    member_state_ids=[ws.id, to.id],
                )
                groups.setdefault(key, []).append(group)
    first = groups["pif-subcommittee"][0]
    diplomatic, adhoc = settings_for("diplomatic"), settings_for("adhoc")
    governance.change_group_member(session, diplomatic, user=coordinator, group=first, state_id=to.id, add=False)
    governance.update_working_group(
        session,
        diplomatic,
        user=coordinator,
        group=first,
        name=first.name + " (renamed)",
        mandate="New mandate",
        lead_state_id=fj.id,
    )
    governance.archive_working_group(session, adhoc, user=coordinator, group=groups["adhoc-network"][-1], archived=True)
    members.invite_focal_point(
        session,
        settings_for("adhoc"),
        user=coordinator,
        state=fj,
        email="mere.focal@example.org",
        display_name="Mere Focal",
        portfolio="police",
    )
    members.record_contribution(
        session, user=people.fiji, state=fj, as_of=date(2025, 3, 31), category="individual_police", men=12, women=4
    )
    members.record_pledge(
        session,
        user=people.fiji,
        state=fj,
        capability="Formed police unit",
        category="formed_police_units",
        personnel=140,
        readiness="level_2",
        deployment_days=90,
    )
    withdrawn = members.record_pledge(
        session,
        user=people.fiji,
        state=fj,
        capability="Staff officers",
        category="staff_officers",
        personnel=4,
        readiness="level_1",
        deployment_days=60,
    )
    members.withdraw_pledge(session, user=people.fiji, pledge_id=withdrawn.id)
    return groups


APPENDED_ONLY = {"audit_entry", "option_switch"}
GOVERNANCE_AND_MEMBERS = {
    "body",
    "membership_event",
    "chair_term",
    "working_group",
    "working_group_event",
    "member_state",
    "focal_point",
    "contribution_report",
    "region_total",
    "pledge",
}


def dump(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in primary-key order (a session's last-seen time left out: reading pages
    moves it forward)."""
    session.flush()
    tables = {}
    for table in SQLModel.metadata.sorted_tables:
        rows = session.execute(select(table).order_by(*table.primary_key.columns)).mappings().all()
        tables[table.name] = [
            {k: v for k, v in row.items() if not (table.name == "user_session" and k == "last_seen_at")} for row in rows
        ]
    return tables


def shows(portal: Portal, people: People, option: str, groups: dict[str, list[WorkingGroup]]) -> dict[str, Any]:
    """Checks, under `option`, what a focal point and an admin see; returns what the focal point sees."""
    active = PROFILE_BODIES[option]
    dormant = NETWORK - active
    active_groups = {g.id for key, found in groups.items() if key in active for g in found}
    dormant_groups = {g.id for key, found in groups.items() if key not in active for g in found}
    fiji, admin = portal.client(people.fiji), portal.client(people.admin)

    bodies = soup(fiji.get("/bodies").text)
    network = links(bodies.find(id="h-network").parent, "/bodies/")
    assert network == active, f"{option}: focal point's /bodies"
    wg_ids = {int(i) for i in links(fiji.get("/working-groups").text, "/working-groups/")}
    assert wg_ids == active_groups, f"{option}: focal point's /working-groups"
    state_page = soup(fiji.get("/members/FJ").text).find(id="memberships-heading").parent
    member_of = links(state_page.find("ul"), "/bodies/")
    assert member_of == active, f"{option}: focal point's state page"
    in_groups = {int(i) for i in links(state_page, "/working-groups/")}
    archived = {g.id for found in groups.values() for g in found if g.archived_at is not None}
    assert in_groups == active_groups - archived, f"{option}: working groups on the state page"
    for key in dormant:
        assert fiji.get(f"/bodies/{key}").status_code == 404
    for group_id in dormant_groups:
        assert fiji.get(f"/working-groups/{group_id}").status_code == 404

    admin_bodies = soup(admin.get("/bodies").text)
    assert links(admin_bodies.find(id="h-network").parent, "/bodies/") == NETWORK
    marked = {li.a["href"].removeprefix("/bodies/") for li in admin_bodies.select("li.dormant")}
    assert marked == dormant, f"{option}: dormant bodies marked for the admin"
    assert {
        int(i) for i in links(admin.get("/working-groups").text, "/working-groups/")
    } == active_groups | dormant_groups
    for key in dormant:
        page = admin.get(f"/bodies/{key}")
        assert page.status_code == 200
        assert "This body is dormant" in soup(page.text).get_text()
        members_table = soup(page.text).find(id="members-heading").parent.find("table")
        assert {row.th.get_text(strip=True) for row in members_table.select("tbody tr") if row.th} == {"Fiji", "Samoa"}
    for group_id in dormant_groups:
        page = admin.get(f"/working-groups/{group_id}")
        assert page.status_code == 200 and "This working group is dormant" in soup(page.text).get_text()
    overview = soup(admin.get("/admin").text)
    tables = {t.caption.get_text(strip=True): t for t in overview.find_all("table") if t.caption}
    dormant_rows = {
        row.th.a["href"].removeprefix("/bodies/"): [td.get_text(strip=True) for td in row.find_all("td")]
        for row in tables["Dormant network bodies"].select("tbody tr")
        if row.th
    }
    assert set(dormant_rows) == dormant, f"{option}: admin overview"
    for key, (member_count, group_count, _meetings) in dormant_rows.items():
        assert member_count == "2" and group_count == str(len(groups.get(key, [])))
    return {"bodies": network, "groups": wg_ids, "state page": (member_of, in_groups)}


@pytest.mark.parametrize(("first", "second"), list(itertools.permutations(OPTIONS, 2)))
def test_switching_there_and_back_hides_then_restores_and_deletes_nothing(
    session: Session, people: People, portal: Portal, first: str, second: str
) -> None:
    groups = populate(session, people)
    portal.run(first)
    for user in (people.fiji, people.admin):
        portal.client(user)
    before = dump(session)
    assert all(before[name] for name in GOVERNANCE_AND_MEMBERS), "every governance and members table has rows"
    seen_first = shows(portal, people, first, groups)

    portal.run(second)
    seen_second = shows(portal, people, second, groups)
    assert seen_second["bodies"] != seen_first["bodies"]
    portal.run(first)
    seen_again = shows(portal, people, first, groups)

    after = dump(session)
    assert seen_again == seen_first
    for name in before:
        if name in APPENDED_ONLY:
            assert after[name][: len(before[name])] == before[name], f"{name}: an earlier row changed"
        else:
            assert after[name] == before[name], f"{name} changed"
    switches = session.exec(select(OptionSwitch).order_by(OptionSwitch.id)).all()
    assert switches[-3].option == first
    assert [(s.option, s.previous) for s in switches[-2:]] == [(second, first), (first, second)]
