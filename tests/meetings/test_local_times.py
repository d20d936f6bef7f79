"""Times entered as the host lives them: a local time skipped when the clocks go forward is refused with the
nearest times that exist offered, one lived twice asks which is meant, the host state's zone is the default, and
zones are named by place and offset."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.coalitions import service as coalitions
from app.core.config import get_settings
from app.core.i18n import language_name
from app.meetings import service, timing
from app.meetings.models import Meeting
from tests.factories import csrf_token, sign_in, soup, state
from tests.meetings import test_routes
from tests.meetings.test_routes import AUCKLAND, LINK, Scene, enter, post

scene = test_routes.scene  # the people and meeting of the meetings pages' tests

# New Zealand's clocks go forward at 02:00 on Sunday 26 September 2027 (to 03:00) and back at 03:00 on Sunday
# 4 April 2027 (to 02:00).
GAP_DAY, REPEATED_DAY = date(2027, 9, 26), date(2027, 4, 4)


def meeting_form(**overrides: Any) -> dict[str, Any]:
    fields = {
        "title": "Police track meeting",
        "owner": "body:sme",
        "day": GAP_DAY.isoformat(),
        "start": "02:30",
        "duration": "60",
        "host_zone": AUCKLAND,
        "format": "virtual",
        "link": LINK,
    }
    return fields | overrides


def offered(html: str, form_id: str) -> list[tuple[str, str]]:
    """The readings offered as buttons of the form `form_id`: (value, label)."""
    return [
        (button["value"], button.get_text(" ", strip=True))
        for button in soup(html).select(f'button[name="pick"][form="{form_id}"]')
    ]


def titled(session: Session, title: str) -> list[Meeting]:
    session.expire_all()
    return list(session.exec(select(Meeting).where(Meeting.title_en == title)).all())


# The rule, in timing


def test_a_time_skipped_when_the_clocks_go_forward_offers_the_nearest_times_that_exist() -> None:
    with pytest.raises(timing.LocalTimeError) as refused:
        timing.local_instant(date(2026, 9, 27), time(2, 30), AUCKLAND)

    error = refused.value
    assert error.message % error.params == (
        "02:30 on Sunday, 27 September 2026 does not exist in Pacific/Auckland: the clocks go forward from 02:00 to "
        "03:00 that night. Choose a time that exists."
    )
    assert not error.ambiguous
    assert [(c.local.strftime("%H:%M"), c.offset, c.instant) for c in error.choices] == [
        ("01:30", "UTC+12", datetime(2026, 9, 26, 13, 30, tzinfo=UTC)),
        ("03:00", "UTC+13", datetime(2026, 9, 26, 14, 0, tzinfo=UTC)),
        ("03:30", "UTC+13", datetime(2026, 9, 26, 14, 30, tzinfo=UTC)),
    ]


def test_a_time_lived_twice_asks_which_and_either_answer_is_its_own_instant() -> None:
    with pytest.raises(timing.LocalTimeError) as refused:
        timing.local_instant(date(2026, 4, 5), time(2, 30), AUCKLAND)

    assert refused.value.ambiguous
    assert [(c.value, c.offset) for c in refused.value.choices] == [
        ("2026-04-05T02:30/0", "UTC+13"),
        ("2026-04-05T02:30/1", "UTC+12"),
    ]
    assert timing.local_instant(date(2026, 4, 5), time(2, 30), AUCKLAND, 0) == datetime(2026, 4, 4, 13, 30, tzinfo=UTC)
    assert timing.local_instant(date(2026, 4, 5), time(2, 30), AUCKLAND, 1) == datetime(2026, 4, 4, 14, 30, tzinfo=UTC)
    assert timing.local_instant(date(2026, 4, 5), time(4, 0), AUCKLAND) == datetime(2026, 4, 4, 16, 0, tzinfo=UTC)


def test_a_gap_of_half_an_hour_or_at_quarter_hours_is_read_as_it_is() -> None:
    with pytest.raises(timing.LocalTimeError) as refused:
        timing.local_instant(date(2027, 9, 26), time(2, 50), "Pacific/Chatham")
    assert [c.local.strftime("%H:%M") for c in refused.value.choices] == ["02:15", "03:45", "03:50"]
    assert refused.value.choices[1].offset == "UTC+13:45"


# Through the service


def test_the_service_refuses_the_gap_and_holds_the_meeting_in_the_reading_chosen(
    session: Session, scene: Scene
) -> None:
    form = service.MeetingForm(
        title="Gap meeting", day="2027-09-26", start="02:30", duration=60, host_zone=AUCKLAND, format="virtual",
        body_key="sme", link=LINK,
    )  # fmt: skip
    with pytest.raises(timing.LocalTimeError):
        service.create_meeting(session, get_settings(), user=scene.coordinator, form=form)
    session.rollback()
    assert titled(session, "Gap meeting") == []

    form.day, form.start, form.chosen = service.picked(form.day, form.start, "2027-09-26T03:00/0", "")
    meeting = service.create_meeting(session, get_settings(), user=scene.coordinator, form=form)
    assert meeting.starts_at.replace(tzinfo=UTC) == datetime(2027, 9, 25, 14, 0, tzinfo=UTC)


def test_a_series_starting_in_a_repeated_hour_asks_which_and_keeps_it_for_its_meetings(
    session: Session, scene: Scene
) -> None:
    fields: dict[str, Any] = {
        "title": "Repeated hour series",
        "body_key": "sme",
        "working_group_id": None,
        "host_zone": AUCKLAND,
        "local_start": "02:30",
        "duration": 60,
        "first_day": REPEATED_DAY.isoformat(),
        "link": LINK,
        "cadence": "custom",
    }
    with pytest.raises(timing.LocalTimeError) as refused:
        service.create_series(session, get_settings(), user=scene.coordinator, **fields)
    session.rollback()
    assert refused.value.ambiguous

    service.create_series(session, get_settings(), user=scene.coordinator, chosen="2027-04-04T02:30/1", **fields)
    (meeting,) = titled(session, "Repeated hour series")
    assert meeting.starts_at.replace(tzinfo=UTC) == datetime(2027, 4, 3, 14, 30, tzinfo=UTC)


# Through the pages


def test_a_meeting_typed_in_the_gap_is_refused_with_the_times_that_exist_and_created_at_the_one_picked(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)

    refused = post(client, token, "/meetings", meeting_form())

    assert refused.status_code == 400
    page = soup(refused.text)
    alert = page.find(attrs={"role": "alert"}).get_text()
    assert "02:30 on Sunday, 26 September 2027 does not exist in Pacific/Auckland" in alert
    assert offered(refused.text, "meeting-form") == [
        ("2027-09-26T01:30/0", "01:30, at UTC+12 (13:30 UTC)"),
        ("2027-09-26T03:00/0", "03:00, at UTC+13 (14:00 UTC)"),
        ("2027-09-26T03:30/0", "03:30, at UTC+13 (14:30 UTC)"),
    ]
    assert page.select_one("#m-title")["value"] == "Police track meeting"  # what was typed stays
    assert page.select_one("#m-zone option[selected]")["value"] == AUCKLAND
    assert titled(session, "Police track meeting") == []

    created = post(client, token, "/meetings", meeting_form(pick="2027-09-26T03:00/0"))

    assert created.status_code == 303
    (meeting,) = titled(session, "Police track meeting")
    assert meeting.starts_at.replace(tzinfo=UTC) == datetime(2027, 9, 25, 14, 0, tzinfo=UTC)
    confirmed = soup(client.get(created.headers["location"]).text).find(id="times-confirmed").get_text(" ", strip=True)
    assert "Sunday, 26 September 2027, 03:00" in confirmed
    assert "Auckland, New Zealand (UTC+" in confirmed
    assert "Saturday, 25 September 2027, 14:00 UTC" in confirmed


def test_a_time_in_the_gap_refused_with_another_field_is_named_beside_it_and_its_readings_still_offered(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)

    refused = post(client, token, "/meetings", meeting_form(link="meet.example.org"))

    assert refused.status_code == 400
    messages = [item.get_text(" ", strip=True) for item in soup(refused.text).find(attrs={"role": "alert"})("li")]
    assert len(messages) == 2
    assert "02:30 on Sunday, 26 September 2027 does not exist in Pacific/Auckland" in messages[0]
    assert messages[1] == "A virtual meeting needs its https:// link."
    assert [value for value, _label in offered(refused.text, "meeting-form")] == [
        "2027-09-26T01:30/0",
        "2027-09-26T03:00/0",
        "2027-09-26T03:30/0",
    ]
    assert titled(session, "Police track meeting") == []


@pytest.mark.parametrize(("fold", "instant"), [(0, datetime(2027, 4, 3, 13, 30)), (1, datetime(2027, 4, 3, 14, 30))])
def test_a_meeting_in_the_repeated_hour_asks_which_and_is_held_at_the_one_chosen(
    client: TestClient, session: Session, scene: Scene, fold: int, instant: datetime
) -> None:
    token = enter(client, session, scene.coordinator)

    asked = post(client, token, "/meetings", meeting_form(day=REPEATED_DAY.isoformat()))

    assert asked.status_code == 400
    assert "happens twice in Pacific/Auckland" in soup(asked.text).find(attrs={"role": "alert"}).get_text()
    assert offered(asked.text, "meeting-form") == [
        ("2027-04-04T02:30/0", "02:30, the first time, at UTC+13 (13:30 UTC)"),
        ("2027-04-04T02:30/1", "02:30, the second time, at UTC+12 (14:30 UTC)"),
    ]

    chosen = post(
        client, token, "/meetings", meeting_form(day=REPEATED_DAY.isoformat(), pick=f"2027-04-04T02:30/{fold}")
    )

    assert chosen.status_code == 303
    (meeting,) = titled(session, "Police track meeting")
    assert meeting.starts_at.replace(tzinfo=None) == instant


def test_an_unknown_zone_is_refused_clearly_keeping_what_was_typed(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)

    refused = post(client, token, "/meetings", meeting_form(start="10:00", host_zone="Pacific/Atlantis"))

    assert refused.status_code == 400
    page = soup(refused.text)
    assert page.find(attrs={"role": "alert"}).get_text(strip=True) == (
        "Unknown time zone: Pacific/Atlantis. Choose one from the list."
    )
    assert page.select_one("#m-title")["value"] == "Police track meeting"
    assert page.select_one("#m-start")["value"] == "10:00"
    assert titled(session, "Police track meeting") == []


def test_the_times_are_read_in_the_host_states_zone_unless_another_is_chosen(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)  # the coordinator lives in Suva

    created = post(client, token, "/meetings", meeting_form(start="10:00", host_zone="", host_state="NZ"))

    assert created.status_code == 303
    (meeting,) = titled(session, "Police track meeting")
    assert meeting.host_zone == AUCKLAND
    assert meeting.starts_at.replace(tzinfo=UTC) == datetime(2027, 9, 25, 21, 0, tzinfo=UTC)  # 10:00 NZST+1


def test_no_zone_and_no_host_state_is_refused(client: TestClient, session: Session, scene: Scene) -> None:
    token = enter(client, session, scene.coordinator)

    refused = post(client, token, "/meetings", meeting_form(start="10:00", host_zone=""))

    assert refused.status_code == 400
    assert "Choose the host's time zone, or a host state" in soup(refused.text).find(attrs={"role": "alert"}).get_text()
    assert titled(session, "Police track meeting") == []


def test_moving_a_meeting_into_the_gap_offers_times_and_moves_it_to_the_one_picked(
    client: TestClient, session: Session, scene: Scene
) -> None:
    token = enter(client, session, scene.coordinator)
    path = f"/meetings/{scene.meeting.id}/move"
    typed = {"day": GAP_DAY.isoformat(), "start": "02:30", "duration": "90", "host_zone": AUCKLAND}

    refused = post(client, token, path, typed)

    assert refused.status_code == 400
    assert [value for value, _ in offered(refused.text, "move-form")] == [
        "2027-09-26T01:30/0",
        "2027-09-26T03:00/0",
        "2027-09-26T03:30/0",
    ]
    page = soup(refused.text)
    assert page.select_one("#mv-duration")["value"] == "90"
    assert page.select_one("#mv-day")["value"] == GAP_DAY.isoformat()

    moved = post(client, token, path, typed | {"pick": "2027-09-26T01:30/0"})

    assert moved.status_code == 303
    session.refresh(scene.meeting)
    assert scene.meeting.starts_at.replace(tzinfo=UTC) == datetime(2027, 9, 25, 13, 30, tzinfo=UTC)
    assert scene.meeting.host_zone == AUCKLAND
    assert "13:30 UTC" in soup(client.get(moved.headers["location"]).text).find(id="times-confirmed").get_text()


def test_a_coalition_meeting_is_read_in_its_states_zone_and_refuses_the_gap(
    client: TestClient, session: Session, scene: Scene
) -> None:
    held = coalitions.convene(
        session, user=scene.coordinator, state_id=state(session, "NZ").id, title="NZ coalition", purpose=""
    )
    sign_in(client, session, scene.coordinator)
    page = client.get(f"/coalitions/{held.id}")
    form = soup(page.text).find(id="coalition-meeting-form")
    assert form.select_one("#m-host option[selected]")["value"] == "NZ"
    assert form.select_one("#m-zone option[selected]")["value"] == ""
    fields = {
        "csrf_token": csrf_token(page.text),
        "title": "Coalition call",
        "day": GAP_DAY.isoformat(),
        "start": "02:30",
        "duration": "60",
        "host_state": "NZ",
        "host_zone": "",
        "format": "virtual",
        "link": LINK,
    }

    refused = client.post(f"/coalitions/{held.id}/meetings", data=fields)

    assert refused.status_code == 400
    assert len(offered(refused.text, "coalition-meeting-form")) == 3
    assert soup(refused.text).select_one("#coalition-meeting-form #m-title")["value"] == "Coalition call"

    created = client.post(f"/coalitions/{held.id}/meetings", data=fields | {"pick": "2027-09-26T03:30/0"})

    assert created.status_code == 303
    (meeting,) = titled(session, "Coalition call")
    assert (meeting.host_zone, meeting.starts_at.replace(tzinfo=UTC)) == (
        AUCKLAND,
        datetime(2027, 9, 25, 14, 30, tzinfo=UTC),
    )
    assert "14:30 UTC" in soup(client.get(created.headers["location"]).text).find(id="times-confirmed").get_text()


# Zones and languages named as people know them


def test_zones_are_named_by_place_country_and_offset_in_each_language() -> None:
    winter = datetime(2027, 7, 1, tzinfo=UTC)
    assert timing.zone_name("Pacific/Fiji", "en", winter) == "Suva, Fiji (UTC+12)"
    assert timing.zone_name("Pacific/Fiji", "fr", winter) == "Suva, Fidji (UTC+12)"
    assert timing.zone_name("Pacific/Noumea", "en", winter) == "Nouméa, New Caledonia (UTC+11)"
    assert timing.zone_name("Pacific/Noumea", "fr", winter) == "Nouméa, Nouvelle-Calédonie (UTC+11)"
    assert timing.zone_name("Pacific/Rarotonga", "fr", winter) == "Rarotonga, Îles Cook (UTC-10)"
    assert timing.zone_name("Pacific/Efate", "en", winter) == "Port Vila, Vanuatu (UTC+11)"
    assert timing.zone_name(AUCKLAND, "en", winter) == "Auckland, New Zealand (UTC+12)"
    assert timing.zone_name(AUCKLAND, "en", datetime(2027, 1, 1, tzinfo=UTC)) == "Auckland, New Zealand (UTC+13)"
    assert timing.zone_name("Pacific/Chatham", "en", winter) == "Chatham Islands, New Zealand (UTC+12:45)"
    assert timing.zone_name("UTC", "fr") == "UTC"


def test_languages_are_named_not_coded() -> None:
    assert (language_name("en", "fr", own=True), language_name("fr", "en", own=True)) == ("English", "Français")
    assert (language_name("en", "fr"), language_name("fr", "en")) == ("anglais", "French")
    assert (language_name("sm", "en"), language_name("to", "fr")) == ("Samoan", "tongien")
    assert language_name("xx-unknown", "en") == "xx-unknown"


@pytest.mark.parametrize(
    ("language", "groups", "suva"),
    [
        ("en", ["Member states", "Other zones"], "Suva, Fiji (UTC+12)"),
        ("fr", ["États membres", "Autres fuseaux"], "Suva, Fidji (UTC+12)"),
    ],
)
def test_zone_pickers_put_the_member_states_zones_first_named_in_the_readers_language(
    client: TestClient, session: Session, scene: Scene, language: str, groups: list[str], suva: str
) -> None:
    scene.coordinator.language = language
    session.add(scene.coordinator)
    session.commit()
    sign_in(client, session, scene.coordinator)

    page = soup(client.get("/meetings/new").text)

    select = page.select_one("#m-zone")
    assert [group["label"] for group in select.find_all("optgroup")] == groups
    members = select.find_all("optgroup")[0]
    assert members.find("option", value="Pacific/Fiji").get_text() == suva
    assert [option["value"] for option in select.find_all("optgroup")[1].find_all("option")] == ["UTC"]
    account = soup(client.get("/account").text)
    assert account.select_one('datalist#zones option[value="Pacific/Fiji"]')["label"] == suva


def test_a_states_page_names_its_zones_and_languages(client: TestClient, session: Session, scene: Scene) -> None:
    sign_in(client, session, scene.coordinator)

    page = soup(client.get("/members/WS").text)

    facts = page.get_text(" ", strip=True)
    assert "Apia, Samoa (UTC+13)" in facts
    assert "Samoan, English" in facts


@pytest.mark.parametrize("pick", ["0001-01-01T00:00/0", "2027-09-26T03:00/7", "03:00", "2027-09-26T03:00/0" + "9" * 50])
def test_a_forged_pick_is_ignored_and_the_time_typed_is_refused_as_before(
    client: TestClient, session: Session, scene: Scene, pick: str
) -> None:
    token = enter(client, session, scene.coordinator)

    refused = post(client, token, "/meetings", meeting_form(pick=pick))

    assert refused.status_code == 400
    assert "does not exist in Pacific/Auckland" in soup(refused.text).find(attrs={"role": "alert"}).get_text()
    assert titled(session, "Police track meeting") == []
