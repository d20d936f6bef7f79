"""After a governance switch, no loose ends: what the option in force leaves dormant is kept and said to be dormant.
Its meetings stay where they were listed, marked; its page tells members, observers and coordinators it is dormant
instead of missing, admins read it without controls; state pages show memberships of dormant bodies as dormant;
nothing in a dormant body or group can be changed, whatever the form posted, until an option that has it is back; and
the admin's page counts what waits in each dormant body."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlmodel import Session, col, select

from app.auth.models import User
from app.core import region
from app.governance import service as governance
from app.governance.models import Body, ChairTerm, MembershipEvent, WorkingGroup, WorkingGroupEvent
from app.meetings import service as meetings
from app.meetings.models import Meeting, MeetingSeries
from tests.factories import csrf_token, make_user, soup, state
from tests.governance.conftest import OPTIONS, PROFILE_BODIES, PROFILE_GROUPS, People, body, settings_for
from tests.support.portal import Portal

# Each network body the SME meeting does not cover, with an option that has it and the options that leave it dormant.
HOMES = {"pif-subcommittee": "diplomatic", "picp-group": "operational", "adhoc-network": "adhoc"}
CASES = [(key, home, option) for key, home in HOMES.items() for option in OPTIONS if key not in PROFILE_BODIES[option]]
MARK = "held under a dormant body"


def label(option: str) -> str:
    return region.load(settings_for(option).seeds_dir).options[option].label("en")


def text(html: str | Tag) -> str:
    page = soup(html) if isinstance(html, str) else html
    return " ".join(page.get_text(" ").split())


def main(html: str) -> Tag:
    found = soup(html).find("main")
    assert isinstance(found, Tag)
    return found


@dataclass
class Scene:
    """A body's meeting, a meeting of one of its working groups and an SME meeting, all ahead; Fiji belongs to
    the body, to the group (with Samoa) and to the SME meeting."""

    body: Body
    group: WorkingGroup
    body_meeting: Meeting
    group_meeting: Meeting
    sme_meeting: Meeting
    request: MembershipEvent


def meeting_form(**fields: Any) -> meetings.MeetingForm:
    day = (date.today() + timedelta(days=40)).isoformat()
    values: dict[str, Any] = {
        "title": "Meeting",
        "day": day,
        "start": "10:00",
        "duration": 120,
        "host_zone": "Pacific/Fiji",
        "format": "virtual",
        "link": "https://meet.example.org/x",
    }
    values.update(fields)
    return meetings.MeetingForm(**values)


def arrange(session: Session, people: People, key: str, home: str) -> Scene:
    """Under `home`, where the body is active: memberships, a working group, a waiting request and meetings."""
    settings = settings_for(home)
    network, sme = body(session, key), body(session, "sme")
    fj, ws, to = state(session, "FJ"), state(session, "WS"), state(session, "TO")
    for joined in (network, sme):
        for member in (fj, ws):
            governance.record_membership(session, settings, user=people.coordinator, body=joined, state=member)
    governance.record_chair(
        session, settings, user=people.coordinator, body=network, state=fj, starts_on=date(2025, 1, 1)
    )
    request = governance.request_membership(
        session, settings, user=people.coordinator, body=network, state=to, action="join"
    )
    group = governance.create_working_group(
        session,
        settings,
        user=people.coordinator,
        body_key=key,
        name=f"{key} training group",
        track=PROFILE_GROUPS[home][key][0],
        lead_state_id=fj.id,
        mandate="Pre-deployment training",
        member_state_ids=[ws.id],
    )
    coordinator = people.coordinator
    return Scene(
        body=network,
        group=group,
        body_meeting=meetings.create_meeting(
            session, settings, user=coordinator, form=meeting_form(title=f"{key} plenary", body_key=key)
        ),
        group_meeting=meetings.create_meeting(
            session, settings, user=coordinator, form=meeting_form(title=f"{key} group", working_group_id=group.id)
        ),
        sme_meeting=meetings.create_meeting(
            session, settings, user=coordinator, form=meeting_form(title="Quarterly SME", body_key="sme")
        ),
        request=request,
    )


def stored(session: Session) -> list[tuple[Any, ...]]:
    """Every governance row a change to a body or working group could touch."""
    session.expire_all()
    rows: list[tuple[Any, ...]] = []
    for model in (MembershipEvent, ChairTerm, WorkingGroup, WorkingGroupEvent, Meeting):
        rows += [tuple(row.model_dump().values()) for row in session.exec(select(model).order_by(col(model.id))).all()]
    return rows


# Meetings of a dormant body or of its working group: still listed, marked as held under a dormant body


def marked_on(html: str, meeting: Meeting) -> bool:
    """Whether the list entry (li or tr) linking to the meeting carries the dormant mark; fails when not listed."""
    entry = None
    for link in main(html).find_all("a", href=True):
        if str(link["href"]).split("#")[0] == f"/meetings/{meeting.id}":
            entry = link.find_parent(["li", "tr"])
            break
    assert entry is not None, f"meeting {meeting.title_en} not listed"
    return MARK in text(entry)


def feed_descriptions(browser: TestClient, session: Session, user: User) -> dict[str, str]:
    """The user's private calendar feed, as UID -> DESCRIPTION ('' when none)."""
    token = meetings.new_feed(session, user=user)
    response = browser.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    return {str(e["uid"]): str(e.get("description", "")) for e in Calendar.from_ical(response.text).walk("VEVENT")}


def download_description(browser: TestClient, meeting: Meeting) -> str:
    response = browser.get(f"/meetings/{meeting.id}/calendar.ics")
    assert response.status_code == 200
    return str(Calendar.from_ical(response.text).walk("VEVENT")[0].get("description", ""))


@pytest.mark.parametrize(("key", "home", "option"), CASES)
def test_meetings_of_a_dormant_body_stay_listed_and_are_marked_everywhere(
    session: Session, people: People, portal: Portal, key: str, home: str, option: str
) -> None:
    scene = arrange(session, people, key, home)
    dormant = (scene.body_meeting, scene.group_meeting)
    portal.run(home)
    fiji = portal.client(people.fiji)
    for path in ("/dashboard", "/meetings"):
        assert not [m.title_en for m in (*dormant, scene.sme_meeting) if marked_on(fiji.get(path).text, m)], path
    assert not any(feed_descriptions(fiji, session, people.fiji).values())

    portal.run(option)
    for user in (people.fiji, people.coordinator, people.admin):
        browser = portal.client(user)
        for path in ("/dashboard", "/meetings"):
            page = browser.get(path).text
            assert [marked_on(page, m) for m in dormant] == [True, True], (user.role, path)
            assert not marked_on(page, scene.sme_meeting), (user.role, path)
        for meeting in dormant:
            page = browser.get(f"/meetings/{meeting.id}")
            assert page.status_code == 200
            notice = main(page.text).find(id="dormant-notice")
            assert notice is not None, (user.role, meeting.title_en)
            assert f"dormant under the {label(option)}" in text(notice)
            assert "has not been cancelled" in text(notice)
            assert f"dormant under the {label(option)}" in download_description(browser, meeting)
        assert main(browser.get(f"/meetings/{scene.sme_meeting.id}").text).find(id="dormant-notice") is None
        assert download_description(browser, scene.sme_meeting) == ""
        feed = feed_descriptions(browser, session, user)
        assert {uid for uid, note in feed.items() if note} == {m.uid for m in dormant}, user.role
        assert f"dormant under the {label(option)}" in feed[scene.body_meeting.uid]
    assert session.get_one(Meeting, scene.body_meeting.id).status == "scheduled"


def test_feed_speaks_the_owners_language(session: Session, people: People, portal: Portal) -> None:
    scene = arrange(session, people, "adhoc-network", "adhoc")
    portal.run("informal")
    people.fiji.language = "fr"
    session.add(people.fiji)
    session.commit()
    feed = feed_descriptions(portal.client(), session, people.fiji)
    assert "en sommeil" in feed[scene.body_meeting.uid]


def test_series_of_a_dormant_body_schedules_no_more_meetings(session: Session, people: People, portal: Portal) -> None:
    settings = settings_for("adhoc")
    arrange(session, people, "adhoc-network", "adhoc")
    series = meetings.create_series(
        session,
        settings,
        user=people.coordinator,
        title="Network quarterly",
        body_key="adhoc-network",
        working_group_id=None,
        host_zone="Pacific/Fiji",
        local_start="10:00",
        duration=120,
        first_day=(date.today() + timedelta(days=20)).isoformat(),
        link="https://meet.example.org/q",
    )
    portal.run("informal")
    coordinator = portal.client(people.coordinator)
    page = coordinator.get("/meetings").text
    rows = main(page).find(id="series-heading").parent.select("tbody tr")
    row = next(row for row in rows if text(row.th).startswith("Network quarterly"))
    assert MARK in text(row) and row.find("form") is None
    before = stored(session)

    response = coordinator.post(
        f"/meetings/series/{series.id}/next",
        data={"csrf_token": csrf_token(page), "link": "https://meet.example.org/q", "format": "virtual"},
    )

    assert response.status_code == 409
    assert f"dormant under the {label('informal')}" in text(response.text)
    assert stored(session) == before
    assert len(session.exec(select(Meeting).where(Meeting.series_id == series.id)).all()) == 4
    assert session.get(MeetingSeries, series.id) is not None


# A dormant body or group: members are told it is dormant, admins read it without controls


@pytest.mark.parametrize(("key", "home", "option"), CASES)
def test_dormant_body_and_group_say_so_instead_of_not_existing(
    session: Session, people: People, portal: Portal, key: str, home: str, option: str
) -> None:
    scene = arrange(session, people, key, home)
    observer = make_user(session, role="observer", organisation="UN DPO", password=None)
    portal.run(option)
    for user in (people.fiji, observer, people.coordinator):
        browser = portal.client(user)
        for path in (f"/bodies/{key}", f"/working-groups/{scene.group.id}"):
            response = browser.get(path)
            assert response.status_code == 404, (user.role, path)
            words = text(main(response.text))
            assert f"dormant under the {label(option)}" in words, (user.role, path)
            assert "Dormant under this option" in words and "Nothing has been deleted" in words
            assert "does not exist" not in words and "Not found" not in words
    assert portal.client(people.fiji).get("/bodies/no-such-body").status_code == 404

    admin = portal.client(people.admin)
    for path in (f"/bodies/{key}", f"/working-groups/{scene.group.id}"):
        response = admin.get(path)
        assert response.status_code == 200
        assert "dormant under the current governance option" in text(main(response.text))
        assert main(response.text).find("form") is None, path
    page = main(admin.get(f"/bodies/{key}").text)
    assert scene.group.name in text(page) and "Fiji" in text(page)


# A state page keeps its memberships of dormant bodies, shown as dormant


def dormant_part(html: str) -> Tag:
    heading = main(html).find(id="dormant-memberships-heading")
    assert heading is not None, "no list of dormant memberships"
    part = heading.find_parent("section") or heading.parent
    assert isinstance(part, Tag)
    return part


@pytest.mark.parametrize(("key", "home", "option"), CASES)
def test_state_page_shows_memberships_of_dormant_bodies_as_dormant(
    session: Session, people: People, portal: Portal, key: str, home: str, option: str
) -> None:
    scene = arrange(session, people, key, home)
    portal.run(home)
    assert main(portal.client(people.fiji).get("/members/FJ").text).find(id="dormant-memberships-heading") is None

    portal.run(option)
    name = scene.body.name_en
    for user in (people.fiji, people.samoa, people.coordinator, people.admin):
        browser = portal.client(user)
        page = browser.get("/members/FJ").text
        active = main(page).find(id="memberships-heading").find_next("ul")
        assert name not in text(active), user.role
        part = dormant_part(page)
        assert "Memberships of bodies dormant under this option" in text(part)
        assert f"{name} — member since" in text(part), user.role
        assert scene.group.name in text(part), user.role
        assert scene.request.kind not in text(part)
        brief = browser.get("/members/FJ/brief").text
        assert name in text(dormant_part(brief)) and scene.group.name in text(dormant_part(brief))
    tonga = dormant_part(portal.client(people.fiji).get("/members/TO").text)
    assert f"{name} — asked to join" in text(tonga)

    portal.run(home)
    page = portal.client(people.fiji).get("/members/FJ").text
    assert main(page).find(id="dormant-memberships-heading") is None
    assert name in text(main(page).find(id="memberships-heading").find_next("ul"))


# Nothing in a dormant body or group can be changed: no controls, and the server refuses a posted form


@pytest.mark.parametrize(("key", "home", "option"), CASES)
def test_dormant_group_and_body_refuse_every_change(
    session: Session, people: People, portal: Portal, key: str, home: str, option: str
) -> None:
    scene = arrange(session, people, key, home)
    ws, to = state(session, "WS"), state(session, "TO")
    group = f"/working-groups/{scene.group.id}"
    changes = [
        (group, {"name": "Renamed", "mandate": "Other", "lead_state_id": str(ws.id)}),
        (f"{group}/archive", {"archived": "1"}),
        (f"{group}/members", {"state_id": str(to.id), "change": "add"}),
        (f"{group}/members", {"state_id": str(ws.id), "change": "remove"}),
        (f"/bodies/{key}/members", {"state_id": str(to.id)}),
        (f"/bodies/{key}/chairs", {"state_id": str(ws.id), "starts_on": "2026-01-01"}),
        (f"/bodies/{key}/requests", {"state_id": str(to.id), "action": "join"}),
        (f"/membership-requests/{scene.request.id}", {"decision": "accept"}),
    ]
    portal.run(option)
    before = stored(session)
    admin = portal.client(people.admin)
    token = csrf_token(admin.get("/bodies").text)
    for path, fields in changes:
        response = admin.post(path, data={"csrf_token": token, **fields})
        assert response.status_code == 409, path
        assert "can be read, not changed" in text(response.text), path
        assert f"dormant under the {label(option)}" in text(response.text), path
    coordinator = portal.client(people.coordinator)
    token = csrf_token(coordinator.get("/bodies").text)
    for path, fields in changes:
        response = coordinator.post(path, data={"csrf_token": token, **fields})
        assert response.status_code == 404, path
        assert f"dormant under the {label(option)}" in text(response.text), path
    fiji = portal.client(people.fiji)
    response = fiji.post(
        f"/bodies/{key}/requests", data={"csrf_token": csrf_token(fiji.get("/bodies").text), "action": "withdraw"}
    )
    assert response.status_code == 404
    assert stored(session) == before

    portal.run(home)
    response = portal.client(people.coordinator).post(
        f"{group}/members", data={"csrf_token": token, "state_id": str(to.id), "change": "add"}
    )
    assert response.status_code == 303
    assert to.id in governance.group_members(session, [scene.group.id])[scene.group.id]


# The admin's page on what the switch made dormant


@pytest.mark.parametrize(("key", "home", "option"), [CASES[0], CASES[-1]])
def test_admin_page_counts_what_waits_in_each_dormant_body(
    session: Session, people: People, portal: Portal, key: str, home: str, option: str
) -> None:
    arrange(session, people, key, home)
    portal.run(option)
    page: BeautifulSoup = soup(portal.client(people.admin).get("/admin").text)
    tables = {t.caption.get_text(strip=True): t for t in page.find_all("table") if t.caption}
    heads = [th.get_text(strip=True) for th in tables["Dormant network bodies"].select("thead th")]
    assert heads == ["Body", "Member states", "Working groups", "Upcoming meetings"]
    rows = {
        row.th.a["href"].removeprefix("/bodies/"): [td.get_text(strip=True) for td in row.find_all("td")]
        for row in tables["Dormant network bodies"].select("tbody tr")
        if row.th
    }
    assert set(rows) == {k for k in HOMES | {"spdmm-group": ""} if k not in PROFILE_BODIES[option]}
    assert rows[key] == ["2", "1", "2"]
    section = text(page.find(id="dormant-heading").parent)
    assert "marked as held under a dormant body" in section and "told it is dormant" in section
