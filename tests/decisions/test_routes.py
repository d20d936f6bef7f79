"""Decisions pages: recording from the meeting page without JavaScript, refusals shown beside the form in the
reader's language, the register's filters and search, the CSV, the outcome statement, the public page under
Chatham House, and the register's query count."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.core import paging
from app.core.config import Settings
from app.core.db import id_of
from app.decisions import service
from app.decisions.models import Decision, DecisionVersion
from app.meetings import service as meetings
from app.meetings.models import Meeting
from tests.factories import QueryLog, alerts, csrf_token, sign_in, soup
from tests.meetings.conftest import Cast, MeetingFactory

TEXT_EN = "The network adopts the regional pre-deployment training calendar."
TEXT_FR = "Le réseau adopte le calendrier régional de formation préalable au déploiement."


@pytest.fixture
def past(session: Session, cast: Cast, make_meeting: MeetingFactory) -> Meeting:
    """An SME meeting held in November 2026; Fiji, Samoa and the Cook Islands were present."""
    meeting = make_meeting(day="2026-11-10", title="SME meeting, November")
    meetings.record_attendance(
        session,
        user=cast.coordinator,
        meeting=meeting,
        present_state_ids=[cast.states[c].id for c in ("FJ", "WS", "CK")],  # type: ignore[misc]
    )
    return meeting


@pytest.fixture
def coming(make_meeting: MeetingFactory) -> Meeting:
    return make_meeting(day="2027-02-09", title="SME meeting, February")


def post_decision(client: TestClient, meeting: Meeting, **fields: Any) -> Any:
    page = client.get(f"/meetings/{meeting.id}")
    data: dict[str, Any] = {"csrf_token": csrf_token(page.text), "outcome": "consensus", **fields}
    return client.post(f"/meetings/{meeting.id}/decisions", data=data)


def test_a_coordinator_records_a_decision_from_the_meeting_page_and_lands_on_its_stable_page(
    client: TestClient, session: Session, cast: Cast, past: Meeting
) -> None:
    sign_in(client, session, cast.coordinator)
    page = soup(client.get(f"/meetings/{past.id}").text)
    assert page.select_one("#decisions form[action$='/decisions']") is not None
    answer = post_decision(client, past, text_en=TEXT_EN, text_fr=TEXT_FR, proposer_state=str(cast.states["FJ"].id))
    assert answer.status_code == 303
    decision = session.exec(select(Decision)).one()
    assert answer.headers["location"] == f"/decisions/{decision.id}?notice=recorded"
    shown = soup(client.get(answer.headers["location"]).text)
    assert shown.select_one("#text-fr").get_text(strip=True) == TEXT_FR  # type: ignore[union-attr]
    assert "Recorded by Colin Coordinator" in shown.select_one("#history").get_text()  # type: ignore[union-attr]
    listed = soup(client.get(f"/meetings/{past.id}").text).select_one(f"#decisions #decision-{decision.id}")
    assert listed is not None and TEXT_EN in listed.get_text()


def test_a_refusal_is_shown_beside_the_form_in_french_with_what_was_typed_and_nothing_is_recorded(
    client: TestClient, session: Session, cast: Cast, past: Meeting
) -> None:
    cast.coordinator.language = "fr"
    session.add(cast.coordinator)
    session.commit()
    sign_in(client, session, cast.coordinator)
    answer = post_decision(
        client,
        past,
        text_fr=TEXT_FR,
        proposer_organisation="ONU",
        outcome="reservations",
        reservation_state=str(cast.states["PG"].id),
        reservation_words="Pas maintenant.",
    )
    assert answer.status_code == 400
    page = soup(answer.text)
    assert "n’a pas assisté à cette réunion" in page.select_one("[role=alert]").get_text()  # type: ignore[union-attr]
    assert page.select_one("textarea[name=text_fr]").get_text() == TEXT_FR  # type: ignore[union-attr]
    assert session.exec(select(Decision)).all() == []


def test_a_decision_with_five_wrong_fields_is_refused_with_every_message_and_what_was_typed_kept(
    client: TestClient, session: Session, cast: Cast, past: Meeting
) -> None:
    sign_in(client, session, cast.coordinator)
    answer = post_decision(
        client,
        past,
        text_en=" ",
        agenda_item="999999",
        proposer_state="999999",
        proposer_organisation="Pacific Islands Forum",
        outcome="reservations",
        reservation_state=str(cast.states["PG"].id),
        reservation_words="Not before the budget is known.",
        relation="amends",
        related="999999",
    )

    assert answer.status_code == 400
    page = soup(answer.text)
    assert alerts(page) == [
        "Write the decision in English or in French.",
        "Choose an agenda item of this meeting.",
        "Choose the proposing state from the list.",
        "PG did not attend this meeting: only a state present can ask for a reservation to be noted.",
        "Choose an earlier decision of the same body or working group.",
    ]
    assert page.select_one("input[name=proposer_organisation]")["value"] == "Pacific Islands Forum"  # type: ignore[index]
    assert page.select_one("textarea[name=reservation_words]").get_text() == "Not before the budget is known."  # type: ignore[union-attr]
    assert page.select_one("input[name=outcome][value=reservations]").has_attr("checked")  # type: ignore[union-attr]
    assert session.exec(select(Decision)).all() == []


def test_a_correction_with_three_wrong_fields_is_refused_in_french_with_every_message_and_nothing_changes(
    client: TestClient, session: Session, settings: Settings, cast: Cast, past: Meeting
) -> None:
    decision = record(session, settings, cast, past)
    cast.coordinator.language = "fr"
    session.add(cast.coordinator)
    session.commit()
    sign_in(client, session, cast.coordinator)
    page = client.get(f"/meetings/{past.id}")
    note = "Correction " * 50
    answer = client.post(
        f"/meetings/{past.id}/decisions/{decision.id}",
        data={
            "csrf_token": csrf_token(page.text),
            "text_en": "",
            "text_fr": "",
            "proposer_organisation": "UN DPO",
            "outcome": "deferred",
            "note": note,
        },
    )

    assert answer.status_code == 400
    shown = soup(answer.text)
    assert alerts(shown) == [
        "Rédigez la décision en anglais ou en français.",
        "Choisissez la réunion ultérieure à laquelle la décision est reportée.",
        "La note peut compter au plus 500 caractères.",
    ]
    assert shown.select_one("input[name=note]")["value"] == note  # type: ignore[index]
    assert shown.select_one("input[name=outcome][value=deferred]").has_attr("checked")  # type: ignore[union-attr]
    session.refresh(decision)
    assert (decision.text_en, decision.outcome) == (TEXT_EN, "consensus")
    assert len(session.exec(select(DecisionVersion).where(DecisionVersion.decision_id == decision.id)).all()) == 1


def test_a_focal_point_that_does_not_chair_is_refused(
    client: TestClient, session: Session, cast: Cast, past: Meeting
) -> None:
    sign_in(client, session, cast.focal["WS"])
    assert soup(client.get(f"/meetings/{past.id}").text).select_one("#decisions form") is None
    assert post_decision(client, past, text_en=TEXT_EN, proposer_organisation="UN").status_code == 403
    assert session.exec(select(Decision)).all() == []


def record(session: Session, settings: Settings, cast: Cast, meeting: Meeting, **fields: Any) -> Decision:
    values: dict[str, Any] = {"text_en": TEXT_EN, "text_fr": TEXT_FR, "proposer_organisation": "UN DPO", **fields}
    return service.record(
        session, settings, user=cast.coordinator, meeting=meeting, form=service.DecisionForm(**values)
    )


def test_the_deferred_decision_is_on_the_draft_agenda_of_the_meeting_it_was_deferred_to(
    client: TestClient, session: Session, settings: Settings, cast: Cast, past: Meeting, coming: Meeting
) -> None:
    deferred = record(
        session, settings, cast, past, text_en="A joint exercise", outcome="deferred", deferred_to_id=coming.id
    )
    sign_in(client, session, cast.coordinator)
    agenda = soup(client.get(f"/meetings/{coming.id}").text).select_one("#agenda")
    assert agenda is not None and agenda.select_one(f"a[href='/decisions/{deferred.id}']") is not None


def test_the_register_searches_in_french_and_filters_and_the_csv_says_the_same(
    client: TestClient, session: Session, settings: Settings, cast: Cast, past: Meeting, coming: Meeting
) -> None:
    adopted = record(session, settings, cast, past)
    record(
        session,
        settings,
        cast,
        past,
        text_en="A joint exercise",
        text_fr="Un exercice conjoint",
        outcome="deferred",
        deferred_to_id=coming.id,
    )
    sign_in(client, session, cast.coordinator)
    found = soup(client.get("/decisions", params={"q": "déploiement"}).text)
    assert [a["href"] for a in found.select("#results article h2 a")] == [f"/decisions/{adopted.id}"]
    deferred_only = soup(client.get("/decisions", params={"status": "deferred"}).text)
    assert len(deferred_only.select("#results article")) == 1
    fragment = client.get("/decisions", params={"q": "formation"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and f"/decisions/{adopted.id}" in fragment.text
    refused = client.get("/decisions", params={"q": "!!"})
    assert refused.status_code == 400
    exported = client.get("/decisions.csv", params={"q": "déploiement"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][5] == TEXT_FR and rows[1][8] == "In force"


def test_the_outcome_statement_is_in_the_readers_language(
    client: TestClient, session: Session, settings: Settings, cast: Cast, past: Meeting
) -> None:
    record(
        session, settings, cast, past, outcome="reservations", reservations=[(cast.states["WS"].id, "Pas cette année.")]
    )
    cast.focal["CK"].language = "fr"
    session.add(cast.focal["CK"])
    session.commit()
    sign_in(client, session, cast.focal["CK"])
    page = soup(client.get(f"/meetings/{past.id}/outcome").text)
    text = page.get_text(" ", strip=True)
    assert "Relevé des décisions" in text and TEXT_FR in text and "Samoa" in text


def test_the_public_page_shows_a_published_decision_without_the_reserving_state_under_chatham_house(
    client: TestClient, session: Session, settings: Settings, cast: Cast, past: Meeting
) -> None:
    past.chatham_house = True
    session.add(past)
    decision = record(
        session, settings, cast, past, outcome="reservations", reservations=[(cast.states["WS"].id, "Not this year.")]
    )
    assert client.get(f"/decisions/{decision.id}").status_code == 404
    service.set_published(session, user=cast.coordinator, decision=decision, publish=True)
    home = soup(client.get("/").text).select_one("#published-decisions")
    assert home is not None
    text = home.get_text(" ", strip=True)
    assert TEXT_EN in text and "Not this year." in text and "Samoa" not in text
    sign_in(client, session, cast.observer)
    assert "Samoa" not in soup(client.get(f"/decisions/{decision.id}").text).select_one("main").get_text()  # type: ignore[union-attr]


def test_the_register_costs_the_same_queries_for_10_and_100_decisions(
    client: TestClient, session: Session, settings: Settings, engine: Engine, cast: Cast, past: Meeting
) -> None:
    sign_in(client, session, cast.focal["FJ"])

    def queries() -> int:
        with QueryLog(engine) as log:
            assert client.get("/decisions").status_code == 200
        return len(log)

    for _ in range(10):
        record(session, settings, cast, past, outcome="reservations", reservations=[(cast.states["WS"].id, "No.")])
    ten = queries()
    for _ in range(90):
        record(session, settings, cast, past, proposer_state_id=cast.states["CK"].id)
    hundred = queries()
    print(f"register queries: 10 decisions {ten}, 100 decisions {hundred}")
    assert ten == hundred


def test_the_register_shows_a_page_at_a_time_and_its_older_link_keeps_the_filter_down_to_the_oldest_decision(
    client: TestClient,
    session: Session,
    settings: Settings,
    engine: Engine,
    cast: Cast,
    past: Meeting,
    coming: Meeting,
    make_meeting: MeetingFactory,
) -> None:
    first = make_meeting(day="2026-08-11", title="SME meeting, August")
    oldest = record(session, settings, cast, first, text_en="The oldest decision of the network")
    record(session, settings, cast, first, text_en="A deferred one", outcome="deferred", deferred_to_id=coming.id)
    for number in range(paging.PAGE_SIZE):
        record(session, settings, cast, past, text_en=f"Decision {number}")
    sign_in(client, session, cast.focal["FJ"])
    with QueryLog(engine) as first_log:
        page = soup(client.get("/decisions", params={"status": "in_force"}).text)
    assert len(page.select("#results article")) == paging.PAGE_SIZE
    assert page.select_one(f"a[href='/decisions/{oldest.id}']") is None
    older = page.select_one("#results a[rel=next]")
    assert older is not None and older.get_text(strip=True) == "Older"
    assert "status=in_force" in str(older["href"]) and "page=2" in str(older["href"])
    with QueryLog(engine) as second_log:
        second = soup(client.get(str(older["href"])).text)
    assert len(second_log) == len(first_log)  # a later page costs what the first does
    found = [a["href"] for a in second.select("#results article h2 a")]
    assert found == [f"/decisions/{oldest.id}"]  # the deferred decision stays filtered out
    assert second.select_one("#results a[rel=next]") is None
    newer = second.select_one("#results a[rel=prev]")
    assert newer is not None and "page=" not in str(newer["href"]) and "status=in_force" in str(newer["href"])
    assert client.get("/decisions", params={"page": "not a number"}).status_code == 200


def test_the_register_csv_is_sent_in_chunks_with_every_decision_its_byte_order_mark_and_header(
    client: TestClient,
    session: Session,
    settings: Settings,
    cast: Cast,
    past: Meeting,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service, "CSV_CHUNK", 3)
    recorded = [
        record(session, settings, cast, past, text_en=f"Decision {n}", text_fr=f"Décision {n}") for n in range(8)
    ]
    sign_in(client, session, cast.focal["FJ"])
    with client.stream("GET", "/decisions.csv") as exported:
        assert exported.headers["content-type"].startswith("text/csv")
        assert "content-length" not in exported.headers  # sent as it is written
        body = b"".join(exported.iter_bytes())
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Decision", "Meeting", "Date"]
    assert sorted(int(row[0]) for row in rows[1:]) == sorted(id_of(d) for d in recorded)
