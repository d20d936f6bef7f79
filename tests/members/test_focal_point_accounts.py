"""One record of who acts for a state: an active focal-point account of a state is that state's focal point on every
page, however the account was opened; inviting an address that has an account says what it is and what can be done."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.auth import service as accounts
from app.auth.models import OneTimeToken, User
from app.members.models import FocalPoint
from app.outbox.models import OutboxMessage
from tests.factories import make_user, soup, state
from tests.members.conftest import People, alert, post_form, rows_of

NEW_PASSWORD = "breadfruit canoe trade winds"


def listed_focal_points(html: str, heading: str = "fp-heading") -> list[str]:
    """The focal points a state page (or a brief, with heading b-focal) lists, one line each."""
    section = soup(html).find(id=heading).find_parent("section")
    return [
        " ".join((li.p or li).get_text(" ", strip=True).split())
        for li in section.find("ul").find_all("li", recursive=False)
    ]


@pytest.fixture
def admin(session: Session) -> User:
    return make_user(session, role="admin", display_name="Ana Admin", password=None)


def open_account(browser: TestClient, session: Session, code: str, email: str, name: str) -> User:
    response = post_form(
        browser,
        "/admin/users",
        "/admin/users",
        email=email,
        display_name=name,
        role="focal_point",
        member_state_id=str(state(session, code).id),
    )
    assert response.status_code == 303, alert(response.text)
    return session.exec(select(User).where(User.email == email)).one()


def mail_to(session: Session, email: str) -> list[OutboxMessage]:
    session.expire_all()
    return list(
        session.exec(
            select(OutboxMessage).where(OutboxMessage.recipient == email).order_by(col(OutboxMessage.id))
        ).all()
    )


def link_in(message: OutboxMessage, prefix: str) -> str:
    found = re.search(r"http://testserver(" + re.escape(prefix) + r"[\w-]+)", message.body)
    assert found is not None, message.body
    return found.group(1)


# One record of who acts for a state


def test_a_focal_point_opened_by_an_admin_is_listed_on_the_state_page_and_the_brief(
    session: Session, people: People, admin: User, browser_for: Callable[..., Any]
) -> None:
    open_account(browser_for(admin), session, "TO", "sione@police.example.to", "Sione Tuipulotu")

    for reader in (people.coordinator, people.observer, people.fiji):
        browser = browser_for(reader)
        page = browser.get("/members/TO").text
        brief = browser.get("/members/TO/brief").text
        [line] = listed_focal_points(page)
        assert line.startswith("Sione Tuipulotu sione@police.example.to · "), reader.role
        assert listed_focal_points(brief, "b-focal") == ["Sione Tuipulotu · sione@police.example.to"], reader.role


def test_only_active_focal_point_accounts_of_the_state_are_listed(
    session: Session, people: People, admin: User, browser_for: Callable[..., Any]
) -> None:
    fiji_state = state(session, "FJ")
    make_user(session, role="observer", display_name="Fiji Observer", member_state_id=fiji_state.id, password=None)
    gone = make_user(session, role="focal_point", display_name="Gone Focal", member_state_id=fiji_state.id)
    accounts.set_active(session, user=gone, active=False, actor_id=admin.id)

    page = browser_for(people.coordinator).get("/members/FJ").text

    assert [line.split(" ")[:2] for line in listed_focal_points(page)] == [["Fiji", "Focal"]]


def test_a_focal_point_without_details_gives_their_portfolio_and_contact(
    session: Session, people: People, admin: User, browser_for: Callable[..., Any]
) -> None:
    sione = open_account(browser_for(admin), session, "TO", "sione@police.example.to", "Sione Tuipulotu")
    own = browser_for(sione)
    form = soup(own.get("/members/TO").text).find("form", action=f"/members/TO/focal-points/{sione.id}")
    assert form is not None, "the focal point may state their details"

    saved = post_form(
        own,
        "/members/TO",
        f"/members/TO/focal-points/{sione.id}",
        portfolio="police",
        position="Inspector",
        phone="+676 1",
    )

    assert saved.status_code == 303 and saved.headers["location"] == "/members/TO?notice=focal-point-saved"
    details = session.exec(select(FocalPoint).where(FocalPoint.user_id == sione.id)).one()
    assert (details.portfolio, details.position, details.phone) == ("police", "Inspector", "+676 1")
    assert listed_focal_points(own.get("/members/TO").text)[0].startswith(
        "Sione Tuipulotu — Police, Inspector sione@police.example.to · +676 1"
    )


def test_details_cannot_be_given_for_an_account_that_is_not_a_focal_point_of_the_state(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    coordinator = browser_for(people.coordinator)
    before = rows_of(session, FocalPoint)

    for code, account in (("WS", people.fiji), ("FJ", people.observer), ("FJ", people.coordinator)):
        refused = post_form(
            coordinator, f"/members/{code}", f"/members/{code}/focal-points/{account.id}", portfolio="police"
        )
        assert refused.status_code == 404, (code, account.role)

    assert rows_of(session, FocalPoint) == before


# Inviting an address that has an account


def invite(browser: TestClient, code: str, email: str, **changes: str) -> Any:
    fields = {"email": email, "display_name": "Mere Vakacegu", "portfolio": "police", "language": "en", **changes}
    return post_form(browser, f"/members/{code}", f"/members/{code}/focal-points", **fields)


def test_inviting_a_focal_point_who_has_not_accepted_yet_offers_to_send_the_invitation_again(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    coordinator = browser_for(people.coordinator)
    assert invite(coordinator, "FJ", "mere@police.example.fj").status_code == 303
    mere = session.exec(select(User).where(User.email == "mere@police.example.fj")).one()
    [first] = mail_to(session, mere.email)
    before = [rows_of(session, model) for model in (User, FocalPoint)]

    again = invite(coordinator, "FJ", "Mere@Police.example.fj ")

    assert again.status_code == 409
    assert alert(again.text) == (
        "Mere Vakacegu (mere@police.example.fj) is already invited as a focal point of Fiji and has not accepted "
        "the invitation yet. You can send the invitation again."
    )
    resend = soup(again.text).find("form", action=f"/members/FJ/focal-points/{mere.id}/invitation")
    assert resend is not None and resend.find("button").get_text(strip=True) == "Send the invitation again"
    assert [rows_of(session, model) for model in (User, FocalPoint)] == before
    assert len(mail_to(session, mere.email)) == 1

    sent = post_form(coordinator, "/members/FJ", f"/members/FJ/focal-points/{mere.id}/invitation")

    assert sent.status_code == 303 and sent.headers["location"] == "/members/FJ?notice=invitation-resent"
    notice = soup(coordinator.get(sent.headers["location"]).text).find(attrs={"role": "status"})
    assert notice.get_text(strip=True) == "The invitation has been sent again."
    old, new = mail_to(session, mere.email)
    assert old.id == first.id and new.subject == first.subject
    invitee = browser_for(None)
    assert invitee.get(link_in(old, "/invitations/")).status_code == 400, "the first link stops working"
    new_link = link_in(new, "/invitations/")
    accepted = post_form(invitee, new_link, new_link, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert accepted.status_code == 303


def test_inviting_a_focal_point_who_has_accepted_says_they_can_sign_in(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    browser_for(people.fiji)  # Fiji's focal point has signed in.
    coordinator = browser_for(people.coordinator)
    before = len(mail_to(session, people.fiji.email))

    again = invite(coordinator, "FJ", people.fiji.email)

    assert again.status_code == 409
    assert alert(again.text) == (
        f"Fiji Focal ({people.fiji.email}) is already a focal point of Fiji and can sign in. If the password is "
        "forgotten, “Forgot your password?” on the sign-in page sends a new link."
    )
    assert soup(again.text).find("form", action=re.compile(r"/invitation$")) is None
    assert len(mail_to(session, people.fiji.email)) == before


@pytest.mark.parametrize(
    ("who", "message"),
    [
        (
            "samoa",
            "An account with this email address exists already: Samoa Focal, focal point of Samoa. An admin can "
            "change its state or role on the accounts page.",
        ),
        (
            "observer",
            "An account with this email address exists already: Olive Observer, Observer. An admin can change its "
            "state or role on the accounts page.",
        ),
        (
            "former",
            "An account with this email address exists already, but it is deactivated. An admin can reactivate it "
            "on the accounts page.",
        ),
    ],
)
def test_inviting_an_address_whose_account_is_elsewhere_says_what_it_is(
    session: Session, people: People, browser_for: Callable[..., Any], who: str, message: str
) -> None:
    if who == "former":
        former = make_user(session, role="focal_point", display_name="Former", member_state_id=state(session).id)
        former.is_active = False
        session.add(former)
        session.commit()
        email = former.email
    else:
        email = getattr(people, who).email
    coordinator = browser_for(people.coordinator)
    before = [rows_of(session, model) for model in (User, FocalPoint, OneTimeToken, OutboxMessage)]

    again = invite(coordinator, "FJ", email)

    assert again.status_code == 409
    assert alert(again.text) == message
    assert [rows_of(session, model) for model in (User, FocalPoint, OneTimeToken, OutboxMessage)] == before


def test_the_message_names_the_other_state_in_the_readers_language(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    coordinator = browser_for(people.coordinator)
    coordinator.cookies.set("prcn_lang", "fr")
    people.coordinator.language = "fr"
    session.add(people.coordinator)
    session.commit()

    again = invite(coordinator, "FJ", people.samoa.email)

    assert "Samoa Focal, point focal de Samoa" in alert(again.text)


@pytest.mark.parametrize("who", ["accepted", "other state"])
def test_the_invitation_is_sent_again_only_to_a_focal_point_of_the_state_who_has_not_accepted(
    session: Session, people: People, browser_for: Callable[..., Any], who: str
) -> None:
    account = people.fiji if who == "accepted" else people.samoa
    if who == "accepted":
        account.password_hash = "set"
        session.add(account)
        session.commit()
    coordinator = browser_for(people.coordinator)
    before = [rows_of(session, model) for model in (OneTimeToken, OutboxMessage)]

    refused = post_form(coordinator, "/members/FJ", f"/members/FJ/focal-points/{account.id}/invitation")

    assert refused.status_code == (409 if who == "accepted" else 404)
    assert [rows_of(session, model) for model in (OneTimeToken, OutboxMessage)] == before
