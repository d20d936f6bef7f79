"""Meetings pages through HTTP: what each page shows, every form with its CSRF token, refusals shown on the page
with nothing changed, downloads, the private calendar feed, and list pages at a fixed number of queries."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from app.auth.models import User
from app.core.config import get_settings
from app.core.db import id_of
from app.decisions import service as decisions
from app.governance import service as governance
from app.governance.models import Body
from app.meetings import service as meetings
from app.meetings.models import (
    ActionItem,
    ActionItemEvent,
    AgendaItem,
    Attendance,
    Invitation,
    Meeting,
    MeetingDocument,
    MeetingInvitee,
    MeetingSeries,
    MinutesVersion,
)
from app.outbox.models import OutboxMessage
from tests.factories import QueryLog, alerts, make_user, page_csrf, sign_in, soup, state

SUVA, APIA, RAROTONGA, AUCKLAND = "Pacific/Fiji", "Pacific/Apia", "Pacific/Rarotonga", "Pacific/Auckland"
LINK = "https://meet.example.org/sme"
PDF = b"%PDF-1.7\n% Fiji written update\n"


def coming_tuesday(after_days: int) -> date:
    """A Tuesday at least `after_days` days from today, so meetings on it are still to come."""
    day = date.today() + timedelta(days=after_days)
    return day + timedelta(days=(1 - day.weekday()) % 7)


MEETING_DAY = coming_tuesday(60)


def _label(local: datetime) -> str:
    name = local.tzname() or ""
    return f"UTC{name}" if name[:1] in "+-" else name


def lived(instant: datetime, zone: str) -> str:
    """An instant as someone in `zone` reads it in full: 'Monday, 11 March 2030, 12:00 UTC-10'."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%A}, {local.day} {local:%B %Y, %H:%M} {_label(local)}"


def short(instant: datetime, zone: str) -> str:
    """The short form of tables: 'Tue 12 Mar 10:00 UTC+12'."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %H:%M} {_label(local)}"


def at(day: date, clock: str, zone: str) -> datetime:
    """The UTC instant of a wall-clock time on a local date."""
    return datetime.combine(day, time.fromisoformat(clock), ZoneInfo(zone)).astimezone(UTC)


# The people and the meeting


@dataclass
class Scene:
    coordinator: User
    fiji: User
    samoa: User
    cook: User
    observer: User
    outsider: User
    meeting: Meeting


def person(
    session: Session, role: str, name: str, code: str | None = None, zone: str = "UTC", language: str = "en"
) -> User:
    extra = {"member_state_id": state(session, code).id} if code else {}
    user = make_user(session, role=role, display_name=name, password=None, language=language, **extra)
    user.time_zone = zone
    session.add(user)
    session.commit()
    return user


def schedule(
    session: Session,
    coordinator: User,
    *,
    day: date = MEETING_DAY,
    title: str = "SME meeting",
    start: str = "10:00",
    duration: int = 120,
) -> Meeting:
    """A virtual meeting of the SME body, hosted from Suva; its member states are invited."""
    form = meetings.MeetingForm(
        title=title,
        day=day.isoformat(),
        start=start,
        duration=duration,
        host_zone=SUVA,
        format="virtual",
        body_key="sme",
        link=LINK,
    )
    return meetings.create_meeting(session, get_settings(), user=coordinator, form=form)


@pytest.fixture
def scene(session: Session) -> Scene:
    """Fiji and Samoa are members of the SME body; the Cook Islands and an observer are invited to its meeting;
    Papua New Guinea is not."""
    coordinator = person(session, "coordinator", "Colin Coordinator", zone=SUVA)
    sme = session.exec(select(Body).where(Body.key == "sme")).one()
    for code in ("FJ", "WS"):
        governance.record_membership(session, get_settings(), user=coordinator, body=sme, state=state(session, code))
    cast = {
        "fiji": person(session, "focal_point", "Fiji Focal", "FJ", SUVA),
        "samoa": person(session, "focal_point", "Samoa Focal", "WS", APIA),
        "cook": person(session, "focal_point", "Cook Focal", "CK", RAROTONGA),
        "observer": person(session, "observer", "Olive Observer", zone="Australia/Sydney"),
        "outsider": person(session, "focal_point", "Papua Focal", "PG", "Pacific/Port_Moresby"),
    }
    meeting = schedule(session, coordinator)
    meetings.invite(
        session,
        get_settings(),
        user=coordinator,
        meeting=meeting,
        state_ids=[state(session, "CK").id],
        observer_ids=[cast["observer"].id],
    )
    return Scene(coordinator=coordinator, meeting=meeting, **cast)


# Small helpers


def enter(client: TestClient, session: Session, user: User) -> str:
    """Signs `user` in and returns the CSRF token of their session."""
    sign_in(client, session, user)
    return page_csrf(client, "/meetings")


def post(client: TestClient, token: str, path: str, data: dict[str, Any] | None = None, **extra: Any) -> Any:
    return client.post(path, data={**(data or {}), "csrf_token": token}, **extra)


def rows(session: Session, model: Any, *where: Any) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def alert(scope: BeautifulSoup | Tag | None) -> str:
    """The text of the alert box inside `scope` ('' when there is none)."""
    box = scope.find(attrs={"role": "alert"}) if scope is not None else None
    return box.get_text(" ", strip=True) if box else ""


def section(html: str, name: str) -> Tag:
    found = soup(html).find(id=name)
    assert found is not None, f"no element #{name} on the page"
    return found


def listed(scope: Tag, heading: str) -> list[str]:
    """The items of the list that follows the heading with id `heading`."""
    return [" ".join(li.get_text(" ").split()) for li in scope.find(id=heading).find_next("ul").find_all("li")]


def notice(html: str) -> str:
    found = soup(html).select_one("p.notice")
    return found.get_text(strip=True) if found else ""


def latest_mail_id(session: Session) -> int:
    return session.exec(select(func.coalesce(func.max(OutboxMessage.id), 0))).one()


def invitation_of(session: Session, meeting: Meeting, user: User) -> Invitation:
    return session.exec(
        select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.user_id == user.id)
    ).one()


def refreshed(session: Session, row: Any) -> Any:
    session.refresh(row)
    return row


# Pages


def test_meetings_page_shows_the_viewers_own_weekday_and_date_with_the_hosts_time_beside(
    client: TestClient, session: Session, scene: Scene
) -> None:
    sign_in(client, session, scene.cook)

    response = client.get("/meetings")

    assert response.status_code == 200
    page = soup(response.text)
    assert "Times are shown in your time zone, Pacific/Rarotonga" in page.main.get_text(" ")
    link = page.find("a", href=f"/meetings/{scene.meeting.id}")
    row = link.find_parent("tr")
    cells = [cell.get_text(" ", strip=True) for cell in row.find_all("td")]
    starts = scene.meeting.starts_at
    assert cells[0] == lived(starts, RAROTONGA)
    assert cells[0].startswith("Monday, "), "Tuesday morning in Suva is Monday in Rarotonga"
    assert cells[1] == short(starts, SUVA) and cells[1].startswith("Tue ")
    assert cells[2] == "Virtual"
    assert cells[3] == "Waiting for your answer"


def test_meetings_page_shows_the_answer_once_given(client: TestClient, session: Session, scene: Scene) -> None:
    meetings.answer(session, user=scene.cook, meeting=scene.meeting, reply="not_attending")
    sign_in(client, session, scene.cook)

    row = soup(client.get("/meetings").text).find("a", href=f"/meetings/{scene.meeting.id}").find_parent("tr")

    assert row.find_all("td")[3].get_text(strip=True) == "Not attending"


def test_dashboard_shows_next_meetings_waiting_invitations_open_action_items_and_recent_minutes(
    client: TestClient, session: Session, scene: Scene
) -> None:
    answered = schedule(session, scene.coordinator, day=MEETING_DAY + timedelta(days=7), title="Answered meeting")
    meetings.invite(session, get_settings(), user=scene.coordinator, meeting=answered, state_ids=[])
    meetings.answer(session, user=scene.fiji, meeting=answered, reply="attending")
    fiji_id, samoa_id = state(session, "FJ").id, state(session, "WS").id
    meetings.add_action_item(
        session,
        user=scene.coordinator,
        meeting=scene.meeting,
        owner_state_id=fiji_id,
        text="Share the course outline",
        due_on="2027-02-01",
    )
    done = meetings.add_action_item(
        session,
        user=scene.coordinator,
        meeting=scene.meeting,
        owner_state_id=fiji_id,
        text="Send the roster",
        due_on="2027-01-15",
    )
    meetings.change_action_item(session, user=scene.coordinator, meeting=scene.meeting, item_id=done.id, status="done")
    meetings.add_action_item(
        session,
        user=scene.coordinator,
        meeting=scene.meeting,
        owner_state_id=samoa_id,
        text="Samoa's own task",
        due_on="2027-01-20",
    )
    meetings.save_minutes(session, user=scene.coordinator, meeting=scene.meeting, text="Fiji chaired.")
    sign_in(client, session, scene.fiji)

    response = client.get("/dashboard")

    assert response.status_code == 200
    page = soup(response.text).main
    assert "Times are shown in your time zone, Pacific/Fiji." in page.get_text(" ")
    assert listed(page, "waiting-heading") == [f"SME meeting — {lived(scene.meeting.starts_at, SUVA)}"]
    assert listed(page, "next-heading") == [
        f"SME meeting — {lived(scene.meeting.starts_at, SUVA)}",
        f"Answered meeting — {lived(answered.starts_at, SUVA)}",
    ]
    assert listed(page, "actions-heading") == ["Share the course outline — due 1 Feb 2027 ( SME meeting )"]
    minutes = listed(page, "minutes-heading")
    assert len(minutes) == 1 and minutes[0].startswith("SME meeting — ")
    assert page.find(id="waiting-heading").find_next("a")["href"] == f"/meetings/{scene.meeting.id}#answer"


def test_new_meeting_page_offers_the_active_bodies_and_the_regions_zones(
    client: TestClient, session: Session, scene: Scene
) -> None:
    sign_in(client, session, scene.coordinator)

    response = client.get("/meetings/new")

    assert response.status_code == 200
    page = soup(response.text)
    assert [option["value"] for option in page.select("#m-owner option")] == ["body:sme"]
    zones = [option["value"] for option in page.select("#m-zone option")]
    assert {SUVA, APIA, RAROTONGA, AUCKLAND, "UTC"} <= set(zones)
    # the coordinator's own zone (Suva) is not assumed: the times are read in the host state's zone
    assert page.select_one("#m-zone option[selected]")["value"] == ""
    assert page.select_one("#m-zone option[selected]").get_text() == "Same as the host state"
    assert [o["value"] for o in page.select("#m-format option")] == ["in_person", "virtual", "hybrid"]
    assert page.find("form", action="/meetings").find("input", attrs={"name": "csrf_token"})
    assert page.find("form", action="/meetings/series") is not None


FIND_WINDOW = {"first": "2030-03-11", "last": "2030-03-15", "zone": SUVA, "duration": "120"}


def find_query(session: Session, *codes: str) -> dict[str, Any]:
    return {**FIND_WINDOW, "states": [state(session, code).id for code in codes]}


def at_work(local: datetime, minutes: int) -> bool:
    """Whether a meeting starting at this local time falls inside 08:00-18:00 of a weekday."""
    end = local + timedelta(minutes=minutes)
    return local.weekday() < 5 and local.date() == end.date() and time(8) <= local.time() and end.time() <= time(18)


def why_outside(local: datetime) -> str:
    """Why a meeting starting at this local time of a working week is outside 08:00-18:00, in the page's words."""
    if local.weekday() >= 5:
        return "weekend"
    return "before hours" if local.time() < time(8) else "after hours"


def slot_start(text: str, zone: str) -> datetime:
    """The instant of a slot's first cell, 'Tue 12 Mar 10:00 UTC+13', read in `zone` (the window is in 2030)."""
    clock = " ".join(text.split()[:4])
    local = datetime.strptime(f"2030 {clock}", "%Y %a %d %b %H:%M").replace(tzinfo=ZoneInfo(zone))
    assert short(local, zone) == text, f"{text!r} is not a time in {zone}"
    return local.astimezone(UTC)


def test_find_time_ranks_slots_and_shows_each_chosen_states_local_time(
    client: TestClient, session: Session, scene: Scene
) -> None:
    sign_in(client, session, scene.coordinator)

    response = client.get("/meetings/find-time", params=find_query(session, "FJ", "WS", "CK"))

    assert response.status_code == 200
    page = soup(response.text)
    assert page.h1.get_text(strip=True) == "Find a time"
    table = page.select_one("#slots table.slots")
    headers = [th.get_text(strip=True) for th in table.select("thead th")]
    assert headers[:2] == ["Time (Pacific/Fiji)", "Inside working hours"] and headers[-1] == "Schedule"
    names = headers[2:-1]
    assert names == ["Cook Islands", "Fiji", "Samoa"]
    zones = {"Cook Islands": RAROTONGA, "Fiji": SUVA, "Samoa": APIA}
    counts = []
    for row in table.select("tbody tr"):
        starts = slot_start(row.th.get_text(strip=True), SUVA)
        cells = row.find_all("td")
        inside = 0
        for name, cell in zip(names, cells[1:-1], strict=True):
            local = starts.astimezone(ZoneInfo(zones[name]))
            assert cell.get_text(" ", strip=True).startswith(short(starts, zones[name]))
            assert ("outside" in cell.get("class", [])) is not at_work(local, 120)
            badge = cell.select_one(".badge")
            assert (badge.get_text(strip=True) if badge else None) == (
                None if at_work(local, 120) else why_outside(local)
            )
            inside += at_work(local, 120)
        assert cells[0].get_text(strip=True) == f"{inside} / 3"
        assert cells[-1].a.get_text(strip=True) == "Schedule this slot"
        counts.append(inside)
    assert counts == sorted(counts, reverse=True) and counts[0] == 3
    assert [o["value"] for o in page.select("input[name=states][checked]")] == [
        str(state(session, code).id) for code in ("CK", "FJ", "WS")
    ]


def test_find_time_names_the_public_holiday_that_keeps_a_state_outside(
    client: TestClient, session: Session, scene: Scene
) -> None:
    sign_in(client, session, scene.coordinator)
    query = {"first": "2027-08-04", "last": "2027-08-04", "zone": RAROTONGA, "duration": "60"}

    response = client.get("/meetings/find-time", params=query | {"states": [state(session, "CK").id]})

    badges = {badge.get_text(strip=True) for badge in soup(response.text).select("table.slots td .badge")}
    assert badges == {"public holiday: Constitution Day"}


def test_find_time_is_a_shareable_address_updated_in_place_by_the_latest_search(
    client: TestClient, session: Session, scene: Scene
) -> None:
    sign_in(client, session, scene.coordinator)

    form = soup(client.get("/meetings/find-time").text).find("form", action="/meetings/find-time")

    assert (form["method"], form["data-hx-get"], form["data-hx-target"]) == ("get", "/meetings/find-time", "#slots")
    assert form["data-hx-sync"] == "this:replace" and form["data-hx-push-url"] == "true"


def test_a_found_slot_leads_to_the_scheduling_form_filled_with_it(
    client: TestClient, session: Session, scene: Scene, series: list[Meeting]
) -> None:
    sign_in(client, session, scene.coordinator)
    chosen = [state(session, code).id for code in ("FJ", "WS", "CK")]
    query = find_query(session, "FJ", "WS", "CK") | {"duration": "90", "series": str(series[0].series_id)}

    row = soup(client.get("/meetings/find-time", params=query).text).select_one("table.slots tbody tr")
    starts = slot_start(row.th.get_text(strip=True), SUVA)
    link = row.find("a", string="Schedule this slot")["href"]
    form = soup(client.get(link).text).find("form", action="/meetings")

    assert link.startswith("/meetings/new?")
    assert form.select_one("#m-day")["value"] == starts.astimezone(ZoneInfo(SUVA)).date().isoformat()
    assert form.select_one("#m-start")["value"] == starts.astimezone(ZoneInfo(SUVA)).strftime("%H:%M")
    assert form.select_one("#m-zone option[selected]")["value"] == SUVA
    assert form.select_one("#m-duration")["value"] == "90"
    assert sorted(int(box["value"]) for box in form.select("input[name=states][checked]")) == sorted(chosen)
    assert form.select_one("#m-series option[selected]")["value"] == str(series[0].series_id)
    assert form.select_one("#m-title")["value"] == "SME series"
    assert form.select_one("#m-owner option[selected]")["value"] == "body:sme"


def test_find_time_answers_htmx_with_the_slots_fragment_only(
    client: TestClient, session: Session, scene: Scene
) -> None:
    sign_in(client, session, scene.coordinator)

    response = client.get(
        "/meetings/find-time", params=find_query(session, "FJ", "WS", "CK"), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "<html" not in response.text and "<h1" not in response.text and "<form" not in response.text
    fragment = soup(response.text)
    assert fragment.select_one("table.slots caption").get_text(strip=True) == "Best times first"
    assert len(fragment.select("table.slots tbody tr")) == 10


def test_find_time_with_a_window_that_ends_before_it_starts_says_so(
    client: TestClient, session: Session, scene: Scene
) -> None:
    sign_in(client, session, scene.coordinator)
    query = find_query(session, "FJ") | {"first": "2030-03-15", "last": "2030-03-11"}

    full = client.get("/meetings/find-time", params=query)
    fragment = client.get("/meetings/find-time", params=query, headers={"HX-Request": "true"})

    assert full.status_code == fragment.status_code == 400
    assert alert(soup(full.text).find(id="slots")) == "The window ends before it starts."
    assert alert(soup(fragment.text)) == "The window ends before it starts."
    assert soup(full.text).find("table", class_="slots") is None


def test_meeting_page_says_why_the_meeting_is_outside_an_invited_states_working_hours(
    client: TestClient, session: Session, scene: Scene
) -> None:
    early = schedule(session, scene.coordinator, start="07:00", title="Early SME meeting")  # Tuesday in Suva
    sign_in(client, session, scene.coordinator)

    table = soup(client.get(f"/meetings/{early.id}").text).find(id="times-heading").find_next("table")

    hours = {row.th.get_text(strip=True): row.find_all("td")[1].get_text(" ", strip=True) for row in table.tbody("tr")}
    assert hours == {"Fiji": "outside (before hours)", "Samoa": "inside"}


def test_meeting_page_shows_the_time_for_the_viewer_the_host_and_each_invited_state(
    client: TestClient, session: Session, scene: Scene
) -> None:
    sign_in(client, session, scene.samoa)

    response = client.get(f"/meetings/{scene.meeting.id}")

    assert response.status_code == 200
    page = soup(response.text)
    assert page.h1.get_text(strip=True) == "SME meeting"
    facts = dict(
        zip(
            [dt.get_text(strip=True) for dt in page.select("dl.facts dt")],
            [" ".join(dd.get_text(" ").split()) for dd in page.select("dl.facts dd")],
            strict=True,
        )
    )
    starts, ends = scene.meeting.starts_at, scene.meeting.ends_at
    assert facts["Your time"] == f"{lived(starts, APIA)} – {short(ends, APIA)}"
    assert facts["At the host"] == f"{lived(starts, SUVA)} (Suva, Fiji)"
    assert facts["Meeting of"] == "Quarterly subject-matter-expert meeting"
    assert facts["Link"] == LINK
    table = page.find(id="times-heading").find_next("table")
    times = {row.th.get_text(strip=True): row.find("td").get_text(strip=True) for row in table.select("tbody tr")}
    assert times == {
        "Cook Islands": lived(starts, RAROTONGA),
        "Fiji": lived(starts, SUVA),
        "Samoa": lived(starts, APIA),
    }
    assert page.find("a", href=f"/meetings/{scene.meeting.id}/calendar.ics") is not None
    assert page.find("form", action=f"/meetings/{scene.meeting.id}/answer") is not None
    assert page.find("form", action=f"/meetings/{scene.meeting.id}/move") is None, "only coordinators move it"


def test_meeting_calendar_file_is_a_publish_in_the_hosts_zone(
    client: TestClient, session: Session, scene: Scene
) -> None:
    sign_in(client, session, scene.fiji)

    response = client.get(f"/meetings/{scene.meeting.id}/calendar.ics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.headers["content-disposition"] == f'attachment; filename="meeting-{scene.meeting.id}.ics"'
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["method"]) == "PUBLISH"
    event = calendar.walk("VEVENT")[0]
    assert str(event["uid"]) == scene.meeting.uid
    assert event.decoded("dtstart") == scene.meeting.starts_at
    assert str(event.decoded("dtstart").tzinfo) == SUVA
    assert "attendee" not in event


# Scheduling forms


def test_coordinator_schedules_a_one_off_meeting_and_its_member_states_are_invited(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)
    day = MEETING_DAY + timedelta(days=28)

    response = post(
        client,
        token,
        "/meetings",
        {
            "title": "Training needs review",
            "title_fr": "Revue des besoins de formation",
            "owner": "body:sme",
            "day": day.isoformat(),
            "start": "14:30",
            "duration": "90",
            "host_zone": APIA,
            "format": "hybrid",
            "venue": "TATTE Centre",
            "city": "Apia",
            "host_state": "WS",
            "link": "https://meet.example.org/review",
        },
    )

    assert response.status_code == 303
    meeting = session.exec(select(Meeting).where(Meeting.title_en == "Training needs review")).one()
    assert response.headers["location"] == f"/meetings/{meeting.id}?notice=created"
    assert meeting.starts_at == at(day, "14:30", APIA)
    assert meeting.ends_at - meeting.starts_at == timedelta(minutes=90)
    assert meeting.title_fr == "Revue des besoins de formation"
    invited = session.exec(select(MeetingInvitee.state_id).where(MeetingInvitee.meeting_id == meeting.id)).all()
    assert sorted(invited) == sorted([state(session, "FJ").id, state(session, "WS").id])
    page = client.get(response.headers["location"])
    assert notice(page.text) == "The meeting has been scheduled."
    facts = " ".join(soup(page.text).select_one("dl.facts").get_text(" ").split())
    assert "TATTE Centre, Apia (Samoa)" in facts and "Hybrid" in facts


def test_a_meeting_scheduled_from_a_found_slot_invites_the_chosen_states_and_joins_the_series(
    client: TestClient, session: Session, scene: Scene, series: list[Meeting]
) -> None:
    token = enter(client, session, scene.coordinator)
    chosen = [state(session, code).id for code in ("FJ", "CK", "TO")]

    response = post(
        client,
        token,
        "/meetings",
        GOOD_MEETING | {"title": "SME series", "states": chosen, "series": str(series[0].series_id)},
    )

    assert response.status_code == 303
    meeting = session.exec(select(Meeting).order_by(col(Meeting.id).desc())).first()
    assert meeting is not None and meeting.series_id == series[0].series_id
    invited = session.exec(select(MeetingInvitee.state_id).where(MeetingInvitee.meeting_id == meeting.id)).all()
    assert sorted(invited) == sorted(chosen)


def test_coordinator_creates_a_quarterly_series_of_four_meetings_at_the_same_local_hour(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)
    before = rows(session, Meeting)

    response = post(
        client,
        token,
        "/meetings/series",
        {
            "title": "SME quarterly 2031",
            "owner": "body:sme",
            "cadence": "quarterly",
            "first_day": "2031-02-11",
            "local_start": "10:00",
            "duration": "120",
            "host_zone": AUCKLAND,
            "format": "virtual",
            "link": LINK,
        },
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/meetings?notice=series-created"
    series = session.exec(select(MeetingSeries).where(MeetingSeries.title_en == "SME quarterly 2031")).one()
    occurrences = session.exec(
        select(Meeting).where(Meeting.series_id == series.id).order_by(col(Meeting.starts_at))
    ).all()
    assert rows(session, Meeting) == before + 4 and len(occurrences) == 4
    local = [m.starts_at.astimezone(ZoneInfo(AUCKLAND)) for m in occurrences]
    assert [day.month for day in local] == [2, 5, 8, 11]
    assert {day.strftime("%A %H:%M") for day in local} == {"Tuesday 10:00"}
    assert {m.starts_at.hour for m in occurrences} == {21, 22}, "New Zealand's daylight saving moves the UTC hour"
    listing = client.get(response.headers["location"])
    assert notice(listing.text) == "The series has been created."
    assert soup(listing.text).find("th", string="SME quarterly 2031") is not None


@pytest.fixture
def series(session: Session, scene: Scene) -> list[Meeting]:
    """Four quarterly SME meetings hosted from Suva, the member states' focal points invited to each."""
    made = meetings.create_series(
        session,
        get_settings(),
        user=scene.coordinator,
        title="SME series",
        body_key="sme",
        working_group_id=None,
        host_zone=SUVA,
        local_start="10:00",
        duration=120,
        first_day=MEETING_DAY.isoformat(),
        link=LINK,
    )
    occurrences = meetings.series_meetings(session, made)
    for meeting in occurrences:
        meetings.invite(session, get_settings(), user=scene.coordinator, meeting=meeting, state_ids=[])
    return occurrences


def test_moving_one_occurrence_leaves_the_others_and_sends_the_change(
    client: TestClient, session: Session, scene: Scene, series: list[Meeting]
) -> None:
    token = enter(client, session, scene.coordinator)
    second = series[1]
    others = {m.id: m.starts_at for m in series if m is not second}
    day = second.starts_at.astimezone(ZoneInfo(SUVA)).date() + timedelta(days=2)
    mails = rows(session, OutboxMessage)

    response = post(
        client,
        token,
        f"/meetings/{second.id}/move",
        {"day": day.isoformat(), "start": "09:00", "duration": "60", "host_zone": SUVA},
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/meetings/{second.id}?notice=moved#schedule"
    refreshed(session, second)
    assert (second.starts_at, second.ends_at) == (at(day, "09:00", SUVA), at(day, "10:00", SUVA))
    assert second.ics_sequence == 1
    for meeting in series:
        if meeting.id in others:
            assert refreshed(session, meeting).starts_at == others[meeting.id]
    assert rows(session, OutboxMessage) == mails + 2, "the change goes to Fiji's and Samoa's focal points"
    sent = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id).desc())).first()
    event = Calendar.from_ical(sent.calendar).walk("VEVENT")[0]
    assert str(event["uid"]) == second.uid and int(event["sequence"]) == 1
    assert (
        notice(client.get(response.headers["location"]).text)
        == "The meeting has been moved; the invited receive the change."
    )


def test_cancelling_one_occurrence_leaves_the_others_scheduled(
    client: TestClient, session: Session, scene: Scene, series: list[Meeting]
) -> None:
    token = enter(client, session, scene.coordinator)
    third = series[2]
    sent = session.exec(select(func.count()).select_from(OutboxMessage)).one()

    asked = post(client, token, f"/meetings/{third.id}/cancel")

    assert asked.status_code == 200, "one click asks first"
    question = soup(asked.text)
    assert question.find("h1").get_text().startswith("Cancel ")
    told = question.find(id="told-heading").find_parent("section").get_text(" ", strip=True)
    assert scene.fiji.email in told, "the coordinator sees who will receive the cancellation"
    assert question.find("button", class_="danger") is not None
    assert refreshed(session, third).status == "scheduled"
    assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == sent

    response = post(client, token, f"/meetings/{third.id}/cancel", {"confirmed": "yes"})

    assert response.status_code == 303
    assert response.headers["location"] == f"/meetings/{third.id}?notice=cancelled#schedule"
    assert [refreshed(session, m).status for m in series] == ["scheduled", "scheduled", "cancelled", "scheduled"]
    cancellation = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id).desc())).first()
    assert str(Calendar.from_ical(cancellation.calendar)["method"]) == "CANCEL"
    page = soup(client.get(response.headers["location"]).text)
    assert page.h1.select_one(".badge").get_text(strip=True) == "cancelled"
    assert page.find("form", action=f"/meetings/{third.id}/move") is None


# Invitations and answers


def test_coordinator_invites_another_state_and_only_the_new_focal_point_is_emailed(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)
    mails = rows(session, OutboxMessage)

    response = post(client, token, f"/meetings/{scene.meeting.id}/invitations", {"states": [state(session, "PG").id]})

    assert response.status_code == 303
    assert response.headers["location"] == f"/meetings/{scene.meeting.id}?notice=invited#invitations"
    assert (
        rows(session, Invitation, Invitation.meeting_id == scene.meeting.id, Invitation.user_id == scene.outsider.id)
        == 1
    )
    assert rows(session, OutboxMessage) == mails + 1
    sent = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id).desc())).first()
    assert sent.recipient == scene.outsider.email
    assert str(Calendar.from_ical(sent.calendar)["method"]) == "REQUEST"
    page = soup(client.get(response.headers["location"]).text)
    answers = {
        row.th.get_text(strip=True): row.find_all("td")[0].get_text(strip=True)
        for row in page.find("caption", string="Answers").find_parent("table").select("tbody tr")
    }
    assert answers == {
        "Cook Focal": "Cook Islands",
        "Fiji Focal": "Fiji",
        "Olive Observer": "Observer",
        "Papua Focal": "Papua New Guinea",
        "Samoa Focal": "Samoa",
    }


def test_the_invitation_form_offers_the_active_observers_by_name_and_no_focal_point(
    client: TestClient, session: Session, scene: Scene
) -> None:
    retired = person(session, "observer", "Ada Retired")
    retired.is_active = False
    second = person(session, "observer", "Bea Observer")
    session.add(retired)
    session.commit()
    enter(client, session, scene.coordinator)

    invitations = section(client.get(f"/meetings/{scene.meeting.id}").text, "invitations")

    offered = [(box.parent.get_text(" ", strip=True), box["value"]) for box in invitations.select("[name=observers]")]
    assert offered == [("Bea Observer", str(second.id)), ("Olive Observer", str(scene.observer.id))]


@pytest.mark.parametrize("field", ["states", "observers"])
def test_an_invitation_to_a_negative_id_too_long_for_the_database_is_refused_and_sends_nothing(
    client: TestClient, session: Session, scene: Scene, field: str
) -> None:
    token = enter(client, session, scene.coordinator)
    invited = rows(session, Invitation)

    response = post(client, token, f"/meetings/{scene.meeting.id}/invitations", {field: "-" + "9" * 20})

    assert response.status_code == 400
    assert "larger than any the portal keeps" in alert(soup(response.text))
    assert rows(session, Invitation) == invited


def test_coordinator_is_warned_which_invited_states_have_no_focal_point_to_receive_the_invitation(
    client: TestClient, session: Session, scene: Scene
) -> None:
    scene.cook.is_active = False
    session.add(scene.cook)
    session.commit()
    token = enter(client, session, scene.coordinator)

    response = post(client, token, f"/meetings/{scene.meeting.id}/invitations", {"states": [state(session, "TO").id]})

    assert response.status_code == 303
    warning = section(client.get(response.headers["location"]).text, "invitations").select_one(".warning")
    assert warning is not None, "no warning about the states nobody receives the invitation for"
    assert "no active focal point" in warning.get_text(" ")
    links = {a.get_text(" ", strip=True): a["href"] for a in warning.find_all("a")}
    assert links == {
        "Cook Islands: invite a focal point": "/members/CK#invite-focal-point",
        "Tonga: invite a focal point": "/members/TO#invite-focal-point",
    }
    members_page = soup(client.get("/members/TO").text)
    target = members_page.find(id="invite-focal-point")
    assert target is not None and target.name == "form" and target["action"] == "/members/TO/focal-points"


def test_invited_focal_point_answers_attending(client: TestClient, session: Session, scene: Scene) -> None:
    token = enter(client, session, scene.cook)

    response = post(client, token, f"/meetings/{scene.meeting.id}/answer", {"reply": "attending"})

    assert response.status_code == 303
    assert response.headers["location"] == f"/meetings/{scene.meeting.id}?notice=answered#answer"
    invitation = session.exec(select(Invitation).where(Invitation.user_id == scene.cook.id)).one()
    assert invitation.answer == "attending" and invitation.answered_at is not None
    page = client.get(response.headers["location"]).text
    assert notice(page) == "Your answer has been recorded."
    assert "You answered: Attending." in section(page, "answer").get_text(" ")


def test_after_the_meeting_the_invited_read_their_answer_but_are_no_longer_asked(
    client: TestClient, session: Session, scene: Scene
) -> None:
    held = schedule(session, scene.coordinator, day=date.today() - timedelta(days=10), title="Held SME meeting")
    meetings.invite(session, get_settings(), user=scene.coordinator, meeting=held, state_ids=[])
    answered = invitation_of(session, held, scene.fiji)
    answered.answer = "attending"  # given before the meeting
    session.add(answered)
    session.commit()
    token = enter(client, session, scene.fiji)

    answer = section(client.get(f"/meetings/{held.id}").text, "answer")
    refused = post(client, token, f"/meetings/{held.id}/answer", {"reply": "not_attending"})

    assert "You answered: Attending." in answer.get_text(" ")
    assert "Will you attend?" not in answer.get_text(" ") and answer.find("form") is None
    assert refused.status_code == 409
    assert alert(section(refused.text, "answer")) == "This meeting has ended."
    assert refreshed(session, answered).answer == "attending"
    enter(client, session, scene.samoa)
    unanswered = section(client.get(f"/meetings/{held.id}").text, "answer")
    assert unanswered.find("form") is None
    assert "The meeting has ended without your answer." in unanswered.get_text(" ")


def test_invited_focal_point_delegates_to_a_named_colleague(client: TestClient, session: Session, scene: Scene) -> None:
    token = enter(client, session, scene.samoa)

    response = post(
        client,
        token,
        f"/meetings/{scene.meeting.id}/answer",
        {"reply": "delegated", "delegate_name": "Sina Tuilagi", "delegate_email": "sina@example.ws"},
    )

    assert response.status_code == 303
    invitation = session.exec(select(Invitation).where(Invitation.user_id == scene.samoa.id)).one()
    assert (invitation.answer, invitation.delegate_name, invitation.delegate_email) == (
        "delegated",
        "Sina Tuilagi",
        "sina@example.ws",
    )
    enter(client, session, scene.coordinator)
    table = soup(client.get(f"/meetings/{scene.meeting.id}").text).find("caption", string="Answers").parent
    row = table.find("th", string="Samoa Focal").parent
    assert row.find_all("td")[1].get_text(strip=True) == "Delegating to a colleague: Sina Tuilagi"


# Agenda


def agenda_titles(client: TestClient, meeting: Meeting) -> list[str]:
    items = section(client.get(f"/meetings/{meeting.id}").text, "agenda").select("ol > li")
    return [li.get_text(" ", strip=True).split(" — ")[0] for li in items]


def test_an_observer_is_told_that_some_parts_of_the_agenda_are_for_the_members(
    client: TestClient, session: Session, scene: Scene
) -> None:
    enter(client, session, scene.observer)
    empty = section(client.get(f"/meetings/{scene.meeting.id}").text, "agenda").get_text(" ", strip=True)
    for title, part in (("Members' updates", "members"), ("Partner briefing", "observers")):
        meetings.add_agenda_item(
            session, user=scene.coordinator, meeting=scene.meeting, title=title, presenter="", duration=20, part=part
        )

    agenda = section(client.get(f"/meetings/{scene.meeting.id}").text, "agenda")

    assert "No agenda item yet." in empty and "for the members only" not in empty
    assert agenda_titles(client, scene.meeting) == ["Partner briefing"]
    assert "No agenda item yet." not in agenda.get_text(" ")
    assert "Some parts of the agenda are for the members only." in agenda.get_text(" ")


def test_an_observer_is_not_told_no_agenda_item_when_all_items_are_for_members(
    client: TestClient, session: Session, scene: Scene
) -> None:
    meetings.add_agenda_item(
        session,
        user=scene.coordinator,
        meeting=scene.meeting,
        title="Members' updates",
        presenter="",
        duration=20,
        part="members",
    )
    enter(client, session, scene.observer)

    agenda = section(client.get(f"/meetings/{scene.meeting.id}").text, "agenda").get_text(" ", strip=True)

    assert "No agenda item yet." not in agenda and "Members' updates" not in agenda
    assert "Some parts of the agenda are for the members only." in agenda


def test_agenda_items_are_added_moved_and_removed(client: TestClient, session: Session, scene: Scene) -> None:
    token = enter(client, session, scene.coordinator)
    path = f"/meetings/{scene.meeting.id}/agenda"
    for title, minutes in (("Welcome", "10"), ("Updates from members", "60"), ("Any other business", "20")):
        response = post(
            client, token, path, {"title": title, "presenter": "Fiji", "duration": minutes, "part": "members"}
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"/meetings/{scene.meeting.id}?notice=agenda#agenda"
    items = {item.title: item for item in meetings.agenda(session, scene.meeting)}
    assert agenda_titles(client, scene.meeting) == ["Welcome", "Updates from members", "Any other business"]

    moved = post(client, token, f"{path}/{items['Updates from members'].id}", {"action": "up"})
    removed = post(client, token, f"{path}/{items['Any other business'].id}", {"action": "remove"})

    assert moved.status_code == removed.status_code == 303
    assert agenda_titles(client, scene.meeting) == ["Updates from members", "Welcome"]
    assert rows(session, AgendaItem, AgendaItem.meeting_id == scene.meeting.id) == 2


def test_an_agenda_item_with_three_wrong_fields_is_refused_with_every_message_and_what_was_typed_kept(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)
    response = post(
        client,
        token,
        f"/meetings/{scene.meeting.id}/agenda",
        {"title": " ", "presenter": "Fiji", "duration": "half an hour", "part": "everyone"},
    )

    assert response.status_code == 400
    agenda = section(response.text, "agenda")
    assert alerts(agenda) == [
        "Give the item a title of at most 300 characters.",
        "The duration must be a number of minutes.",
        "Choose members only or with observers.",
    ]
    assert agenda.find("input", attrs={"name": "presenter"})["value"] == "Fiji"
    assert agenda.find("input", attrs={"name": "duration"})["value"] == "half an hour"
    assert rows(session, AgendaItem, AgendaItem.meeting_id == scene.meeting.id) == 0


def test_an_agenda_item_longer_than_the_meeting_with_a_wrong_part_is_refused_with_both_messages(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)
    length = int((scene.meeting.ends_at - scene.meeting.starts_at).total_seconds() // 60)
    response = post(
        client,
        token,
        f"/meetings/{scene.meeting.id}/agenda",
        {"title": "Long item", "duration": str(length + 1), "part": "public"},
    )

    assert response.status_code == 400
    agenda = section(response.text, "agenda")
    assert alerts(agenda) == [
        f"The agenda ({length + 1} minutes) is longer than the meeting ({length} minutes).",
        "Choose members only or with observers.",
    ]
    assert agenda.find("input", attrs={"name": "title"})["value"] == "Long item"
    assert rows(session, AgendaItem, AgendaItem.meeting_id == scene.meeting.id) == 0


def test_agenda_is_circulated_to_the_invited_then_made_final_and_then_cannot_change(
    client: TestClient, session: Session, scene: Scene
) -> None:
    meetings.add_agenda_item(
        session,
        user=scene.coordinator,
        meeting=scene.meeting,
        title="Updates",
        presenter="Samoa",
        duration=30,
        part="observers",
    )
    token = enter(client, session, scene.coordinator)
    path = f"/meetings/{scene.meeting.id}/agenda-status"
    last = latest_mail_id(session)

    circulated = post(client, token, path)

    assert circulated.status_code == 303
    assert refreshed(session, scene.meeting).agenda_status == "circulated"
    recipients = session.exec(select(OutboxMessage.recipient).where(OutboxMessage.id > last)).all()
    assert sorted(recipients) == sorted(u.email for u in (scene.fiji, scene.samoa, scene.cook, scene.observer))

    final = post(client, token, path)
    assert final.status_code == 303
    assert refreshed(session, scene.meeting).agenda_status == "final"
    late = post(
        client,
        token,
        f"/meetings/{scene.meeting.id}/agenda",
        {"title": "Late item", "duration": "5", "part": "members"},
    )

    assert late.status_code == 409
    assert alert(section(late.text, "agenda")) == "The agenda is final and can no longer change."
    assert rows(session, AgendaItem, AgendaItem.meeting_id == scene.meeting.id) == 1
    assert section(late.text, "agenda").find("form", action=f"/meetings/{scene.meeting.id}/agenda") is None


# Documents


def test_member_focal_point_uploads_the_states_written_update(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.fiji)

    response = post(
        client,
        token,
        f"/meetings/{scene.meeting.id}/documents",
        files={"file": ("Fiji update.pdf", PDF, "application/pdf")},
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/meetings/{scene.meeting.id}?notice=uploaded#documents"
    document = session.exec(select(MeetingDocument).where(MeetingDocument.meeting_id == scene.meeting.id)).one()
    assert (document.kind, document.state_id, document.part) == ("written_update", state(session, "FJ").id, "members")
    assert (document.filename, document.media_type, document.size) == ("Fiji update.pdf", "application/pdf", len(PDF))
    stored = get_settings().var_dir / "uploads" / document.sha256[:2] / document.sha256
    assert stored.read_bytes() == PDF
    assert "static" not in stored.parts
    entry = (
        section(client.get(response.headers["location"]).text, "documents")
        .find("a", href=f"/meetings/{scene.meeting.id}/documents/{document.id}")
        .parent
    )
    assert "written update of Fiji" in entry.get_text(" ")


def test_document_downloads_as_an_attachment_with_its_stored_media_type(
    client: TestClient, session: Session, scene: Scene
) -> None:
    rights = meetings.access(session, scene.meeting, scene.coordinator)
    document = meetings.upload(
        session,
        get_settings(),
        user=scene.coordinator,
        meeting=scene.meeting,
        rights=rights,
        filename='Roster "final".pdf',
        content=PDF,
    )
    sign_in(client, session, scene.samoa)

    response = client.get(f"/meetings/{scene.meeting.id}/documents/{document.id}")

    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="Roster _final_.pdf"'
    assert response.headers["cache-control"] == "private, no-store"


# During and after


def test_attendance_is_recorded_for_the_invited_states(client: TestClient, session: Session, scene: Scene) -> None:
    token = enter(client, session, scene.coordinator)
    fiji_id, samoa_id, cook_id = (state(session, code).id for code in ("FJ", "WS", "CK"))

    response = post(client, token, f"/meetings/{scene.meeting.id}/attendance", {"present": [fiji_id, cook_id]})

    assert response.status_code == 303
    assert response.headers["location"] == f"/meetings/{scene.meeting.id}?notice=attendance#attendance"
    recorded = dict(
        session.exec(
            select(Attendance.state_id, Attendance.present).where(Attendance.meeting_id == scene.meeting.id)
        ).all()
    )
    assert recorded == {fiji_id: True, samoa_id: False, cook_id: True}
    checked = section(client.get(response.headers["location"]).text, "attendance").select("input[checked]")
    assert sorted(int(box["value"]) for box in checked) == sorted([fiji_id, cook_id])


def test_minutes_are_saved_as_new_versions_and_shown_rendered(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)
    path = f"/meetings/{scene.meeting.id}/minutes"

    first = post(client, token, path, {"minutes_text": "# Decisions\n\nFiji chairs."})
    second = post(client, token, path, {"minutes_text": "# Decisions\n\nFiji chairs; **Samoa** follows."})

    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == f"/meetings/{scene.meeting.id}?notice=minutes#minutes"
    assert rows(session, MinutesVersion, MinutesVersion.meeting_id == scene.meeting.id) == 2
    part = section(client.get(second.headers["location"]).text, "minutes")
    assert part.select_one("p.hint").get_text().startswith("Version 2, saved ")
    prose = part.select_one("div.prose")
    assert prose.h2.get_text() == "Decisions" and prose.strong.get_text() == "Samoa"


def test_publication_saves_the_summary_and_the_chatham_house_rule(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)

    response = post(
        client,
        token,
        f"/meetings/{scene.meeting.id}/publication",
        {"summary": "Members shared pre-deployment training plans.", "publish": "on", "chatham_house": "on"},
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/meetings/{scene.meeting.id}?notice=publication#publication"
    refreshed(session, scene.meeting)
    assert scene.meeting.summary_published_at is not None and scene.meeting.chatham_house
    page = client.get(response.headers["location"]).text
    assert "Chatham House rule" in soup(page).select_one("dl.facts").get_text()
    assert (
        section(page, "publication").select_one("div.prose").get_text(strip=True)
        == "Members shared pre-deployment training plans."
    )


def test_publishing_an_empty_summary_is_refused(client: TestClient, session: Session, scene: Scene) -> None:
    token = enter(client, session, scene.coordinator)

    response = post(client, token, f"/meetings/{scene.meeting.id}/publication", {"summary": " ", "publish": "on"})

    assert response.status_code == 400
    assert alert(section(response.text, "publication")) == "Write the summary before publishing it."
    assert refreshed(session, scene.meeting).summary_published_at is None


def test_an_action_item_with_no_owner_and_no_date_is_refused_with_both_messages_and_its_text_kept(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)
    response = post(
        client,
        token,
        f"/meetings/{scene.meeting.id}/action-items",
        {"owner_state": "999999", "action_text": "Share the course outline", "due_on": "next week"},
    )

    assert response.status_code == 400
    actions = section(response.text, "actions")
    assert alerts(actions) == ["Choose the state that owns the action.", "Give the date as YYYY-MM-DD."]
    assert actions.find("input", attrs={"name": "action_text"})["value"] == "Share the course outline"
    assert actions.find("input", attrs={"name": "due_on"})["value"] == "next week"
    assert rows(session, ActionItem, ActionItem.meeting_id == scene.meeting.id) == 0


def test_a_refused_action_item_keeps_the_owner_state_chosen(client: TestClient, session: Session, scene: Scene) -> None:
    token = enter(client, session, scene.coordinator)
    samoa_id = state(session, "WS").id
    response = post(
        client,
        token,
        f"/meetings/{scene.meeting.id}/action-items",
        {"owner_state": str(samoa_id), "action_text": "", "due_on": "2027-03-01"},
    )

    assert response.status_code == 400
    actions = section(response.text, "actions")
    assert alert(actions) == "Describe the action in at most 1,000 characters."
    chosen = actions.find("select", attrs={"name": "owner_state"}).find("option", selected=True)
    assert chosen is not None and chosen["value"] == str(samoa_id)
    assert actions.find("input", attrs={"name": "due_on"})["value"] == "2027-03-01"


def test_action_item_is_raised_and_its_owner_state_moves_it_on(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)
    fiji_id = state(session, "FJ").id

    raised = post(
        client,
        token,
        f"/meetings/{scene.meeting.id}/action-items",
        {"owner_state": fiji_id, "action_text": "Share the course outline", "due_on": "2027-03-01"},
    )

    assert raised.status_code == 303
    assert raised.headers["location"] == f"/meetings/{scene.meeting.id}?notice=action#actions"
    item = session.exec(select(ActionItem).where(ActionItem.meeting_id == scene.meeting.id)).one()
    assert (item.owner_state_id, item.due_on, item.status) == (fiji_id, date(2027, 3, 1), "open")

    token = enter(client, session, scene.fiji)
    changed = post(
        client,
        token,
        f"/meetings/{scene.meeting.id}/action-items/{item.id}",
        {"status": "in_progress", "note": "Draft sent"},
    )

    assert changed.status_code == 303
    assert refreshed(session, item).status == "in_progress"
    events = session.exec(
        select(ActionItemEvent.status)
        .where(ActionItemEvent.action_item_id == item.id)
        .order_by(col(ActionItemEvent.id))
    ).all()
    assert events == ["open", "in_progress"]
    table = section(client.get(changed.headers["location"]).text, "actions").find("table")
    assert "Share the course outline" in table.get_text(" ")


# Bad input: a clear message on the page, nothing changed


GOOD_MEETING = {
    "title": "Refused meeting",
    "owner": "body:sme",
    "day": MEETING_DAY.isoformat(),
    "start": "10:00",
    "duration": "120",
    "host_zone": SUVA,
    "format": "virtual",
    "link": LINK,
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("duration", "0", "A meeting lasts between 15 minutes and 24 hours."),
        ("duration", "-60", "A meeting lasts between 15 minutes and 24 hours."),
        ("duration", "2000", "A meeting lasts between 15 minutes and 24 hours."),
        ("host_zone", "Pacific/Atlantis", "Unknown time zone: Pacific/Atlantis. Choose one from the list."),
        ("day", "2031-02-30", "Give the date as YYYY-MM-DD."),
        ("link", "http://meet.example.org/plain", "A virtual meeting needs its https:// link."),
    ],
    ids=["zero-duration", "ends-before-it-starts", "longer-than-a-day", "unknown-zone", "no-such-date", "not-https"],
)
def test_meeting_with_bad_input_is_refused_with_the_form_kept(
    client: TestClient, session: Session, scene: Scene, field: str, value: str, message: str
) -> None:
    token = enter(client, session, scene.coordinator)
    before = rows(session, Meeting), rows(session, MeetingInvitee)

    response = post(client, token, "/meetings", GOOD_MEETING | {field: value})

    assert response.status_code == 400
    page = soup(response.text)
    assert alert(page.main) == message
    assert page.select_one("#m-title")["value"] == "Refused meeting"
    assert (rows(session, Meeting), rows(session, MeetingInvitee)) == before


def test_a_meeting_with_three_wrong_fields_is_refused_with_every_message_the_form_kept(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)
    before = rows(session, Meeting), rows(session, MeetingInvitee)

    response = post(
        client,
        token,
        "/meetings",
        GOOD_MEETING | {"title": "Police track", "day": "2031-02-30", "duration": "0", "link": "meet.example.org"},
    )

    assert response.status_code == 400
    page = soup(response.text)
    assert [item.get_text(" ", strip=True) for item in page.main.find(attrs={"role": "alert"}).find_all("li")] == [
        "Give the date as YYYY-MM-DD.",
        "A meeting lasts between 15 minutes and 24 hours.",
        "A virtual meeting needs its https:// link.",
    ]
    assert page.select_one("#m-title")["value"] == "Police track"
    assert page.select_one("#m-day")["value"] == "2031-02-30"
    assert (rows(session, Meeting), rows(session, MeetingInvitee)) == before


def seeded_series(session: Session) -> MeetingSeries:
    return session.exec(select(MeetingSeries).where(MeetingSeries.key == "sme-quarterly")).one()


def second_week_of_next_quarter_in_suva() -> date:
    """The first Monday to Friday from the 8th of the next quarter's first month, counting today as Suva does."""
    today = datetime.now(ZoneInfo(SUVA)).date()
    month = today.month + 3 - (today.month - 1) % 3
    day = date(today.year + (month > 12), (month - 1) % 12 + 1, 8)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_the_seeded_quarterly_series_leads_to_a_form_with_its_first_day_proposed(
    client: TestClient, session: Session, scene: Scene
) -> None:
    sign_in(client, session, scene.coordinator)
    series = seeded_series(session)

    row = soup(client.get("/meetings").text).find("th", string="Quarterly SME meeting").parent
    link = row.find("a", string="Schedule the next four")
    page = soup(client.get(link["href"]).text)

    assert link["href"] == f"/meetings/series/{series.id}/next"
    form = page.find("form", action=f"/meetings/series/{series.id}/next")
    assert form["method"] == "post" and form.find("input", attrs={"name": "csrf_token"})
    assert form.select_one("#n-day")["value"] == second_week_of_next_quarter_in_suva().isoformat()
    assert form.select_one("#n-format option[selected]")["value"] == "virtual"
    assert [o["value"] for o in form.select("#n-format option")] == ["in_person", "virtual", "hybrid"]
    assert {field["name"] for field in form.select("input:not([type=hidden])")} == {"day", "link", "venue", "city"}
    assert form.find("button").get_text(strip=True) == "Schedule the next four"


def test_coordinator_schedules_the_next_four_meetings_of_the_seeded_series(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)
    series = seeded_series(session)
    first = second_week_of_next_quarter_in_suva()

    response = post(
        client,
        token,
        f"/meetings/series/{series.id}/next",
        {"day": first.isoformat(), "format": "virtual", "link": LINK},
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/meetings?notice=generated"
    added = meetings.series_meetings(session, series)
    local = [m.starts_at.astimezone(ZoneInfo(SUVA)) for m in added]
    assert len(added) == 4 and local[0].date() == first
    assert {moment.strftime("%H:%M") for moment in local} == {"10:00"}
    assert {m.link for m in added} == {LINK}
    assert notice(client.get(response.headers["location"]).text) == "The series' next meetings have been scheduled."
    again = soup(client.get(f"/meetings/series/{series.id}/next").text)
    a_year_on = first.replace(year=first.year + 1, day=1)
    same_weekday_of_the_month = a_year_on + timedelta(
        days=(first.weekday() - a_year_on.weekday()) % 7 + 7 * ((first.day - 1) // 7)
    )
    assert again.select_one("#n-day")["value"] == same_weekday_of_the_month.isoformat()
    assert again.select_one("#n-link")["value"] == LINK


def test_next_meetings_of_a_series_without_their_link_are_refused_on_the_form(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)
    series = seeded_series(session)

    response = post(client, token, f"/meetings/series/{series.id}/next", {"day": "2031-02-11", "format": "hybrid"})

    assert response.status_code == 400
    page = soup(response.text)
    assert alert(page.main) == "A hybrid meeting needs a venue, a city and its https:// link."
    assert page.select_one("#n-day")["value"] == "2031-02-11"
    assert page.select_one("#n-format option[selected]")["value"] == "hybrid"
    assert meetings.series_meetings(session, series) == []


def test_a_custom_series_is_given_its_interval_and_shows_it(client: TestClient, session: Session, scene: Scene) -> None:
    token = enter(client, session, scene.coordinator)

    response = post(
        client,
        token,
        "/meetings/series",
        {
            "title": "Pre-deployment working session",
            "owner": "body:sme",
            "cadence": "custom",
            "repeat_every": "2",
            "repeat_unit": "months",
            "first_day": "2031-02-11",
            "local_start": "10:00",
            "duration": "60",
            "host_zone": SUVA,
            "link": LINK,
        },
    )

    assert response.status_code == 303
    series = session.exec(select(MeetingSeries).where(MeetingSeries.title_en == "Pre-deployment working session")).one()
    assert (series.cadence, series.repeat_every, series.repeat_unit) == ("custom", 2, "months")
    row = soup(client.get("/meetings").text).find("th", string="Pre-deployment working session").parent
    assert row.find_all("td")[0].get_text(" ", strip=True) == "Custom, every 2 months"
    form = soup(client.get(row.find("a", string="Schedule the next")["href"]).text).find(
        "form", action=f"/meetings/series/{series.id}/next"
    )
    assert form.select_one("#n-day")["value"] == "2031-04-08"
    assert form.find("button").get_text(strip=True) == "Schedule the next"

    scheduled = post(client, token, f"/meetings/series/{series.id}/next", {"day": "2031-04-08", "link": LINK})

    added = meetings.series_meetings(session, series)[-1]
    assert scheduled.headers["location"] == f"/meetings/{added.id}?notice=created"
    assert added.starts_at == at(date(2031, 4, 8), "10:00", SUVA)


def test_series_with_an_unknown_zone_is_refused_and_creates_nothing(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)
    before = rows(session, MeetingSeries), rows(session, Meeting)

    response = post(
        client,
        token,
        "/meetings/series",
        {
            "title": "Doomed series",
            "owner": "body:sme",
            "cadence": "quarterly",
            "first_day": "2031-02-11",
            "local_start": "10:00",
            "duration": "120",
            "host_zone": "Mars/Olympus_Mons",
            "link": LINK,
        },
    )

    assert response.status_code == 400
    assert alert(soup(response.text).main) == "Unknown time zone: Mars/Olympus_Mons. Choose one from the list."
    assert (rows(session, MeetingSeries), rows(session, Meeting)) == before


@pytest.mark.parametrize("duration", ["0", "-30"])
def test_moving_a_meeting_to_end_before_it_starts_is_refused(
    client: TestClient, session: Session, scene: Scene, duration: str
) -> None:
    token = enter(client, session, scene.coordinator)
    starts, mails = scene.meeting.starts_at, rows(session, OutboxMessage)

    response = post(
        client,
        token,
        f"/meetings/{scene.meeting.id}/move",
        {
            "day": (MEETING_DAY + timedelta(days=1)).isoformat(),
            "start": "09:00",
            "duration": duration,
            "host_zone": SUVA,
        },
    )

    assert response.status_code == 400
    assert alert(section(response.text, "schedule")) == "A meeting lasts between 15 minutes and 24 hours."
    refreshed(session, scene.meeting)
    assert (scene.meeting.starts_at, scene.meeting.ics_sequence) == (starts, 0)
    assert rows(session, OutboxMessage) == mails


def test_agenda_item_that_makes_the_agenda_longer_than_the_meeting_is_refused(
    client: TestClient, session: Session, scene: Scene
) -> None:
    meetings.add_agenda_item(
        session,
        user=scene.coordinator,
        meeting=scene.meeting,
        title="Updates",
        presenter="",
        duration=90,
        part="members",
    )
    token = enter(client, session, scene.coordinator)

    response = post(
        client,
        token,
        f"/meetings/{scene.meeting.id}/agenda",
        {"title": "Long debate", "duration": "45", "part": "members"},
    )

    assert response.status_code == 400
    assert (
        alert(section(response.text, "agenda")) == "The agenda (135 minutes) is longer than the meeting (120 minutes)."
    )
    assert rows(session, AgendaItem, AgendaItem.meeting_id == scene.meeting.id) == 1


def test_shortening_a_meeting_below_its_agenda_is_refused(client: TestClient, session: Session, scene: Scene) -> None:
    meetings.add_agenda_item(
        session,
        user=scene.coordinator,
        meeting=scene.meeting,
        title="Updates",
        presenter="",
        duration=90,
        part="members",
    )
    token = enter(client, session, scene.coordinator)
    starts, ends = scene.meeting.starts_at, scene.meeting.ends_at

    response = post(
        client,
        token,
        f"/meetings/{scene.meeting.id}/move",
        {"day": MEETING_DAY.isoformat(), "start": "10:00", "duration": "60", "host_zone": SUVA},
    )

    assert response.status_code == 400
    assert (
        alert(section(response.text, "schedule")) == "The agenda (90 minutes) is longer than the meeting (60 minutes)."
    )
    refreshed(session, scene.meeting)
    assert (scene.meeting.starts_at, scene.meeting.ends_at, scene.meeting.ics_sequence) == (starts, ends, 0)


def stored_path(content: bytes) -> Any:
    digest = hashlib.sha256(content).hexdigest()
    return get_settings().var_dir / "uploads" / digest[:2] / digest


def test_oversized_upload_is_refused_and_not_kept(client: TestClient, session: Session, scene: Scene) -> None:
    token = enter(client, session, scene.fiji)
    content = PDF + b"0" * get_settings().upload_max_bytes

    response = post(
        client,
        token,
        f"/meetings/{scene.meeting.id}/documents",
        files={"file": ("huge.pdf", content, "application/pdf")},
    )

    assert response.status_code == 413
    assert alert(section(response.text, "documents")) == "The file is larger than 10.0 MB."
    assert rows(session, MeetingDocument, MeetingDocument.meeting_id == scene.meeting.id) == 0
    assert not stored_path(content).exists()


def test_upload_of_a_program_named_like_a_pdf_is_refused(client: TestClient, session: Session, scene: Scene) -> None:
    token = enter(client, session, scene.fiji)
    content = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" * 8

    response = post(
        client,
        token,
        f"/meetings/{scene.meeting.id}/documents",
        files={"file": ("update.pdf", content, "application/pdf")},
    )

    assert response.status_code == 415
    assert alert(section(response.text, "documents")) == (
        "This kind of file is not accepted: send a PDF, Word, Excel, PowerPoint, OpenDocument text, PNG, JPEG "
        "or plain-text file."
    )
    assert rows(session, MeetingDocument, MeetingDocument.meeting_id == scene.meeting.id) == 0
    assert not stored_path(content).exists()


def test_answer_from_a_member_state_focal_point_who_was_not_invited_is_refused_on_the_page(
    client: TestClient, session: Session, scene: Scene
) -> None:
    latecomer = person(session, "focal_point", "Second Samoa Focal", "WS", APIA)
    token = enter(client, session, latecomer)
    before = rows(session, Invitation, Invitation.meeting_id == scene.meeting.id)

    response = post(client, token, f"/meetings/{scene.meeting.id}/answer", {"reply": "attending"})

    assert response.status_code == 403
    assert alert(soup(response.text).main) == "You are not invited to this meeting."
    assert rows(session, Invitation, Invitation.meeting_id == scene.meeting.id) == before
    assert rows(session, Invitation, Invitation.user_id == latecomer.id) == 0


def test_answer_that_is_not_one_of_the_choices_is_refused(client: TestClient, session: Session, scene: Scene) -> None:
    token = enter(client, session, scene.cook)

    response = post(client, token, f"/meetings/{scene.meeting.id}/answer", {"reply": "maybe"})

    assert response.status_code == 400
    assert alert(section(response.text, "answer")) == "Answer attending, not attending or delegating."
    assert session.exec(select(Invitation.answer).where(Invitation.user_id == scene.cook.id)).one() == ""


def test_french_coordinator_reads_the_refusal_in_french(client: TestClient, session: Session, scene: Scene) -> None:
    french = person(session, "coordinator", "Camille Coordinatrice", zone=SUVA, language="fr")
    token = enter(client, session, french)
    before = rows(session, Meeting)

    response = post(client, token, "/meetings", GOOD_MEETING | {"host_zone": "Pacific/Atlantis"})

    assert response.status_code == 400
    page = soup(response.text)
    assert page.html["lang"] == "fr"
    assert alert(page.main) == "Fuseau horaire inconnu\u00a0: Pacific/Atlantis. Choisissez-en un dans la liste."
    assert rows(session, Meeting) == before


# The private calendar feed


def make_feed(client: TestClient, session: Session, user: User) -> str:
    """Asks for a new calendar link on the meetings page and returns its path."""
    token = enter(client, session, user)
    response = post(client, token, "/meetings/calendar-feed")
    assert response.status_code == 200
    url = soup(response.text).select_one("#feed-url")["value"]
    assert url.startswith("http://testserver/calendar/") and url.endswith(".ics")
    return url.removeprefix("http://testserver")


def test_calendar_feed_url_serves_the_users_meetings_without_signing_in(
    client: TestClient, session: Session, scene: Scene
) -> None:
    path = make_feed(client, session, scene.cook)
    client.cookies.clear()

    response = client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(event["uid"]) for event in events] == [scene.meeting.uid]
    assert str(events[0]["summary"]) == "SME meeting"
    assert events[0].decoded("dtstart") == scene.meeting.starts_at


def test_revoked_calendar_feed_answers_not_found_with_a_clear_message(
    client: TestClient, session: Session, scene: Scene
) -> None:
    path = make_feed(client, session, scene.cook)
    token = page_csrf(client, "/meetings")

    revoked = post(client, token, "/meetings/calendar-feed/revoke")
    client.cookies.clear()
    response = client.get(path)

    assert revoked.status_code == 303 and revoked.headers["location"] == "/meetings?notice=feed-revoked"
    assert response.status_code == 404
    assert (
        alert(soup(response.text)) == "This calendar link does not work any more. Make a new one on the meetings page."
    )
    client.cookies.set("prcn_lang", "fr")
    assert (
        alert(soup(client.get(path).text))
        == "Ce lien d’agenda ne fonctionne plus. Créez-en un nouveau sur la page des réunions."
    )


def test_making_a_new_calendar_link_stops_the_old_one(client: TestClient, session: Session, scene: Scene) -> None:
    old = make_feed(client, session, scene.fiji)
    new = make_feed(client, session, scene.fiji)
    client.cookies.clear()

    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


# Query counts


def grow(session: Session, scene: Scene, count: int) -> None:
    """`count` more SME meetings, each with Fiji's invitation, an open action item for Fiji and minutes."""
    fiji_id = state(session, "FJ").id
    existing = rows(session, Meeting)
    for number in range(existing, existing + count):
        meeting = schedule(
            session,
            scene.coordinator,
            day=MEETING_DAY + timedelta(days=7 * (number % 40)),
            title=f"SME meeting {number}",
            start=f"{8 + number % 8:02}:00",
        )
        meetings.invite(session, get_settings(), user=scene.coordinator, meeting=meeting, state_ids=[])
        meetings.add_action_item(
            session,
            user=scene.coordinator,
            meeting=meeting,
            owner_state_id=fiji_id,
            text=f"Follow up {number}",
            due_on="2027-06-30",
        )
        meetings.save_minutes(session, user=scene.coordinator, meeting=meeting, text=f"Minutes {number}")


def queries(engine: Engine, client: TestClient, path: str) -> int:
    with QueryLog(engine) as log:
        assert client.get(path).status_code == 200
    return len(log)


@pytest.mark.parametrize(
    ("who", "path", "shown", "first"),
    [
        ("fiji", "/meetings", "section[aria-labelledby=upcoming-heading] tbody tr", 1),
        ("coordinator", "/meetings", "section[aria-labelledby=upcoming-heading] tbody tr", 1),
        ("fiji", "/dashboard", "#actions-heading + ul > li", 2),
    ],
    ids=["meetings-focal-point", "meetings-coordinator", "dashboard"],
)
def test_list_page_costs_the_same_queries_with_2_or_12_meetings(
    client: TestClient, session: Session, engine: Engine, scene: Scene, who: str, path: str, shown: str, first: int
) -> None:
    """`first` more meetings make two rows on the page (the scene's meeting has no action item)."""
    sign_in(client, session, getattr(scene, who))
    grow(session, scene, first)
    assert len(soup(client.get(path).text).select(shown)) == 2
    with_two = queries(engine, client, path)
    grow(session, scene, 10)
    assert len(soup(client.get(path).text).select(shown)) == 12

    with_twelve = queries(engine, client, path)

    assert 0 < with_twelve == with_two


def test_past_meetings_show_twenty_at_a_time_and_the_older_link_reaches_the_first_meeting_held(
    client: TestClient, session: Session, engine: Engine, scene: Scene
) -> None:
    schedule(session, scene.coordinator, day=date.today() - timedelta(days=400), title="First meeting held")
    for number in range(20):
        schedule(session, scene.coordinator, day=date.today() - timedelta(days=10 + number), title=f"Held {number}")
    enter(client, session, scene.coordinator)
    past = "section[aria-labelledby=past-heading]"

    with QueryLog(engine) as first_log:
        first = soup(client.get("/meetings").text)
    titles = [row.get_text(" ", strip=True) for row in first.select(f"{past} tbody th")]
    older = first.select_one(f"{past} a[rel=next]")
    assert len(titles) == 20 and titles[0].startswith("Held 0") and not any("First meeting held" in t for t in titles)
    assert first.select_one("section[aria-labelledby=upcoming-heading] nav.pager") is None  # one upcoming meeting
    assert older is not None and older.get_text(strip=True) == "Older meetings"
    with QueryLog(engine) as second_log:
        second = soup(client.get(str(older["href"])).text)

    assert [row.get_text(" ", strip=True) for row in second.select(f"{past} tbody th")][0].startswith(
        "First meeting held"
    )
    assert len(second.select(f"{past} tbody th")) == 1 and second.select_one(f"{past} a[rel=next]") is None
    assert second.select_one(f"{past} a[rel=prev]") is not None
    assert len(second_log) == len(first_log)  # an older page costs what the first does


def test_upcoming_meetings_show_twenty_at_a_time_and_the_later_link_reaches_the_last_one(
    client: TestClient, session: Session, scene: Scene
) -> None:
    for number in range(20):
        schedule(session, scene.coordinator, day=date.today() + timedelta(days=40 + number), title=f"Coming {number}")
    schedule(session, scene.coordinator, day=date.today() + timedelta(days=400), title="Last meeting planned")
    enter(client, session, scene.coordinator)
    upcoming = "section[aria-labelledby=upcoming-heading]"

    first = soup(client.get("/meetings").text)
    titles = [row.get_text(" ", strip=True) for row in first.select(f"{upcoming} tbody th")]
    later = first.select_one(f"{upcoming} a[rel=next]")
    assert len(titles) == 20 and not any("Last meeting planned" in title for title in titles)
    assert later is not None and later.get_text(strip=True) == "Later meetings"
    second = soup(client.get(str(later["href"])).text)

    assert [row.get_text(" ", strip=True) for row in second.select(f"{upcoming} tbody th")][-1].startswith(
        "Last meeting planned"
    )
    assert second.select_one(f"{upcoming} a[rel=next]") is None and second.select_one(f"{upcoming} a[rel=prev]")


# The meeting page's reading


@pytest.mark.parametrize(
    ("who", "most"),
    [("coordinator", 18), ("fiji", 16), ("cook", 14)],
    ids=["coordinator", "member-focal-point", "invited-focal-point"],
)
def test_the_meeting_page_reads_each_thing_once_in_a_few_queries(
    client: TestClient, session: Session, engine: Engine, scene: Scene, who: str, most: int
) -> None:
    """A meeting with an agenda, attendance, minutes, an action item and a decision: no statement runs twice, and
    the page costs at most `most` of them."""
    meeting, coordinator = scene.meeting, scene.coordinator
    item = meetings.add_agenda_item(
        session, user=coordinator, meeting=meeting, title="Training", presenter="", duration="30", part="members"
    )
    fiji_id = id_of(state(session, "FJ"))
    meetings.record_attendance(session, user=coordinator, meeting=meeting, present_state_ids=[fiji_id])
    meetings.save_minutes(session, user=coordinator, meeting=meeting, text="Minutes")
    meetings.add_action_item(
        session, user=coordinator, meeting=meeting, owner_state_id=fiji_id, text="Follow up", due_on="2027-06-30"
    )
    decisions.record(
        session,
        get_settings(),
        user=coordinator,
        meeting=meeting,
        form=decisions.DecisionForm(text_en="Agreed", agenda_item_id=item.id, proposer_state_id=fiji_id),
        now=meeting.ends_at + timedelta(days=1),
    )
    sign_in(client, session, getattr(scene, who))
    path = f"/meetings/{meeting.id}"
    assert client.get(path).status_code == 200

    session.expunge_all()  # the request shares the test's session: it must find nothing there a new one would not
    with QueryLog(engine) as log:
        assert client.get(path).status_code == 200

    print(f"meeting page queries as {who}: {len(log)}")
    assert len(set(log.statements)) == len(log.statements), log.statements
    assert len(log) <= most, log.statements
