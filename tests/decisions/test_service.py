"""The decisions service: recording each kind of outcome, every refusal of the issue ("Bad input") changing nothing,
corrections appended, amend and supersede, action items, access, Chatham House and the register's search."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, func, select

from app.core.config import Settings
from app.core.errors import Conflict, DomainError, Forbidden, NotFound
from app.decisions import service
from app.decisions.models import Decision, DecisionAction, DecisionVersion, Reservation
from app.governance import service as governance
from app.governance.models import Body
from app.meetings import service as meetings
from app.meetings.models import Meeting
from tests.decisions.conftest import AFTER
from tests.meetings.conftest import Cast, MeetingFactory, group_meetings, sme


def said(error: pytest.ExceptionInfo[DomainError]) -> str:
    return error.value.message % error.value.params


def count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def unchanged(session: Session) -> tuple[int, int, int]:
    return count(session, Decision), count(session, Reservation), count(session, DecisionVersion)


def form(**overrides: Any) -> service.DecisionForm:
    fields: dict[str, Any] = {
        "text_en": "The network adopts the regional pre-deployment training calendar.",
        "text_fr": "Le réseau adopte le calendrier régional de formation préalable au déploiement.",
        "proposer_organisation": "UN Light Coordination Mechanism",
    }
    fields.update(overrides)
    return service.DecisionForm(**fields)


def record(session: Session, settings: Settings, cast: Cast, meeting: Meeting, **overrides: Any) -> Decision:
    return service.record(session, settings, user=cast.coordinator, meeting=meeting, form=form(**overrides), now=AFTER)


def test_a_consensus_decision_is_recorded_with_the_first_version_of_its_history(
    session: Session, settings: Settings, cast: Cast, held: Meeting
) -> None:
    decision = record(session, settings, cast, held, proposer_state_id=cast.states["FJ"].id)
    assert (decision.outcome, decision.status, decision.part) == ("consensus", "in_force", "members")
    page = service.get(session, decision.id, user=cast.coordinator)  # type: ignore[arg-type]
    assert page.row.proposer is not None and page.row.proposer.code == "FJ"
    assert [(v.kind, name) for v, name in page.versions] == [("recorded", "Colin Coordinator")]


def test_a_reservation_by_a_state_present_is_noted_in_its_words(
    session: Session, settings: Settings, cast: Cast, held: Meeting
) -> None:
    words = "Samoa will apply the calendar once its parliament has approved the budget."
    decision = record(
        session, settings, cast, held, outcome="reservations", reservations=[(cast.states["WS"].id, words)]
    )
    [row] = service.of_meeting(session, user=cast.coordinator, meeting=held)
    assert [(r.state.code if r.state else None, r.words) for r in row.reservations] == [("WS", words)]
    assert decision.status == "in_force"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"text_en": " ", "text_fr": ""}, "Write the decision in English or in French."),
        ({"proposer_organisation": ""}, "Name the state or the organisation that proposed the decision."),
        ({"outcome": "acclamation"}, "Choose how the decision was reached from the list."),
        ({"outcome": "reservations"}, "Name the state that asked for its reservation to be noted, and its words."),
        ({"outcome": "deferred"}, "Choose the later meeting the decision was deferred to."),
        ({"agenda_item_id": 999_999}, "Choose an agenda item of this meeting."),
    ],
)
def test_incomplete_decisions_are_refused_and_nothing_is_recorded(
    session: Session, settings: Settings, cast: Cast, held: Meeting, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(DomainError) as refused:
        record(session, settings, cast, held, **overrides)
    assert said(refused) == message
    assert unchanged(session) == (0, 0, 0)


def test_a_meeting_that_has_not_taken_place_takes_no_decision(
    session: Session, settings: Settings, cast: Cast, held: Meeting
) -> None:
    with pytest.raises(DomainError) as refused:
        service.record(
            session, settings, user=cast.coordinator, meeting=held, form=form(), now=held.starts_at - timedelta(hours=1)
        )
    assert "has not taken place yet" in said(refused)
    assert unchanged(session) == (0, 0, 0)


def test_a_reservation_by_a_state_that_did_not_attend_is_refused(
    session: Session, settings: Settings, cast: Cast, held: Meeting
) -> None:
    with pytest.raises(DomainError) as refused:
        record(session, settings, cast, held, outcome="reservations", reservations=[(cast.states["PG"].id, "No.")])
    assert (
        said(refused) == "PG did not attend this meeting: only a state present can ask for a reservation to be noted."
    )
    assert unchanged(session) == (0, 0, 0)


def test_a_decision_deferred_to_a_later_meeting_of_the_body_is_on_that_meetings_agenda(
    session: Session, settings: Settings, cast: Cast, held: Meeting, next_meeting: Meeting
) -> None:
    decision = record(session, settings, cast, held, outcome="deferred", deferred_to_id=next_meeting.id)
    assert decision.status == "deferred"
    assert [row.decision.id for row in service.deferred_to(session, user=cast.coordinator, meeting=next_meeting)] == [
        decision.id
    ]


def test_a_working_groups_meeting_offers_its_own_groups_later_meetings_and_decisions_in_force(
    session: Session, settings: Settings, cast: Cast, held: Meeting, next_meeting: Meeting
) -> None:
    adhoc, july, october = group_meetings(session, settings, cast)
    of_the_group = service.record(session, adhoc, user=cast.coordinator, meeting=july, form=form(), now=AFTER)
    of_the_body = record(session, settings, cast, held)
    assert [m.id for m in service.later_meetings(session, july, now=AFTER)] == [october.id]
    assert [m.id for m in service.later_meetings(session, held, now=AFTER)] == [next_meeting.id]
    assert [d.id for d, _ in service.earlier_in_force(session, october)] == [of_the_group.id]
    assert [d.id for d, _ in service.earlier_in_force(session, next_meeting)] == [of_the_body.id]


def test_a_deferral_to_another_bodys_meeting_or_to_a_past_meeting_is_refused(
    session: Session, settings: Settings, cast: Cast, held: Meeting, make_meeting: MeetingFactory
) -> None:
    other = make_meeting(day="2027-10-12")
    other.body_id = session.exec(select(Body.id).where(Body.key == "pif-subcommittee")).one()
    session.add(other)
    earlier = make_meeting(day="2027-04-13")
    with pytest.raises(DomainError) as refused:
        record(session, settings, cast, held, outcome="deferred", deferred_to_id=other.id)
    assert said(refused) == "A decision can only be deferred to a meeting of the same body or working group."
    with pytest.raises(DomainError) as refused:
        record(session, settings, cast, held, outcome="deferred", deferred_to_id=earlier.id)
    assert said(refused) == "A decision can only be deferred to a meeting that has not taken place yet."
    assert unchanged(session) == (0, 0, 0)


def test_a_vote_is_refused_where_the_profile_decides_by_consensus(
    session: Session, settings: Settings, cast: Cast, held: Meeting
) -> None:
    assert governance.profile(settings).decisions == "consensus"
    assert "vote" not in service.outcomes(settings)
    with pytest.raises(DomainError) as refused:
        record(session, settings, cast, held, outcome="vote", votes_for=5, votes_against=0, votes_abstaining=0)
    assert said(refused) == "This governance option takes decisions by consensus: a vote cannot be recorded."
    assert unchanged(session) == (0, 0, 0)


def test_a_focal_point_cannot_record_or_correct_but_the_chairs_can(
    session: Session, settings: Settings, cast: Cast, held: Meeting
) -> None:
    with pytest.raises(Forbidden):
        service.record(session, settings, user=cast.focal["WS"], meeting=held, form=form(), now=AFTER)
    assert unchanged(session) == (0, 0, 0)
    decision = record(session, settings, cast, held)
    with pytest.raises(Forbidden):
        service.correct(session, settings, user=cast.focal["WS"], decision=decision, form=form(text_en="Changed."))
    assert decision.text_en.startswith("The network adopts")
    governance.record_chair(
        session, settings, user=cast.coordinator, body=sme(session), state=cast.states["FJ"], starts_on=date(2027, 1, 1)
    )
    chaired = service.record(session, settings, user=cast.focal["FJ"], meeting=held, form=form(), now=AFTER)
    assert chaired.recorded_by == cast.focal["FJ"].id


def test_a_correction_is_appended_and_the_earlier_wording_stays_in_the_history(
    session: Session, settings: Settings, cast: Cast, held: Meeting
) -> None:
    decision = record(session, settings, cast, held)
    service.correct(
        session,
        settings,
        user=cast.coordinator,
        decision=decision,
        form=form(text_en="The network adopts the regional training calendar for 2028."),
        note="Year added",
        now=AFTER,
    )
    page = service.get(session, decision.id, user=cast.coordinator)  # type: ignore[arg-type]
    assert page.row.decision.text_en == "The network adopts the regional training calendar for 2028."
    assert [v.kind for v, _ in page.versions] == ["recorded", "corrected"]
    assert service.version_text(page.versions[0][0], "en").startswith("The network adopts the regional pre-deployment")


def test_a_superseded_decision_shows_its_successor_and_can_no_longer_be_corrected(
    session: Session, settings: Settings, cast: Cast, held: Meeting
) -> None:
    first = record(session, settings, cast, held)
    amending = record(
        session, settings, cast, held, text_en="Adds police courses.", relation="amends", related_id=first.id
    )
    assert first.status == "in_force"
    second = record(
        session, settings, cast, held, text_en="A new calendar.", relation="supersedes", related_id=first.id
    )
    assert first.status == "superseded"
    page = service.get(session, first.id, user=cast.coordinator)  # type: ignore[arg-type]
    assert [d.id for d in page.row.followers] == [amending.id, second.id]
    assert service.get(session, second.id, user=cast.coordinator).row.related == first  # type: ignore[arg-type]
    before = unchanged(session)
    with pytest.raises(Conflict) as refused:
        service.correct(session, settings, user=cast.coordinator, decision=first, form=form(text_en="Changed."))
    assert said(refused) == "This decision has been superseded: it can no longer be corrected."
    session.refresh(first)
    assert first.text_en.startswith("The network adopts") and unchanged(session) == before


def test_an_action_item_carries_out_a_decision_once(
    session: Session, settings: Settings, cast: Cast, held: Meeting
) -> None:
    decision = record(session, settings, cast, held)
    item = meetings.add_action_item(
        session,
        user=cast.coordinator,
        meeting=held,
        owner_state_id=cast.states["FJ"].id,
        text="Circulate",
        due_on="2027-09-01",  # type: ignore[arg-type]
    )
    assert [a.id for a in service.linkable_actions(session, decision)] == [item.id]
    service.link_action(session, user=cast.coordinator, decision=decision, action_item_id=item.id)  # type: ignore[arg-type]
    assert [a.id for a in service.get(session, decision.id, user=cast.coordinator).row.actions] == [item.id]  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        service.link_action(session, user=cast.coordinator, decision=decision, action_item_id=item.id)  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        service.link_action(session, user=cast.focal["FJ"], decision=decision, action_item_id=item.id)  # type: ignore[arg-type]
    assert count(session, DecisionAction) == 1


def test_members_only_decisions_stay_hidden_from_observers_until_published_and_chatham_house_hides_the_state(
    session: Session, settings: Settings, cast: Cast, held: Meeting
) -> None:
    held.chatham_house = True
    session.add(held)
    decision = record(
        session, settings, cast, held, outcome="reservations", reservations=[(cast.states["WS"].id, "Not this year.")]
    )
    with pytest.raises(NotFound):
        service.get(session, decision.id, user=cast.observer)  # type: ignore[arg-type]
    assert service.register(session, user=None, filters=service.Filters()) == []
    with pytest.raises(Forbidden):
        service.set_published(session, user=cast.focal["FJ"], decision=decision, publish=True)
    service.set_published(session, user=cast.coordinator, decision=decision, publish=True)
    [public] = service.published(session)
    assert [(r.state, r.words) for r in public.reservations] == [(None, "Not this year.")]
    seen = service.get(session, decision.id, user=cast.observer).row  # type: ignore[arg-type]
    assert [r.state for r in seen.reservations] == [None]
    member = service.get(session, decision.id, user=cast.focal["CK"]).row  # type: ignore[arg-type]
    assert [r.state.code for r in member.reservations if r.state] == ["WS"]
    # The state filter does not find a hidden reservation's author either.
    assert service.register(session, user=None, filters=service.Filters(state_id=cast.states["WS"].id)) == []


def test_the_register_finds_a_decision_by_a_word_of_its_french_text_and_filters_by_status(
    session: Session, settings: Settings, cast: Cast, held: Meeting, next_meeting: Meeting
) -> None:
    adopted = record(session, settings, cast, held)
    deferred = record(
        session,
        settings,
        cast,
        held,
        text_en="Joint exercise",
        text_fr="Exercice conjoint",
        outcome="deferred",
        deferred_to_id=next_meeting.id,
    )

    def found(**filters: Any) -> list[int | None]:
        return [
            r.decision.id for r in service.register(session, user=cast.coordinator, filters=service.Filters(**filters))
        ]

    assert found(q="déploiement") == [adopted.id]
    assert found(q="formations") == [adopted.id]  # by its French stem
    assert found(q="conjoint") == [deferred.id]
    assert found(status="deferred") == [deferred.id]
    assert sorted(found(year=2027)) == sorted([adopted.id, deferred.id])
    assert found(year=2026) == []
    with pytest.raises(DomainError):
        found(q="!!!")
