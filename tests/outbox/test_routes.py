"""The admin outbox pages: with no mail server configured, this is where the mail can be read."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.core.config import get_settings
from app.outbox import service as outbox
from app.outbox.models import OutboxMessage
from tests.factories import make_user, sign_in, soup

FRENCH_SUBJECT = "Votre compte sur le portail : réinitialisation"
FRENCH_BODY = "Bonjour Éloïse,\n\nOuvrez ce lien : http://testserver/auth/reset/abc\n\n<script>alert(1)</script>"


def queued(session: Session, **fields: Any) -> OutboxMessage:
    values = {"recipient": "eloise@example.org", "subject": FRENCH_SUBJECT, "body": FRENCH_BODY, **fields}
    message = outbox.queue(session, **values)
    session.commit()
    return message


def test_admin_reads_the_outbox_while_no_mail_server_is_configured(client: Any, session: Session) -> None:
    assert not get_settings().smtp_enabled
    message = queued(session)
    sent = queued(session, subject="Already delivered", recipient="sent@example.org")
    outbox.record_result(session, sent, None)
    sign_in(client, session, make_user(session, role="admin"))

    response = client.get("/admin/outbox")

    assert response.status_code == 200
    page = soup(response.text)
    assert "PRCN_SMTP_HOST" in page.select_one("p.notice").get_text()
    rows = {
        row.select("td")[2].get_text(strip=True): [cell.get_text(strip=True) for cell in row.select("td")]
        for row in page.find("caption", string="The newest messages").parent.select("tbody tr")
    }
    assert rows[FRENCH_SUBJECT][1] == "eloise@example.org"
    assert rows[FRENCH_SUBJECT][3] == "Pending"
    assert rows["Already delivered"][3] == "Sent"
    link = page.find("a", string=FRENCH_SUBJECT)
    assert link is not None and link["href"] == f"/admin/outbox/{message.id}"


def test_admin_reads_one_message_as_it_will_be_sent(client: Any, session: Session) -> None:
    message = queued(session)
    sign_in(client, session, make_user(session, role="admin"))

    response = client.get(f"/admin/outbox/{message.id}")

    assert response.status_code == 200
    page = soup(response.text)
    assert page.h1.get_text(strip=True) == FRENCH_SUBJECT
    assert page.select_one("pre.mail").get_text() == FRENCH_BODY
    facts = [item.get_text(strip=True) for item in page.select("dl.facts dd")]
    assert "eloise@example.org" in facts
    assert "Pending" in facts
    assert page.find("script", string="alert(1)") is None, "the body must be shown as text"


def test_reset_request_appears_in_the_outbox(client: Any, session: Session) -> None:
    """Without SMTP, an emailed reset link is readable by the admin instead of being lost."""
    user = make_user(session, role="observer")
    anonymous_page = client.get("/auth/reset")
    token = soup(anonymous_page.text).find("input", attrs={"name": "csrf_token"})["value"]
    assert client.post("/auth/reset", data={"email": user.email, "csrf_token": token}).status_code == 200

    sign_in(client, session, make_user(session, role="admin"))
    page = soup(client.get("/admin/outbox").text)
    link = page.find("a", string=lambda text: bool(text) and text.startswith("Reset your password"))
    assert link is not None
    detail = soup(client.get(link["href"]).text)
    assert "/auth/reset/" in detail.select_one("pre.mail").get_text()
    assert user.email in [item.get_text(strip=True) for item in detail.select("dl.facts dd")]


def test_unknown_message_is_not_found(client: Any, session: Session) -> None:
    sign_in(client, session, make_user(session, role="admin"))
    response = client.get("/admin/outbox/987654321")
    assert response.status_code == 404
    assert "No such message." in soup(response.text).get_text()


def test_other_roles_cannot_read_the_outbox(client: Any, session: Session) -> None:
    message = queued(session)
    for role in ("coordinator", "focal_point", "observer"):
        sign_in(client, session, make_user(session, role=role))
        for path in ("/admin/outbox", f"/admin/outbox/{message.id}"):
            response = client.get(path)
            assert response.status_code == 403, (role, path)
            assert FRENCH_BODY.splitlines()[0] not in response.text


def test_signed_out_visitor_is_sent_to_sign_in(client: Any, session: Session) -> None:
    message = queued(session)
    response = client.get(f"/admin/outbox/{message.id}")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/auth/sign-in?next=")


def test_the_admin_sees_why_a_message_failed(client: Any, session: Session) -> None:
    refused = queued(session, subject="Invitation", recipient="gone@example.org")
    outbox.record_result(session, refused, "SMTPRecipientsRefused: 550 5.1.1 No such mailbox", permanent=True)
    sign_in(client, session, make_user(session, role="admin"))

    row = soup(client.get("/admin/outbox").text).find("a", string="Invitation").find_parent("tr")

    state = row.select("td")[3].get_text(" ", strip=True)
    assert state.startswith("Failed") and "550 5.1.1 No such mailbox" in state


INVITATION = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//PRCN//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:meeting-1@testserver\r\n"
    "SUMMARY:Réunion <b>trimestrielle</b> & ʻAna\r\nDTSTART:20261205T020000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_admin_sees_the_calendar_file_attached_as_it_is_sent_and_can_read_it(client: Any, session: Session) -> None:
    message = queued(session, calendar=INVITATION)
    sign_in(client, session, make_user(session, role="admin"))

    page = soup(client.get(f"/admin/outbox/{message.id}").text)

    section = page.find("section", attrs={"aria-labelledby": "attachments-heading"})
    assert section is not None
    cells = [cell.get_text(strip=True) for cell in section.select("tbody tr > *")]
    assert cells == ["invite.ics", "text/calendar", "REQUEST", f"{len(INVITATION.encode())} bytes"]
    assert section.select_one("details summary").get_text(strip=True) == "Read invite.ics"
    assert section.select_one("details pre").get_text().replace("\r\n", "\n") == INVITATION.replace("\r\n", "\n")
    assert section.find("b") is None, "the file is shown as text"


def test_a_message_without_attachments_lists_none(client: Any, session: Session) -> None:
    message = queued(session)
    sign_in(client, session, make_user(session, role="admin", language="fr"))

    page = soup(client.get(f"/admin/outbox/{message.id}").text)

    assert page.find("section", attrs={"aria-labelledby": "attachments-heading"}) is None
