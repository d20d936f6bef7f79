"""Focal points: a coordinator invites one by email, the invitee accepts with a one-time link and a password, and
a focal point acts for their own state only."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app.auth.deps import SESSION_COOKIE
from app.auth.models import OneTimeToken, User, UserSession
from app.auth.passwords import verify_password
from app.core import clock, region
from app.core.config import get_settings
from app.members import service as members
from app.members.models import FocalPoint, MemberState, Pledge
from app.outbox.models import OutboxMessage
from tests.factories import make_user, page_csrf, soup, state
from tests.members.conftest import People, alert, post_form, rows_of

NEW_PASSWORD = "breadfruit canoe trade winds"
INVITEE = {
    "email": "mere.vakacegu@police.example.fj",
    "display_name": "Mere Vakacegu",
    "portfolio": "police",
    "position": "Inspector, peacekeeping desk",
    "phone": "+679 330 0000",
    "language": "fr",
    "time_zone": "Pacific/Fiji",
}
PORTFOLIO_LABELS = {"defence": "Defence", "police": "Police", "foreign_affairs": "Foreign affairs"}


def invite(coordinator: TestClient, code: str = "FJ", **changes: str) -> Any:
    return post_form(coordinator, f"/members/{code}", f"/members/{code}/focal-points", **{**INVITEE, **changes})


def account(session: Session, email: str) -> User | None:
    session.expire_all()
    return session.exec(select(User).where(User.email == email)).first()


def mail_to(session: Session, email: str) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.recipient == email)).all())


def invitation_path(message: OutboxMessage) -> str:
    """The path of the one-time link in an invitation email."""
    found = re.search(r"http://testserver(/invitations/[\w-]+)", message.body)
    assert found is not None, message.body
    return found.group(1)


def edit_forms(html: str) -> set[str]:
    """Where the page's POST forms go, the language switch and sign-out left out."""
    return {str(form["action"]) for form in soup(html).find_all("form", method="post")} - {
        "/language",
        "/auth/sign-out",
    }


def record_focal_point(session: Session, user: User, portfolio: str = "defence") -> FocalPoint:
    """The focal point details of an account made by the factory."""
    assert user.id is not None
    details = FocalPoint(user_id=user.id, portfolio=portfolio, position="Director", phone="+685 20 000")
    session.add(details)
    session.commit()
    return details


@pytest.fixture
def invited(session: Session, people: People, browser_for: Callable[..., Any]) -> tuple[User, str]:
    """An invitation sent by the coordinator through the page: the new account and the link's path."""
    response = invite(browser_for(people.coordinator))
    assert response.status_code == 303, alert(response.text)
    user = account(session, INVITEE["email"])
    assert user is not None
    return user, invitation_path(mail_to(session, INVITEE["email"])[0])


# Inviting


@pytest.mark.parametrize("portfolio", PORTFOLIO_LABELS)
def test_a_coordinator_invites_a_focal_point_with_portfolio_contact_zone_and_language(
    session: Session, people: People, browser_for: Callable[..., Any], portfolio: str
) -> None:
    coordinator = browser_for(people.coordinator)

    response = invite(coordinator, portfolio=portfolio)

    assert response.status_code == 303
    assert response.headers["location"] == "/members/FJ?notice=invited"
    page = coordinator.get(response.headers["location"]).text
    notice = soup(page).find(attrs={"role": "status"}).get_text(strip=True)
    assert notice == "The focal point has been invited by email."
    card = soup(page).find(id="fp-heading").find_parent("section").get_text(" ", strip=True)
    assert f"Mere Vakacegu — {PORTFOLIO_LABELS[portfolio]}, Inspector, peacekeeping desk" in card
    assert "+679 330 0000 · Suva, Fiji (UTC+12) · Français" in card
    user = account(session, INVITEE["email"])
    assert user is not None
    assert (user.role, user.member_state_id, user.language, user.time_zone, user.password_hash) == (
        "focal_point",
        state(session, "FJ").id,
        "fr",
        "Pacific/Fiji",
        None,
    )
    details = session.exec(select(FocalPoint).where(FocalPoint.user_id == user.id)).one()
    assert (details.portfolio, details.position, details.phone) == (
        portfolio,
        "Inspector, peacekeeping desk",
        "+679 330 0000",
    )


def test_the_invitation_email_is_in_the_invitees_language_with_a_one_time_link(
    session: Session, invited: tuple[User, str]
) -> None:
    messages = mail_to(session, INVITEE["email"])

    assert len(messages) == 1
    portal = region.load(get_settings().seeds_dir).short_name("fr")
    assert messages[0].subject == f"Invitation à agir comme point focal de Fidji sur {portal}"
    assert messages[0].status == "pending"
    body = " ".join(messages[0].body.split())
    assert body.startswith("Bonjour Mere Vakacegu,")
    assert f"point focal de Fidji sur {portal}" in body
    assert f"dans les {get_settings().signin_link_hours} heures" in body
    assert invited[1].startswith("/invitations/") and len(invited[1]) > len("/invitations/") + 30


def test_the_time_zone_defaults_to_the_states_first_one(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    response = invite(browser_for(people.coordinator), "KI", time_zone="", email="teuea@police.example.ki")

    assert response.status_code == 303
    invited = account(session, "teuea@police.example.ki")
    assert invited is not None
    assert invited.time_zone == state(session, "KI").time_zones[0]


WRONG_INVITATIONS = {
    "unknown portfolio": ({"portfolio": "navy"}, 400, "Choose a portfolio."),
    "unknown time zone": ({"time_zone": "Pacific/Atlantis"}, 400, "Choose a time zone from the list."),
    "not an email address": ({"email": "mere at police"}, 400, "Enter a valid email address."),
    "no name": ({"display_name": "  "}, 400, "Enter a name of 1 to 120 characters."),
    "email already used": (
        {"email": "taken@example.org"},
        409,
        "An account with this email address exists already: Taken Person, Observer. An admin can change its state "
        "or role on the accounts page.",
    ),
}


@pytest.mark.parametrize(("changes", "status", "message"), WRONG_INVITATIONS.values(), ids=WRONG_INVITATIONS.keys())
def test_a_wrong_invitation_is_refused_with_a_message_and_creates_nothing(
    session: Session,
    people: People,
    browser_for: Callable[..., Any],
    changes: dict[str, str],
    status: int,
    message: str,
) -> None:
    make_user(session, role="observer", email="taken@example.org", display_name="Taken Person", password=None)
    coordinator = browser_for(people.coordinator)
    before = [rows_of(session, model) for model in (User, FocalPoint, OutboxMessage, OneTimeToken)]

    response = invite(coordinator, **changes)

    assert response.status_code == status
    assert alert(response.text) == message
    assert soup(response.text).find("input", attrs={"name": "email"}) is not None, "the form is shown again"
    assert [rows_of(session, model) for model in (User, FocalPoint, OutboxMessage, OneTimeToken)] == before


@pytest.mark.parametrize("who", ["fiji", "observer"])
def test_only_coordinators_invite_focal_points(
    session: Session, people: People, browser_for: Callable[..., Any], who: str
) -> None:
    browser = browser_for(getattr(people, who))
    before = [rows_of(session, model) for model in (User, FocalPoint, OutboxMessage)]

    response = invite(browser)

    assert response.status_code == 403
    assert "Your role does not give access to this page." in soup(response.text).get_text()
    assert "/members/FJ/focal-points" not in edit_forms(browser.get("/members/FJ").text)
    assert [rows_of(session, model) for model in (User, FocalPoint, OutboxMessage)] == before


def test_the_account_and_its_invitation_email_are_committed_or_rolled_back_together(engine: Engine) -> None:
    connection = engine.connect()
    transaction = connection.begin()
    try:
        db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        coordinator = make_user(db, role="coordinator", password=None)
        members.invite_focal_point(
            db,
            get_settings(),
            user=coordinator,
            state=state(db, "FJ"),
            email="rolled.back@example.fj",
            display_name="Rolled Back",
            portfolio="defence",
        )
        assert account(db, "rolled.back@example.fj") is not None and len(mail_to(db, "rolled.back@example.fj")) == 1
        with Session(engine) as outside:
            assert account(outside, "rolled.back@example.fj") is None
            assert mail_to(outside, "rolled.back@example.fj") == []
        db.close()
    finally:
        transaction.rollback()
        connection.close()

    with Session(engine) as after:
        assert account(after, "rolled.back@example.fj") is None
        assert mail_to(after, "rolled.back@example.fj") == []


# Accepting


def test_the_invitee_chooses_a_password_and_is_signed_in_as_focal_point_of_that_state(
    session: Session, browser_for: Callable[..., Any], invited: tuple[User, str]
) -> None:
    user, link = invited
    invitee = browser_for(None)

    page = invitee.get(link)
    assert page.status_code == 200
    assert "Mere Vakacegu" in soup(page.text).find("main").get_text() and INVITEE["email"] in page.text

    accepted = post_form(invitee, link, link, password=NEW_PASSWORD, confirm=NEW_PASSWORD)

    assert accepted.status_code == 303 and accepted.headers["location"] == "/welcome?next=%2Fmembers%2FFJ"
    assert SESSION_COOKIE in accepted.cookies
    session.refresh(user)
    assert verify_password(NEW_PASSWORD, user.password_hash)
    own = invitee.get("/members/FJ").text
    assert {"/members/FJ/profile", "/members/FJ/contributions", "/members/FJ/pledges"} <= edit_forms(own)
    assert edit_forms(invitee.get("/members/WS").text) == set()
    assert "Point focal" in soup(invitee.get("/account").text).find("dl").get_text()


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short words", "short words", "The password must have at least 12 characters."),
        ("password123456", "password123456", "This password is too common or too easy to guess. Choose another one."),
        (
            "mere.vakacegu-2024",
            "mere.vakacegu-2024",
            "This password is too common or too easy to guess. Choose another one.",
        ),
        (NEW_PASSWORD, NEW_PASSWORD + "!", "The two passwords are not the same."),
    ],
    ids=["too short", "common", "contains the email", "not confirmed"],
)
def test_a_weak_password_is_refused_and_the_link_keeps_working(
    session: Session,
    browser_for: Callable[..., Any],
    invited: tuple[User, str],
    password: str,
    confirm: str,
    message: str,
) -> None:
    user, link = invited
    invitee = browser_for(None)
    invitee.cookies.set("prcn_lang", "en")

    refused = post_form(invitee, link, link, password=password, confirm=confirm)

    assert refused.status_code == 400
    assert alert(refused.text) == message
    assert SESSION_COOKIE not in refused.cookies
    session.refresh(user)
    assert user.password_hash is None
    assert post_form(invitee, link, link, password=NEW_PASSWORD, confirm=NEW_PASSWORD).status_code == 303


def test_a_used_invitation_link_is_refused_and_changes_nothing(
    session: Session, browser_for: Callable[..., Any], invited: tuple[User, str]
) -> None:
    user, link = invited
    assert post_form(browser_for(None), link, link, password=NEW_PASSWORD, confirm=NEW_PASSWORD).status_code == 303
    session.refresh(user)
    first_hash = user.password_hash
    sessions = session.exec(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)).one()
    stranger = browser_for(None)

    opened = stranger.get(link)
    again = stranger.post(
        link,
        data={
            "password": "another long passphrase",
            "confirm": "another long passphrase",
            "csrf_token": page_csrf(stranger, "/auth/sign-in"),
        },
    )

    message = "This link has been used already. Ask for a new one."
    assert (opened.status_code, again.status_code) == (400, 400)
    assert message in soup(opened.text).find("main").get_text(" ", strip=True)
    assert message in soup(again.text).find("main").get_text(" ", strip=True)
    assert SESSION_COOKIE not in again.cookies
    session.refresh(user)
    assert user.password_hash == first_hash
    assert (
        session.exec(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)).one()
        == sessions
    )


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "This link has expired. Ask for a new one."), ("fr", "Ce lien a expiré. Demandez-en un nouveau.")],
)
def test_an_expired_invitation_link_is_refused_and_changes_nothing(
    session: Session, browser_for: Callable[..., Any], invited: tuple[User, str], language: str, message: str
) -> None:
    user, link = invited
    token = session.exec(select(OneTimeToken).where(OneTimeToken.user_id == user.id)).one()
    token.expires_at = clock.now() - timedelta(minutes=1)
    session.add(token)
    session.commit()
    late = browser_for(None)
    late.cookies.set("prcn_lang", language)

    opened = late.get(link)
    tried = late.post(
        link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": page_csrf(late, "/auth/sign-in")}
    )

    assert (opened.status_code, tried.status_code) == (400, 400)
    assert message in soup(opened.text).find("main").get_text(" ", strip=True)
    assert message in soup(tried.text).find("main").get_text(" ", strip=True)
    session.refresh(user)
    session.refresh(token)
    assert (user.password_hash, token.used_at) == (None, None)
    assert SESSION_COOKIE not in tried.cookies


def test_the_invitation_page_speaks_the_invitees_language_until_the_visitor_chooses_one(
    session: Session, browser_for: Callable[..., Any], invited: tuple[User, str]
) -> None:
    _, link = invited
    invitee = browser_for(None)

    french = invitee.get(link, headers={"Accept-Language": "en"})
    refused = post_form(invitee, link, link, password="court", confirm="court")
    invitee.cookies.set("prcn_lang", "en")
    english = invitee.get(link)

    assert soup(french.text).html["lang"] == "fr"
    assert soup(french.text).h1.get_text(strip=True) == "Accepter l’invitation"
    assert alert(refused.text) == "Le mot de passe doit compter au moins 12 caractères."
    assert soup(english.text).h1.get_text(strip=True) == "Accept the invitation"


# Acting for one's own state only


def test_a_focal_point_edits_their_own_states_profile(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    fiji = browser_for(people.fiji)

    saved = post_form(fiji, "/members/FJ", "/members/FJ/profile", profile="  Police officers in UNMISS.  ")

    assert saved.status_code == 303 and saved.headers["location"] == "/members/FJ?notice=profile-saved"
    page = fiji.get("/members/FJ").text
    assert soup(page).find("p", class_="profile").get_text() == "Police officers in UNMISS."
    session.refresh(state(session, "FJ"))
    assert state(session, "FJ").edited_by == people.fiji.id


def test_a_focal_point_updates_their_own_portfolio_and_contact(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    details = record_focal_point(session, people.fiji)
    fiji = browser_for(people.fiji)

    saved = post_form(
        fiji,
        "/members/FJ",
        f"/members/FJ/focal-points/{people.fiji.id}",
        portfolio="foreign_affairs",
        position="Desk officer",
        phone="+679 1",
    )

    assert saved.status_code == 303
    session.refresh(details)
    assert (details.portfolio, details.position, details.phone) == ("foreign_affairs", "Desk officer", "+679 1")
    assert "Fiji Focal — Foreign affairs, Desk officer" in soup(fiji.get("/members/FJ").text).find(
        id="fp-heading"
    ).find_parent("section").get_text(" ", strip=True)


def test_a_focal_point_gets_403_for_another_states_profile_and_focal_points(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    record_focal_point(session, people.samoa)
    samoa_pledge = members.record_pledge(
        session,
        user=people.samoa,
        state=state(session, "WS"),
        capability="Formed police unit",
        category="formed_police_units",
        personnel=140,
        readiness="level_2",
        deployment_days=60,
    )
    tracked = (MemberState, FocalPoint, Pledge)
    before = [rows_of(session, model) for model in tracked]
    fiji = browser_for(people.fiji)
    token = page_csrf(fiji, "/members/FJ")

    attempts = {
        "/members/WS/profile": {"profile": "Taken over"},
        f"/members/WS/focal-points/{people.samoa.id}": {"portfolio": "police", "position": "Impostor", "phone": "0"},
        f"/members/WS/pledges/{samoa_pledge.id}/withdraw": {},
    }
    for target, fields in attempts.items():
        refused = fiji.post(target, data={"csrf_token": token, **fields})
        assert refused.status_code == 403, target
        assert "You can act only for your own state." in soup(refused.text).find("main").get_text(" ", strip=True)
    guessed = fiji.post(f"/members/FJ/pledges/{samoa_pledge.id}/withdraw", data={"csrf_token": token})

    assert guessed.status_code == 404
    assert edit_forms(fiji.get("/members/WS").text) == set()
    assert [rows_of(session, model) for model in tracked] == before


@pytest.mark.parametrize("who", ["observer", "anonymous"])
def test_observers_and_anonymous_visitors_cannot_edit_a_state(
    session: Session, people: People, browser_for: Callable[..., Any], who: str
) -> None:
    record_focal_point(session, people.fiji)
    visitor = browser_for(people.observer if who == "observer" else None)
    token = page_csrf(visitor, "/auth/sign-in" if who == "anonymous" else "/members/FJ")
    tracked = (MemberState, FocalPoint)
    before = [rows_of(session, model) for model in tracked]

    statuses = {
        visitor.post(target, data={"csrf_token": token, **fields}).status_code
        for target, fields in {
            "/members/FJ/profile": {"profile": "Not theirs"},
            f"/members/FJ/focal-points/{people.fiji.id}": {"portfolio": "police", "position": "", "phone": ""},
        }.items()
    }

    assert statuses == ({403} if who == "observer" else {401})
    if who == "observer":
        assert edit_forms(visitor.get("/members/FJ").text) == set()
    assert [rows_of(session, model) for model in tracked] == before


def test_a_state_page_offers_a_focal_point_only_their_own_states_records_and_unknown_ids_are_404(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    samoa_details = record_focal_point(session, people.samoa)
    record_focal_point(session, people.fiji)
    fiji = browser_for(people.fiji)
    page = fiji.get("/members/FJ").text

    assert f"/members/FJ/focal-points/{people.fiji.id}" in edit_forms(page)
    assert f"/members/FJ/focal-points/{people.samoa.id}" not in edit_forms(page)
    for account_id in (people.samoa.id, 999_999):
        missing = post_form(fiji, "/members/FJ", f"/members/FJ/focal-points/{account_id}", portfolio="police")
        assert missing.status_code == 404
    session.refresh(samoa_details)
    assert samoa_details.position == "Director"
