"""An admin corrects an account (name, email, role, state, organisation): validated like a new account, audited with
what it was and what it became, and a changed email or role signs the account out everywhere."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditEntry
from app.auth import service
from app.auth.models import User
from app.core.config import get_settings
from app.outbox.models import OutboxMessage
from tests.factories import alerts, make_user, page_csrf, sign_in, soup, state


def alert(html: str) -> str:
    box = soup(html).find(attrs={"role": "alert"})
    return box.get_text(" ", strip=True) if box else ""


@pytest.fixture
def admin(client: TestClient, session: Session) -> User:
    admin = make_user(session, role="admin", display_name="Ana Admin", password=None)
    sign_in(client, session, admin)
    return admin


@pytest.fixture
def fiji(session: Session) -> User:
    return make_user(session, role="focal_point", display_name="Litia Naivalu", email="litia@police.gov.fj")


def fields_of(account: User, **changes: Any) -> dict[str, str]:
    """The edit form as filled for the account, with some fields changed."""
    fields = {
        "email": account.email,
        "display_name": account.display_name,
        "role": account.role,
        "member_state_id": str(account.member_state_id or ""),
        "organisation": account.organisation,
    }
    return {**fields, **{key: str(value) for key, value in changes.items()}}


def save(client: TestClient, account: User, **changes: Any) -> Any:
    page = f"/admin/users/{account.id}"
    return client.post(page, data={"csrf_token": page_csrf(client, page), **fields_of(account, **changes)})


def signed_in_elsewhere(session: Session, account: User) -> str:
    return service.start_session(session, user=account, address="elsewhere", user_agent="pytest")


def still_signed_in(session: Session, token: str) -> bool:
    return service.load_visitor(session, get_settings(), token).user is not None


def sign_in_link(message: OutboxMessage) -> str:
    found = re.search(r"/auth/link/[\w-]+", message.body)
    assert found is not None, message.body
    return found.group(0)


def audit_entries(session: Session, account: User) -> list[AuditEntry]:
    return list(
        session.exec(
            select(AuditEntry)
            .where(AuditEntry.entity == "user", AuditEntry.entity_id == str(account.id), AuditEntry.action == "update")
            .order_by(col(AuditEntry.id))
        ).all()
    )


def test_the_account_list_links_each_account_to_its_edit_form(
    client: TestClient, session: Session, admin: User, fiji: User
) -> None:
    listing = soup(client.get("/admin/users").text)
    link = listing.find("a", href=f"/admin/users/{fiji.id}")
    assert link is not None and link.get_text(strip=True) == "Litia Naivalu"

    page = soup(client.get(f"/admin/users/{fiji.id}").text)

    form = page.find("form", action=f"/admin/users/{fiji.id}")
    assert form.find("input", attrs={"name": "email"})["value"] == "litia@police.gov.fj"
    assert form.find("input", attrs={"name": "display_name"})["value"] == "Litia Naivalu"
    assert form.select_one("select[name=role] option[selected]")["value"] == "focal_point"
    assert form.select_one("select[name=member_state_id] option[selected]")["value"] == str(state(session).id)
    assert form.find("input", attrs={"name": "csrf_token"}) is not None


def test_an_admin_corrects_name_state_and_organisation_and_the_audit_log_keeps_before_and_after(
    client: TestClient, session: Session, admin: User, fiji: User
) -> None:
    token = signed_in_elsewhere(session, fiji)
    samoa = state(session, "WS")

    saved = save(client, fiji, display_name="Litia Naivalu-Rabuka", member_state_id=samoa.id)

    assert saved.status_code == 303 and saved.headers["location"] == "/admin/users?notice=account-updated"
    session.refresh(fiji)
    assert (fiji.display_name, fiji.member_state_id) == ("Litia Naivalu-Rabuka", samoa.id)
    [entry] = audit_entries(session, fiji)
    assert entry.actor_id == admin.id
    assert entry.before == {
        "display_name": "Litia Naivalu",
        "member_state_id": state(session).id,
        "time_zone": "Pacific/Fiji",
    }
    assert entry.after == {
        "display_name": "Litia Naivalu-Rabuka",
        "member_state_id": samoa.id,
        "time_zone": "Pacific/Apia",
    }, "until its owner confirms a zone, the account keeps its state's"
    assert still_signed_in(session, token), "a new name or state does not sign the account out"


@pytest.mark.parametrize(
    ("changes", "before", "after"),
    [
        ({"email": " Litia.N@Police.gov.fj "}, {"email": "litia@police.gov.fj"}, {"email": "litia.n@police.gov.fj"}),
        (
            {"role": "observer", "member_state_id": "", "organisation": "Fiji Police Force"},
            {"role": "focal_point", "member_state_id": "FJ", "organisation": "", "time_zone": "Pacific/Fiji"},
            {"role": "observer", "member_state_id": None, "organisation": "Fiji Police Force", "time_zone": "UTC"},
        ),
    ],
    ids=["email", "role"],
)
def test_a_changed_email_or_role_ends_the_accounts_sessions(
    client: TestClient,
    session: Session,
    admin: User,
    fiji: User,
    changes: dict[str, str],
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    token = signed_in_elsewhere(session, fiji)
    fiji_id = state(session).id

    saved = save(client, fiji, **changes)

    assert saved.status_code == 303
    assert not still_signed_in(session, token)
    [entry] = audit_entries(session, fiji)
    as_ids = {key: fiji_id if value == "FJ" else value for key, value in before.items()}
    assert (entry.before, entry.after) == (as_ids, after)
    ended = session.exec(
        select(AuditEntry).where(AuditEntry.action == "end_sessions", AuditEntry.entity_id == str(fiji.id))
    ).all()
    assert [e.after for e in ended] == [{"sessions_ended": 1}]


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"email": "not an address"}, 400, "Enter a valid email address."),
        ({"display_name": " "}, 400, "Enter a name of 1 to 120 characters."),
        ({"role": "captain"}, 400, "Choose a role."),
        ({"member_state_id": ""}, 400, "A focal point must belong to a member state."),
        ({"member_state_id": "fiji"}, 400, "A focal point must belong to a member state."),
        ({"organisation": "x" * 121}, 400, "The organisation may have at most 120 characters."),
        ({"email": "taken@example.org"}, 409, "An account with this email address exists already: Taken, Observer."),
    ],
)
def test_a_wrong_correction_is_explained_keeps_what_was_typed_and_changes_nothing(
    client: TestClient,
    session: Session,
    admin: User,
    fiji: User,
    changes: dict[str, str],
    status: int,
    message: str,
) -> None:
    make_user(session, role="observer", email="taken@example.org", display_name="Taken")
    token = signed_in_elsewhere(session, fiji)
    before = fiji.model_dump()

    refused = save(client, fiji, **{"display_name": "Typed Name", **changes})

    assert refused.status_code == status
    assert alert(refused.text).startswith(message)
    form = soup(refused.text).find("form", action=f"/admin/users/{fiji.id}")
    typed = changes.get("display_name", "Typed Name")
    assert form.find("input", attrs={"name": "display_name"})["value"] == typed
    session.refresh(fiji)
    assert fiji.model_dump() == before and audit_entries(session, fiji) == []
    assert still_signed_in(session, token)


def test_a_correction_with_three_wrong_fields_is_refused_in_french_with_every_message_and_what_was_typed_kept(
    client: TestClient, session: Session, admin: User, fiji: User
) -> None:
    admin.language = "fr"
    session.add(admin)
    session.commit()
    before = fiji.model_dump()

    refused = save(client, fiji, email="litia at police", member_state_id="", organisation="o" * 121)

    assert refused.status_code == 400
    assert alerts(refused.text) == [
        "Saisissez une adresse électronique valide.",
        "Un point focal doit relever d’un État membre.",
        "L’organisation peut compter au plus 120 caractères.",
    ]
    form = soup(refused.text).find("form", action=f"/admin/users/{fiji.id}")
    assert form.find("input", attrs={"name": "email"})["value"] == "litia at police"
    assert form.find("input", attrs={"name": "display_name"})["value"] == "Litia Naivalu"
    session.refresh(fiji)
    assert fiji.model_dump() == before and audit_entries(session, fiji) == []


def test_a_new_account_with_three_wrong_fields_is_refused_with_every_message_and_what_was_typed_kept(
    client: TestClient, session: Session, admin: User
) -> None:
    page = "/admin/users"
    fields = {"email": "sione@example.org", "display_name": " ", "role": "chief", "organisation": "o" * 121}

    refused = client.post(page, data={"csrf_token": page_csrf(client, page), **fields})

    assert refused.status_code == 400
    assert alerts(refused.text) == [
        "Enter a name of 1 to 120 characters.",
        "Choose a role.",
        "The organisation may have at most 120 characters.",
    ]
    form = soup(refused.text).find("form", action="/admin/users")
    assert form.find("input", attrs={"name": "email"})["value"] == "sione@example.org"
    assert session.exec(select(User).where(User.email == "sione@example.org")).first() is None


def test_an_admin_cannot_change_their_own_role(client: TestClient, session: Session, admin: User) -> None:
    refused = save(client, admin, role="observer")

    assert refused.status_code == 400
    assert alert(refused.text) == "You cannot change your own role."
    session.refresh(admin)
    assert admin.role == "admin"


def test_an_unchanged_form_records_nothing(client: TestClient, session: Session, admin: User, fiji: User) -> None:
    token = signed_in_elsewhere(session, fiji)

    saved = save(client, fiji)

    assert saved.status_code == 303
    assert audit_entries(session, fiji) == [] and still_signed_in(session, token)


def test_an_unknown_account_is_404(client: TestClient, session: Session, admin: User) -> None:
    assert client.get("/admin/users/999999").status_code == 404


def test_an_admin_sends_the_sign_in_link_again_to_an_account_without_a_password(
    client: TestClient, session: Session, admin: User
) -> None:
    page = "/admin/users"
    created = client.post(
        page,
        data={
            "csrf_token": page_csrf(client, page),
            "email": "sione@police.example.to",
            "display_name": "Sione",
            "role": "observer",
            "organisation": "Tonga Police",
        },
    )
    assert created.status_code == 303
    sione = service.find_user_by_email(session, "sione@police.example.to")
    assert sione is not None

    again = client.post(
        page,
        data={
            "csrf_token": page_csrf(client, page),
            "email": "sione@police.example.to",
            "display_name": "Sione",
            "role": "observer",
        },
    )

    assert again.status_code == 409
    assert alert(again.text) == (
        "An account with this email address exists already: Sione, Observer. Open this account to correct it "
        "or to send its sign-in link again."
    )
    assert soup(again.text).find("main").find("a", href=f"/admin/users/{sione.id}") is not None
    account_page = soup(client.get(f"/admin/users/{sione.id}").text)
    assert account_page.find("form", action=f"/admin/users/{sione.id}/sign-in-link") is not None

    sent = client.post(
        f"/admin/users/{sione.id}/sign-in-link", data={"csrf_token": page_csrf(client, f"/admin/users/{sione.id}")}
    )

    assert sent.status_code == 303 and sent.headers["location"] == f"/admin/users/{sione.id}?notice=link-sent"
    first, second = session.exec(
        select(OutboxMessage).where(OutboxMessage.recipient == sione.email).order_by(col(OutboxMessage.id))
    ).all()
    assert client.get(sign_in_link(first)).status_code == 400, "the first link stops working"
    assert client.get(sign_in_link(second)).status_code == 200


def test_an_account_with_a_password_is_not_sent_a_sign_in_link(
    client: TestClient, session: Session, admin: User, fiji: User
) -> None:
    assert soup(client.get(f"/admin/users/{fiji.id}").text).find("form", action=re.compile("sign-in-link")) is None

    refused = client.post(
        f"/admin/users/{fiji.id}/sign-in-link", data={"csrf_token": page_csrf(client, f"/admin/users/{fiji.id}")}
    )

    assert refused.status_code == 409
    assert alert(refused.text) == (
        "The owner of this account has signed in or chosen a password already. If the password is forgotten, "
        "“Forgot your password?” on the sign-in page sends a new link."
    )
    assert session.exec(select(OutboxMessage).where(OutboxMessage.recipient == fiji.email)).all() == []
