"""A request to join or withdraw reaches the coordinators (their dashboard and an email in their language), and
the answer reaches the requesting state's focal points by email, under every option where the body is active."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session, col, select

from app.auth.models import User
from app.core.errors import Conflict
from app.core.web import local_time
from app.governance import service as governance
from app.governance.models import MembershipEvent
from app.outbox.models import OutboxMessage
from tests.factories import make_user, soup, state
from tests.governance.conftest import PROFILE_BODIES, People, alert, body
from tests.governance.test_membership import post_form
from tests.support.portal import Portal

ACTIVE = [(option, key) for option, keys in PROFILE_BODIES.items() for key in sorted(keys)]


@dataclass
class Desk:
    """Who hears of a request: two coordinators (one reads French), a deactivated one; Fiji's second focal point
    (French); a Samoan focal point who must hear nothing of Fiji's business."""

    french_coordinator: User
    former_coordinator: User
    french_fiji: User


@pytest.fixture
def desk(session: Session, people: People) -> Desk:
    former = make_user(session, role="coordinator", display_name="Former Coordinator", password=None)
    former.is_active = False
    session.add(former)
    session.commit()
    return Desk(
        french_coordinator=make_user(
            session, role="coordinator", display_name="Coralie Coordinatrice", language="fr", password=None
        ),
        former_coordinator=former,
        french_fiji=make_user(
            session,
            role="focal_point",
            display_name="Fidji Deux",
            member_state_id=state(session, "FJ").id,
            language="fr",
            password=None,
        ),
    )


def mail_to(session: Session, user: User) -> list[OutboxMessage]:
    session.expire_all()
    return list(
        session.exec(
            select(OutboxMessage).where(OutboxMessage.recipient == user.email).order_by(col(OutboxMessage.id))
        ).all()
    )


def latest_event(session: Session) -> MembershipEvent:
    found = session.exec(select(MembershipEvent).order_by(col(MembershipEvent.id).desc())).first()
    assert found is not None
    return found


def waiting_on_dashboard(html: str) -> list[tuple[str, str]]:
    """The requests the dashboard lists as waiting for a decision: (text, link) for each."""
    heading = soup(html).find(id="requests-heading")
    if heading is None:
        return []
    return [
        (" ".join(item.get_text().split()), str(item.a["href"]))
        for item in heading.find_parent("section").find_all("li")
        if item.a is not None
    ]


@pytest.mark.parametrize(("option", "key"), ACTIVE)
def test_a_request_reaches_the_coordinators_and_the_answer_reaches_the_state(
    session: Session, people: People, desk: Desk, portal: Portal, option: str, key: str
) -> None:
    portal.run(option)
    network_body, fiji_state = body(session, key), state(session, "FJ")
    fiji, coordinator, admin = (portal.client(u) for u in (people.fiji, people.coordinator, people.admin))

    asked = post_form(fiji, f"/bodies/{key}", f"/bodies/{key}/requests", action="join", note="Cabinet approved")

    assert asked.status_code == 303, alert(asked.text)
    request = latest_event(session)
    decide_at = f"/bodies/{key}#request-{request.id}"
    [english] = mail_to(session, people.coordinator)
    [french] = mail_to(session, desk.french_coordinator)
    assert english.subject == f"Fiji asks to join {network_body.name_en}"
    assert french.subject == f"Fidji demande à rejoindre {network_body.name_fr}"
    for message in (english, french):
        assert "Fiji Focal" in message.body and "Cabinet approved" in message.body
        assert f"http://testserver{decide_at}" in message.body
    assert "Hello Colin Coordinator," in english.body and "Bonjour Coralie Coordinatrice," in french.body
    for nobody in (desk.former_coordinator, people.fiji, desk.french_fiji, people.samoa, people.admin):
        assert mail_to(session, nobody) == [], nobody.display_name

    asked_at = local_time(request.at, "UTC")
    for desk_client in (coordinator, admin):
        listed = waiting_on_dashboard(desk_client.get("/dashboard").text)
        assert listed == [(f"{network_body.name_en}: Fiji — asked to join ({asked_at})", decide_at)]
    assert waiting_on_dashboard(fiji.get("/dashboard").text) == []
    decision_form = soup(coordinator.get(f"/bodies/{key}").text).find(id=f"request-{request.id}")
    assert decision_form is not None and decision_form.name == "form"
    assert decision_form["action"] == f"/membership-requests/{request.id}"

    confirmed = post_form(
        coordinator, f"/bodies/{key}", f"/membership-requests/{request.id}", decision="accept", note="Welcome aboard"
    )

    assert confirmed.status_code == 303, alert(confirmed.text)
    [told] = mail_to(session, people.fiji)
    [told_in_french] = mail_to(session, desk.french_fiji)
    assert told.subject == f"Fiji has joined {network_body.name_en}"
    assert told_in_french.subject == f"Fidji a rejoint {network_body.name_fr}"
    assert "Note from Colin Coordinator: Welcome aboard" in told.body
    assert "Note de Colin Coordinator\u00a0: Welcome aboard" in told_in_french.body
    assert f"http://testserver/bodies/{key}" in told.body
    assert mail_to(session, people.samoa) == []
    assert len(mail_to(session, people.coordinator)) == 1, "the coordinators are not told of their own decision"
    assert waiting_on_dashboard(coordinator.get("/dashboard").text) == []
    assert governance.memberships(session, body_id=network_body.id)[(network_body.id, fiji_state.id)].is_member


@pytest.mark.parametrize(("option", "key"), [("informal", "sme"), ("operational", "picp-group")])
def test_a_declined_withdrawal_is_told_without_a_note_line_when_there_is_no_note(
    session: Session, people: People, desk: Desk, portal: Portal, option: str, key: str
) -> None:
    settings = portal.run(option)
    network_body, fiji_state = body(session, key), state(session, "FJ")
    governance.record_membership(session, settings, user=people.coordinator, body=network_body, state=fiji_state)
    request = governance.request_membership(
        session, settings, user=people.fiji, body=network_body, state=fiji_state, action="withdraw"
    )
    [asked] = mail_to(session, people.coordinator)
    assert asked.subject == f"Fiji asks to withdraw from {network_body.name_en}"

    governance.decide(session, settings, user=people.coordinator, event_id=request.id, accept=False)

    [told] = mail_to(session, people.fiji)
    [told_in_french] = mail_to(session, desk.french_fiji)
    assert told.subject == f"{network_body.name_en}: the request of Fiji to withdraw is declined"
    assert told_in_french.subject == f"{network_body.name_fr} : la demande de retrait de Fidji est refusée"
    assert "Note from" not in told.body and "Note de" not in told_in_french.body
    assert "Fiji remains a member" in told.body


def test_a_refused_request_queues_no_email(session: Session, people: People, desk: Desk, portal: Portal) -> None:
    settings = portal.run("informal")
    sme, fiji_state = body(session, "sme"), state(session, "FJ")
    governance.request_membership(session, settings, user=people.fiji, body=sme, state=fiji_state, action="join")
    before = len(mail_to(session, people.coordinator))

    with pytest.raises(Conflict):
        governance.request_membership(session, settings, user=people.fiji, body=sme, state=fiji_state, action="join")

    assert len(mail_to(session, people.coordinator)) == before


def test_without_an_active_coordinator_the_admins_are_told(session: Session, people: People, portal: Portal) -> None:
    settings = portal.run("informal")
    for coordinator in session.exec(select(User).where(User.role == "coordinator")).all():
        coordinator.is_active = False
        session.add(coordinator)
    session.commit()

    governance.request_membership(
        session, settings, user=people.fiji, body=body(session, "sme"), state=state(session, "FJ"), action="join"
    )

    [told] = mail_to(session, people.admin)
    assert told.subject == "Fiji asks to join Quarterly subject-matter-expert meeting"
