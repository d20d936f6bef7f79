"""Withdrawing a candidate and the trail every change to a nomination leaves: only the nominating state (or a
coordinator or admin) withdraws, the provider declines instead; who withdrew is told to those who need to know, in
their language; each change is in the audit log and in the nomination's history with who made it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.audit.models import AuditEntry
from app.auth.models import User
from app.core.config import get_settings
from app.core.errors import Forbidden
from app.outbox.models import OutboxMessage
from app.training import service
from app.training.models import Nomination, NominationEvent, TrainingOffer
from tests.factories import csrf_token, make_user, sign_in, soup, state
from tests.training.conftest import offer_form

TITLE = "SAAT preparation, Nadi"
PROVIDER_ONLY = (
    "Only the nominating state's focal points, coordinators and admins may withdraw a candidate; "
    "the provider declines instead."
)


def focal_point(session: Session, code: str, **fields: Any) -> User:
    return make_user(session, role="focal_point", member_state_id=state(session, code).id, password=None, **fields)


def put_forward(session: Session, offer: TrainingOffer, user: User, name: str, gender: str = "woman") -> Nomination:
    return service.nominate(session, user=user, offer=offer, form=service.CandidateForm(full_name=name, gender=gender))


def decide(session: Session, user: User, offer: TrainingOffer, *choices: tuple[Nomination, str]) -> None:
    """Applies the provider's (nomination, decision) choices; a decline gives a reason."""
    service.allocate(
        session,
        get_settings(),
        user=user,
        offer=offer,
        decisions={n.id or 0: d for n, d in choices},
        reasons={n.id or 0: "No seat for this rank" for n, d in choices if d == "declined"},
    )


def withdraw(session: Session, user: User, nomination: Nomination, offer: TrainingOffer) -> Nomination | None:
    return service.withdraw(session, get_settings(), user=user, nomination=nomination, offer=offer)


def new_mail(session: Session, since: int) -> list[OutboxMessage]:
    return list(
        session.exec(select(OutboxMessage).where(col(OutboxMessage.id) > since).order_by(col(OutboxMessage.id))).all()
    )


def last_mail_id(session: Session) -> int:
    return max((m.id or 0 for m in session.exec(select(OutboxMessage)).all()), default=0)


def trail(session: Session, *people: Nomination) -> list[tuple[str, str, int | None]]:
    """The audit log's entries on these nominations, oldest first: (action, nomination id, actor)."""
    entries = session.exec(
        select(AuditEntry)
        .where(AuditEntry.entity == "nomination", col(AuditEntry.entity_id).in_([str(p.id) for p in people]))
        .order_by(col(AuditEntry.id))
    ).all()
    return [(e.action, e.entity_id, e.actor_id) for e in entries]


# Who withdraws


def test_the_provider_cannot_withdraw_another_states_candidate_and_nothing_changes(
    session: Session, provider: User, published_offer: TrainingOffer
) -> None:
    samoa = focal_point(session, "WS")
    sina = put_forward(session, published_offer, samoa, "Sina Leota")
    decide(session, provider, published_offer, (sina, "accepted"))
    events, mail = len(service.history(session, sina)), last_mail_id(session)

    with pytest.raises(Forbidden) as refused:
        withdraw(session, provider, sina, published_offer)

    assert refused.value.message == PROVIDER_ONLY
    session.rollback()
    session.expire_all()
    assert session.get_one(Nomination, sina.id).status == "accepted"
    assert len(service.history(session, sina)) == events
    assert new_mail(session, mail) == []
    assert ("withdrawn", str(sina.id), provider.id) not in trail(session, sina)


def test_the_providing_states_focal_point_still_withdraws_its_own_states_candidate(
    session: Session, provider: User, published_offer: TrainingOffer
) -> None:
    """Fiji nominating to its own course is a nominating state like any other."""
    fijian = put_forward(session, published_offer, provider, "Litia Vosa")
    withdraw(session, provider, fijian, published_offer)
    session.expire_all()
    assert session.get_one(Nomination, fijian.id).status == "withdrawn"


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_a_coordinator_or_admin_withdraws_any_candidate_and_the_provider_and_the_state_are_told_in_their_language(
    session: Session, provider: User, published_offer: TrainingOffer, role: str
) -> None:
    samoa = focal_point(session, "WS", display_name="Samoa Desk")
    colleague = focal_point(session, "WS", language="fr", display_name="Bureau Samoa")
    sina = put_forward(session, published_offer, samoa, "Sina Leota")
    staff = make_user(session, role=role, password=None, display_name="Network Staff")
    mail = last_mail_id(session)

    withdraw(session, staff, sina, published_offer)

    told = {m.recipient: m for m in new_mail(session, mail)}
    assert set(told) == {provider.email, samoa.email, colleague.email}
    english, french = told[provider.email], told[colleague.email]
    assert english.subject == f"A candidate withdrawn from {TITLE}"
    assert "Network Staff has withdrawn one of the candidates Samoa nominated" in english.body
    assert french.subject == f"Un candidat retiré de {TITLE}"
    assert "Network Staff a retiré l’un des candidats proposés par Samoa" in french.body
    for message in told.values():
        assert "Sina" not in message.body and "Leota" not in message.body, "emails name no candidate"


def test_a_focal_point_who_withdraws_tells_the_provider_but_not_their_own_state(
    session: Session, published_offer: TrainingOffer
) -> None:
    fijian = focal_point(session, "FJ", language="fr", display_name="Bureau Fidji")
    samoa, colleague = focal_point(session, "WS", display_name="Samoa Desk"), focal_point(session, "WS")
    sina = put_forward(session, published_offer, samoa, "Sina Leota")
    mail = last_mail_id(session)

    withdraw(session, samoa, sina, published_offer)

    told = new_mail(session, mail)
    recipients = {m.recipient for m in told}
    assert fijian.email in recipients
    assert not recipients & {samoa.email, colleague.email}
    french = next(m for m in told if m.recipient == fijian.email)
    assert french.subject == f"Un candidat retiré de {TITLE}"
    assert "Samoa Desk a retiré" in french.body


def test_a_partner_organisations_course_tells_who_entered_it(session: Session) -> None:
    coordinator = make_user(session, role="coordinator", password=None)
    offer = service.create_offer(
        session, user=coordinator, form=offer_form(provider_state="", provider_organisation="Pacific Partners")
    )
    service.set_status(session, get_settings(), user=coordinator, offer=offer, status="published")
    samoa = focal_point(session, "WS")
    sina = put_forward(session, offer, samoa, "Sina Leota")
    mail = last_mail_id(session)
    withdraw(session, samoa, sina, offer)
    assert [m.recipient for m in new_mail(session, mail)] == [coordinator.email]


# The trail


def test_every_change_to_a_nomination_is_in_the_audit_log_with_who_made_it_and_no_personal_data(
    session: Session, provider: User, coordinator: User
) -> None:
    offer = service.create_offer(session, user=provider, form=offer_form(seats=2, seats_per_state=2))
    service.set_status(session, get_settings(), user=provider, offer=offer, status="published")
    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO")
    sina, tavita = put_forward(session, offer, samoa, "Sina Leota"), put_forward(session, offer, samoa, "Tavita", "man")
    mele, sione = put_forward(session, offer, tonga, "Mele Taufa"), put_forward(session, offer, tonga, "Sione", "man")
    service.move(session, user=samoa, nomination=tavita, offer=offer, up=True)
    decide(
        session, provider, offer, (sina, "accepted"), (mele, "accepted"), (tavita, "waitlisted"), (sione, "declined")
    )
    withdraw(session, coordinator, sina, offer)  # Tavita moves up from the waiting list
    service.set_status(session, get_settings(), user=provider, offer=offer, status="closed")
    offer.starts_on, offer.ends_on = date.today() - timedelta(days=8), date.today() - timedelta(days=4)
    offer.deadline_on = offer.starts_on - timedelta(days=10)
    session.add(offer)
    session.commit()
    service.record_outcomes(
        session, user=provider, offer=offer, outcomes={tavita.id or 0: ("passed", offer.ends_on.isoformat())}
    )
    service.erase(session, user=tonga, nomination=sione, offer=offer)

    assert trail(session, sina, tavita, mele, sione) == [
        ("nominated", str(sina.id), samoa.id),
        ("nominated", str(tavita.id), samoa.id),
        ("nominated", str(mele.id), tonga.id),
        ("nominated", str(sione.id), tonga.id),
        ("moved", str(tavita.id), samoa.id),
        ("moved", str(sina.id), samoa.id),
        ("accepted", str(sina.id), provider.id),
        ("accepted", str(mele.id), provider.id),
        ("waitlisted", str(tavita.id), provider.id),
        ("declined", str(sione.id), provider.id),
        ("withdrawn", str(sina.id), coordinator.id),
        ("promoted", str(tavita.id), coordinator.id),
        ("outcome", str(tavita.id), provider.id),
        ("erased", str(sione.id), tonga.id),
    ]
    entries = session.exec(select(AuditEntry).where(AuditEntry.entity == "nomination")).all()
    written = " ".join(f"{e.before} {e.after}" for e in entries)
    for private in ("Sina", "Tavita", "Mele", "Sione", "No seat for this rank"):
        assert private not in written
    moved = next(e for e in entries if e.action == "moved" and e.entity_id == str(tavita.id))
    assert (moved.before, moved.after) == ({"preference": 2}, {"preference": 1})
    withdrawn = next(e for e in entries if e.action == "withdrawn")
    assert (withdrawn.before, withdrawn.after) == ({"status": "accepted"}, {"status": "withdrawn"})


def test_the_nomination_history_names_who_made_each_change(
    client: Any, session: Session, provider: User, coordinator: User, published_offer: TrainingOffer
) -> None:
    samoa = focal_point(session, "WS", display_name="Samoa Desk")
    sina, tavita = (
        put_forward(session, published_offer, samoa, "Sina Leota"),
        put_forward(session, published_offer, samoa, "Tavita Faleolo", "man"),
    )
    service.move(session, user=samoa, nomination=tavita, offer=published_offer, up=True)
    decide(session, provider, published_offer, (sina, "accepted"))
    withdraw(session, coordinator, sina, published_offer)

    sign_in(client, session, samoa)
    page = soup(client.get(f"/training/nominations/{sina.id}").text)
    table = page.find("table")
    assert table is not None
    headers = [th.get_text(strip=True) for th in table.select("thead th")]
    rows = [[cell.get_text(strip=True) for cell in row.find_all(["th", "td"])] for row in table.select("tbody tr")]
    by = headers.index("By")
    assert [(row[1], row[by]) for row in rows] == [
        ("Waiting for a decision", "Samoa Desk"),
        ("Moved in the order of preference", "Samoa Desk"),
        ("Accepted", "Fiji Provider"),
        ("Withdrawn", "Network Coordinator"),
    ]


# Through the pages


def withdraw_buttons(html: str) -> list[str]:
    """The addresses of the withdraw forms on a page."""
    return [
        str(form["action"])
        for form in soup(html).find_all("form", attrs={"method": "post"})
        if str(form.get("action", "")).endswith("/withdraw")
    ]


def test_the_provider_sees_no_withdraw_control_for_other_states_candidates_and_a_forged_post_is_refused(
    client: Any, session: Session, provider: User, published_offer: TrainingOffer
) -> None:
    samoa = focal_point(session, "WS")
    sina = put_forward(session, published_offer, samoa, "Sina Leota")
    sign_in(client, session, provider)
    offer_page = client.get(f"/training/{published_offer.id}").text
    candidate_page = client.get(f"/training/nominations/{sina.id}").text
    assert withdraw_buttons(offer_page) == withdraw_buttons(candidate_page) == []
    mail, audited = last_mail_id(session), len(trail(session, sina))

    response = client.post(f"/training/nominations/{sina.id}/withdraw", data={"csrf_token": csrf_token(offer_page)})

    assert response.status_code == 403
    assert " ".join(soup(response.text).find(attrs={"role": "alert"}).get_text().split()) == PROVIDER_ONLY
    session.expire_all()
    assert session.get_one(Nomination, sina.id).status == "nominated"
    assert new_mail(session, mail) == [] and len(trail(session, sina)) == audited
    assert len(session.exec(select(NominationEvent).where(NominationEvent.nomination_id == sina.id)).all()) == 1


@pytest.mark.parametrize("who", ["samoa", "coordinator"])
def test_the_nominating_state_and_a_coordinator_withdraw_from_the_candidates_page(
    client: Any, session: Session, coordinator: User, published_offer: TrainingOffer, who: str
) -> None:
    samoa = focal_point(session, "WS")
    sina = put_forward(session, published_offer, samoa, "Sina Leota")
    sign_in(client, session, {"samoa": samoa, "coordinator": coordinator}[who])
    page = client.get(f"/training/nominations/{sina.id}").text
    assert withdraw_buttons(page) == [f"/training/nominations/{sina.id}/withdraw"]

    response = client.post(f"/training/nominations/{sina.id}/withdraw", data={"csrf_token": csrf_token(page)})

    assert response.status_code == 303
    session.expire_all()
    assert session.get_one(Nomination, sina.id).status == "withdrawn"
    assert withdraw_buttons(client.get(f"/training/nominations/{sina.id}").text) == [], "nothing left to withdraw"
