"""Country coalitions through the service: who convenes and leads, partners, needs in scope, meetings with the
right states invited, action items, progress history, and refusals that change nothing."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from app.coalitions import service
from app.coalitions.models import Coalition, CoalitionMeeting, CoalitionNeed, CoalitionPartner, CoalitionProgress
from app.core.config import get_settings
from app.core.errors import Conflict, DomainError, Forbidden
from app.meetings import service as meetings
from app.meetings.models import Meeting, MeetingInvitee
from tests.coalitions.conftest import People, need_of
from tests.factories import QueryLog, state


def count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def meeting_form(**changes: object) -> meetings.MeetingForm:
    fields: dict[str, object] = {
        "title": "Coalition meeting",
        "day": "2031-03-11",
        "start": "10:00",
        "duration": 60,
        "host_zone": "Pacific/Fiji",
        "format": "virtual",
        "link": "https://meet.example.org/fiji",
    }
    fields.update(changes)
    return meetings.MeetingForm(**fields)  # type: ignore[arg-type]


def test_coordinator_convenes_with_partners(session, people: People, coalition: Coalition) -> None:
    partners = service.partners(session, coalition)
    assert [(p.organisation, s.code if s else None) for p, s in partners] == [("", "NZ"), ("UN DPO", None)]
    assert coalition.status == "active"
    assert service.leads(people.fiji, coalition) and service.leads(people.coordinator, coalition)
    assert not service.leads(people.new_zealand, coalition)


def test_only_coordinators_convene(session, people: People) -> None:
    before = count(session, Coalition)
    with pytest.raises(Forbidden):
        service.convene(session, user=people.fiji, state_id=state(session, "FJ").id, title="Our own")
    assert count(session, Coalition) == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"state_id": "", "title": "Coalition"}, "Choose the state"),
        ({"state_id": "999999", "title": "Coalition"}, "Choose the state"),
        ({"title": "   "}, "Give the coalition a title"),
        ({"title": "x" * 201}, "Give the coalition a title"),
    ],
)
def test_convening_with_bad_input_changes_nothing(session, people: People, fields, message: str) -> None:
    arguments = {"state_id": state(session, "FJ").id, "title": "Coalition", **fields}
    before = count(session, Coalition), count(session, CoalitionPartner)
    with pytest.raises(DomainError) as refused:
        service.convene(session, user=people.coordinator, **arguments)
    session.rollback()
    assert refused.value.message.startswith(message)
    assert (count(session, Coalition), count(session, CoalitionPartner)) == before


def test_the_state_is_not_its_own_partner_and_partners_are_not_doubled(session, people, coalition) -> None:
    with pytest.raises(DomainError, match="leads it"):
        service.add_partner(session, user=people.coordinator, coalition=coalition, state_id=state(session, "FJ").id)
    session.rollback()
    with pytest.raises(Conflict):
        service.add_partner(session, user=people.fiji, coalition=coalition, state_id=state(session, "NZ").id)
    session.rollback()
    with pytest.raises(Conflict):
        service.add_partner(session, user=people.fiji, coalition=coalition, organisation="un dpo")
    session.rollback()
    assert len(service.partners(session, coalition)) == 2


def test_a_leaving_partner_stays_in_the_history(session, people, coalition) -> None:
    australia = service.add_partner(session, user=people.fiji, coalition=coalition, state_id=state(session, "AU").id)
    service.partner_leaves(session, user=people.fiji, coalition=coalition, partner_id=australia.id)
    assert "AU" not in {s.code for _, s in service.partners(session, coalition) if s}
    assert "AU" in {s.code for _, s in service.partners(session, coalition, current_only=False) if s}
    kinds = [(entry.kind, entry.subject) for entry in service.history(session, coalition, language="en")]
    assert ("joined", "Australia") in kinds and ("left", "Australia") in kinds
    assert kinds[-1][0] == "convened"


def test_a_partner_state_cannot_change_the_partners(session, people, coalition) -> None:
    with pytest.raises(Forbidden):
        service.add_partner(session, user=people.new_zealand, coalition=coalition, organisation="A donor")
    session.rollback()
    assert len(service.partners(session, coalition)) == 2


def test_needs_in_scope_belong_to_the_state(session, people, coalition, fiji_needs) -> None:
    service.add_need(session, user=people.fiji, coalition=coalition, need_id=fiji_needs[0].id)
    assert [need.id for need in service.needs_in_scope(session, coalition)] == [fiji_needs[0].id]
    with pytest.raises(Conflict):
        service.add_need(session, user=people.coordinator, coalition=coalition, need_id=fiji_needs[0].id)
    session.rollback()
    samoan_need = need_of(session, people.samoa)
    for wrong in (samoan_need.id, 999999, "not a number"):
        with pytest.raises(DomainError, match="one of the state's needs"):
            service.add_need(session, user=people.coordinator, coalition=coalition, need_id=wrong)
        session.rollback()
    with pytest.raises(Forbidden):
        service.add_need(session, user=people.new_zealand, coalition=coalition, need_id=fiji_needs[1].id)
    session.rollback()
    assert count(session, CoalitionNeed) == 1


def test_progress_by_the_state_and_its_partners_only(session, people, coalition) -> None:
    service.record_progress(session, user=people.fiji, coalition=coalition, text="SAAT mock test held in Suva")
    service.record_progress(session, user=people.new_zealand, coalition=coalition, text="Two trainers offered")
    for outsider in (people.samoa, people.observer):
        with pytest.raises(Forbidden):
            service.record_progress(session, user=outsider, coalition=coalition, text="Not ours to say")
        session.rollback()
    with pytest.raises(DomainError, match="Describe the progress"):
        service.record_progress(session, user=people.fiji, coalition=coalition, text="  ")
    session.rollback()
    notes = [entry.subject for entry in service.history(session, coalition, language="en") if entry.kind == "progress"]
    assert notes == ["Two trainers offered", "SAAT mock test held in Suva"]
    assert count(session, CoalitionProgress) == 2


def test_a_coalition_meeting_invites_the_state_and_its_partner_states(session, people, coalition) -> None:
    settings = get_settings()
    meeting = service.schedule_meeting(
        session, settings, user=people.coordinator, coalition=coalition, form=meeting_form()
    )
    invited = set(session.exec(select(MeetingInvitee.state_id).where(MeetingInvitee.meeting_id == meeting.id)).all())
    assert invited == {state(session, "FJ").id, state(session, "NZ").id}
    assert service.coalition_meetings(session, coalition) == [meeting]
    # The states it invites see it; Samoa does not.
    assert meetings.access(session, meeting, people.fiji).sees
    assert meetings.access(session, meeting, people.new_zealand).sees
    assert not meetings.access(session, meeting, people.samoa).sees


def test_a_refused_meeting_leaves_neither_meeting_nor_link(session, people, coalition) -> None:
    settings = get_settings()
    before = count(session, Meeting), count(session, CoalitionMeeting)
    for form in (
        meeting_form(host_zone="Pacific/Atlantis"),
        meeting_form(link="http://insecure.example.org"),
        meeting_form(title=""),
    ):
        with pytest.raises(DomainError):
            service.schedule_meeting(session, settings, user=people.coordinator, coalition=coalition, form=form)
        session.rollback()
    with pytest.raises(Forbidden):
        service.schedule_meeting(session, settings, user=people.fiji, coalition=coalition, form=meeting_form())
    session.rollback()
    assert (count(session, Meeting), count(session, CoalitionMeeting)) == before


def test_action_items_are_raised_at_the_coalitions_meetings(session, people, coalition) -> None:
    settings = get_settings()
    meeting = service.schedule_meeting(
        session, settings, user=people.coordinator, coalition=coalition, form=meeting_form()
    )
    other = meetings.create_meeting(
        session, settings, user=people.coordinator, form=meeting_form(title="Unrelated", body_key="sme")
    )
    item = service.add_action_item(
        session,
        user=people.coordinator,
        coalition=coalition,
        meeting_id=meeting.id,
        owner_state_id=state(session, "NZ").id,
        text="Send two trainers",
        due_on="2031-04-30",
    )
    with pytest.raises(DomainError, match="coalition's meetings"):
        service.add_action_item(
            session,
            user=people.coordinator,
            coalition=coalition,
            meeting_id=other.id,
            owner_state_id=state(session, "FJ").id,
            text="Wrong meeting",
            due_on="2031-04-30",
        )
    session.rollback()
    assert [(i.id, m.id) for i, m in meetings.open_action_items(session, meeting_ids=[meeting.id])] == [
        (item.id, meeting.id)
    ]


def test_a_closed_coalition_takes_no_new_partners_until_reopened(session, people, coalition, fiji_needs) -> None:
    service.set_status(session, user=people.fiji, coalition=coalition, status="closed")
    with pytest.raises(Conflict, match="closed"):
        service.add_partner(session, user=people.fiji, coalition=coalition, organisation="A donor")
    session.rollback()
    with pytest.raises(Conflict, match="closed"):
        service.add_need(session, user=people.fiji, coalition=coalition, need_id=fiji_needs[0].id)
    session.rollback()
    with pytest.raises(DomainError, match="status"):
        service.set_status(session, user=people.fiji, coalition=coalition, status="paused")
    session.rollback()
    service.set_status(session, user=people.coordinator, coalition=coalition, status="active")
    service.add_partner(session, user=people.fiji, coalition=coalition, organisation="A donor")
    assert len(service.partners(session, coalition)) == 3


def test_the_list_runs_the_same_queries_for_few_and_many(session, engine, people) -> None:
    def convene(n: int) -> None:
        for index in range(n):
            service.convene(
                session,
                user=people.coordinator,
                state_id=state(session, "TO").id,
                title=f"Coalition {index}",
                partner_state_ids=[state(session, "AU").id],
                organisations="A donor",
            )

    convene(2)
    with QueryLog(engine) as few:
        assert len(service.list_coalitions(session)) >= 2
    convene(10)
    with QueryLog(engine) as many:
        rows = service.list_coalitions(session)
    assert len(many) == len(few)
    assert {(row.partner_count, row.need_count) for row in rows if row.state.code == "TO"} == {(2, 0)}
