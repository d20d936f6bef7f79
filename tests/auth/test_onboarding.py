"""A new account starts in its state's time zone, and at first sign-in its owner confirms time zone and language on
a small page they pass once; then they land on the dashboard, or on the page they asked for."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditEntry
from app.auth import service
from app.auth.models import User
from app.core.config import get_settings
from app.meetings import timing
from app.members import service as members
from app.outbox.models import OutboxMessage
from tests.factories import PASSWORD, csrf_token, make_user, page_csrf, sign_in, soup, state


def submit_sign_in(client: TestClient, user: User, next: str | None = None) -> Any:
    fields = {"email": user.email, "password": PASSWORD, "csrf_token": page_csrf(client, "/auth/sign-in")}
    return client.post("/auth/sign-in", data=fields if next is None else {**fields, "next": next})


def confirm(client: TestClient, location: str, **fields: str) -> Any:
    """Answers the welcome page found at `location`."""
    page = soup(client.get(location).text)
    form = page.find("form", action="/welcome")
    values = {field["name"]: field.get("value", "") for field in form.find_all("input")}
    values["language"] = form.select_one("select[name=language] option[selected]")["value"]
    return client.post("/welcome", data={**values, **fields})


def alert(html: str) -> str:
    box = soup(html).find(attrs={"role": "alert"})
    return box.get_text(" ", strip=True) if box else ""


# The time zone an account starts with


@pytest.mark.parametrize(
    ("code", "zone"), [("FJ", "Pacific/Fiji"), ("KI", "Pacific/Tarawa"), ("NZ", "Pacific/Auckland")]
)
def test_a_new_focal_point_starts_in_the_zone_of_their_states_capital(session: Session, code: str, zone: str) -> None:
    opened = service.create_user(
        session,
        email=f"focal.{code.lower()}@example.org",
        display_name="New Focal",
        role="focal_point",
        member_state_id=state(session, code).id,
        actor_id=None,
    )

    assert opened.time_zone == zone
    assert opened.preferences_confirmed_at is None


def test_a_focal_point_opened_on_the_admins_page_sees_a_suva_meeting_on_its_suva_day(
    client: TestClient, session: Session
) -> None:
    admin = make_user(session, role="admin", password=None)
    sign_in(client, session, admin)
    fields = {
        "email": "litia@police.gov.fj",
        "display_name": "Litia",
        "role": "focal_point",
        "member_state_id": str(state(session, "FJ").id),
    }
    client.post("/admin/users", data={"csrf_token": page_csrf(client, "/admin/users"), **fields})
    litia = service.find_user_by_email(session, "litia@police.gov.fj")
    assert litia is not None

    # 09:00 on Tuesday, 13 July 2027 in Suva is still Monday 12 July in UTC.
    meeting_at = datetime(2027, 7, 12, 21, 0, tzinfo=UTC)
    assert timing.describe(meeting_at, litia.time_zone, "en").startswith("Tuesday, 13 July 2027, 09:00")


@pytest.mark.parametrize("role", ["coordinator", "observer", "admin"])
def test_accounts_without_a_state_start_at_utc(session: Session, role: str) -> None:
    assert make_user(session, role=role).time_zone == "UTC"


def test_the_zone_follows_a_corrected_state_until_its_owner_confirms_it(session: Session) -> None:
    admin = make_user(session, role="admin")
    focal = make_user(session, role="focal_point", member_state_id=state(session, "FJ").id)
    fields = {"email": focal.email, "display_name": focal.display_name, "role": "focal_point", "organisation": ""}

    service.update_account(session, user=focal, actor_id=admin.id, member_state_id=state(session, "WS").id, **fields)
    assert focal.time_zone == "Pacific/Apia"

    service.confirm_preferences(session, user=focal, language="en", time_zone="Pacific/Auckland")
    service.update_account(session, user=focal, actor_id=admin.id, member_state_id=state(session, "TO").id, **fields)
    assert focal.time_zone == "Pacific/Auckland", "a confirmed zone is the person's choice"


# Signing in for the first time


def test_the_first_sign_in_asks_for_the_zone_and_language_once_then_lands_on_the_dashboard(
    client: TestClient, session: Session
) -> None:
    focal = make_user(session, role="focal_point", display_name="Litia", member_state_id=state(session, "FJ").id)

    first = submit_sign_in(client, focal)

    assert first.status_code == 303 and first.headers["location"] == "/welcome?next=%2Fdashboard"
    page = soup(client.get(first.headers["location"]).text)
    assert "You act for Fiji." in page.find("main").get_text(" ", strip=True)
    form = page.find("form", action="/welcome")
    assert form.find("input", attrs={"name": "time_zone"})["value"] == "Pacific/Fiji"
    assert form.select_one("select[name=language] option[selected]")["value"] == "en"
    assert form.find("input", attrs={"name": "csrf_token"}) is not None

    confirmed = confirm(client, first.headers["location"], language="fr")

    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/dashboard"
    assert "prcn_lang=fr" in confirmed.headers["set-cookie"]
    session.refresh(focal)
    assert (focal.language, focal.time_zone) == ("fr", "Pacific/Fiji")
    assert focal.preferences_confirmed_at is not None
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "confirm_preferences").order_by(col(AuditEntry.id).desc())
    ).first()
    assert entry is not None and entry.entity_id == str(focal.id)
    assert entry.after == {"language": "fr", "time_zone": "Pacific/Fiji"}

    client.cookies.clear()
    again = submit_sign_in(client, focal)
    assert again.status_code == 303 and again.headers["location"] == "/dashboard"


@pytest.mark.parametrize("confirmed", [False, True], ids=["first-sign-in", "later-sign-in"])
def test_a_page_asked_for_before_signing_in_is_where_the_person_lands(
    client: TestClient, session: Session, confirmed: bool
) -> None:
    observer = make_user(session, role="observer")
    if confirmed:
        service.confirm_preferences(session, user=observer, language="en", time_zone="UTC")

    response = submit_sign_in(client, observer, next="/meetings?view=past")

    if confirmed:
        assert response.headers["location"] == "/meetings?view=past"
    else:
        assert response.headers["location"] == "/welcome?next=%2Fmeetings%3Fview%3Dpast"
        assert confirm(client, response.headers["location"]).headers["location"] == "/meetings?view=past"


def test_the_welcome_page_refuses_an_unknown_zone_and_another_sites_address(
    client: TestClient, session: Session
) -> None:
    observer = make_user(session, role="observer", display_name="Olga", organisation="UN DPO")
    sign_in(client, session, observer)

    refused = confirm(client, "/welcome?next=%2Fdashboard", time_zone="Pacific/Atlantis")

    assert refused.status_code == 400
    assert alert(refused.text) == "Choose a time zone from the list."
    assert soup(refused.text).find("input", attrs={"name": "time_zone"})["value"] == "Pacific/Atlantis"
    session.refresh(observer)
    assert observer.preferences_confirmed_at is None and observer.time_zone == "UTC"
    assert "You act for" not in soup(refused.text).find("main").get_text()
    away = confirm(client, "/welcome?next=//attacker.example/steal", time_zone="Pacific/Noumea")
    assert away.headers["location"] == "/dashboard"


def test_a_one_time_link_and_an_invitation_go_through_the_welcome_page(client: TestClient, session: Session) -> None:
    observer = make_user(session, role="observer", password=None)
    link = service.sign_in_link(session, get_settings(), user=observer).removeprefix("http://testserver")
    used = client.post(link, data={"csrf_token": csrf_token(client.get(link).text)})
    assert used.headers["location"] == "/welcome?next=%2Faccount%3Fnotice%3Dset-password"

    client.cookies.clear()
    coordinator = make_user(session, role="coordinator")
    invited = members.invite_focal_point(
        session,
        get_settings(),
        user=coordinator,
        state=state(session, "TO"),
        email="sione@police.example.to",
        display_name="Sione",
        portfolio="police",
    )
    assert invited.time_zone == "Pacific/Tongatapu"
    [invitation] = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == invited.email)).all()
    found = re.search(r"/invitations/[\w-]+", invitation.body)
    assert found is not None
    page = client.get(found.group(0))
    accepted = client.post(
        found.group(0),
        data={"csrf_token": csrf_token(page.text), "password": "breadfruit canoe", "confirm": "breadfruit canoe"},
    )
    assert accepted.headers["location"] == "/welcome?next=%2Fmembers%2FTO"


# What the account page says


@pytest.mark.parametrize(
    ("role", "fields", "shown"),
    [
        ("focal_point", {"member_state_id": "FJ"}, {"Acts for": "Fiji"}),
        ("observer", {"organisation": "UN DPO"}, {"Organisation": "UN DPO"}),
        ("coordinator", {}, {}),
    ],
)
def test_the_account_page_says_for_which_state_or_organisation_the_person_acts(
    client: TestClient, session: Session, role: str, fields: dict[str, str], shown: dict[str, str]
) -> None:
    if "member_state_id" in fields:
        fields = {**fields, "member_state_id": state(session, fields["member_state_id"]).id}
    account = make_user(session, role=role, **fields)
    sign_in(client, session, account)

    facts = soup(client.get("/account").text).find("dl", class_="facts")

    terms = [dt.get_text(strip=True) for dt in facts.find_all("dt")]
    values = dict(zip(terms, [dd.get_text(strip=True) for dd in facts.find_all("dd")], strict=True))
    assert terms[:3] == ["Name", "Email address", "Role"]
    assert {key: value for key, value in values.items() if key not in ("Name", "Email address", "Role")} == shown
