"""The weekly digest: what changed for the person, at their day and hour; none when empty; one-click unsubscribe."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.governance import service as governance
from app.governance.models import Body
from app.library.models import LibraryDocument
from app.notifications.models import Notification
from app.training.models import OfferEvent
from tests.factories import soup, state
from tests.notifications.helpers import action_item, deliver, invite, meeting, person, received, subject, text_of
from tests.notifications.test_reminders import offer, travel
from tests.outbox.conftest import SmtpServer


def test_a_weekly_digest_arrives_on_monday_morning_with_what_changed_and_one_click_stops_the_next(
    client: Any, session: Session, smtp: SmtpServer
) -> None:
    fiji = person(session, code="FJ", zone="Pacific/Fiji")
    quiet = person(session, role="observer", zone="Pacific/Honolulu")
    older = meeting(session, starts_at=datetime(2027, 2, 20, 22, tzinfo=UTC), title_en="Heads of operations")
    older.summary = "We met."
    older.summary_published_at = datetime(2027, 3, 4, tzinfo=UTC)
    session.add(older)
    new = meeting(
        session,
        starts_at=datetime(2027, 4, 20, 22, tzinfo=UTC),
        created_at=datetime(2027, 3, 3, tzinfo=UTC),
        title_en="Women in peacekeeping",
    )
    invite(session, older, fiji)
    invite(session, new, fiji)
    course = offer(session, deadline=date(2027, 4, 1))
    session.add(OfferEvent(offer_id=course.id, status="published", at=datetime(2027, 3, 5, tzinfo=UTC)))
    action_item(session, older, code="FJ", due_on=date(2027, 3, 12))
    session.commit()

    # Monday 8 March, 08:00 in Fiji, is 20:00 UTC on Sunday 7 March.
    travel(session, datetime(2027, 3, 7, 12, tzinfo=UTC), datetime(2027, 3, 8, 6, tzinfo=UTC))
    deliver(session, smtp)

    digests = [m for m in received(smtp, fiji) if subject(m).startswith("What changed")]
    assert len(digests) == 1
    (weekly,) = digests
    assert subject(weekly) == "What changed on Pacific peacekeeping network, 1 Mar 2027 – 8 Mar 2027"
    body = text_of(weekly)
    for expected in (
        "New meetings you are invited to:\nWomen in peacekeeping:",
        "Minutes and summaries published:\nHeads of operations:",
        "New training offers open to your state:\nMaritime boarding officers course:",
        "12 Mar 2027 · Share the patrol schedule with the secretariat",
    ):
        assert expected in body
    note = session.exec(
        select(Notification).where(
            Notification.kind == "digest", Notification.user_id == fiji.id, Notification.outcome == "queued"
        )
    ).one()
    assert note.decided_at.astimezone(ZoneInfo("Pacific/Fiji")).replace(tzinfo=None) == datetime(2027, 3, 8, 8)
    # Nothing concerned the observer: no digest for them.
    assert received(smtp, quiet) == []

    assert weekly["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(weekly["List-Unsubscribe"]).strip().strip("<>")
    assert link in body
    path = link.removeprefix(link.split("/unsubscribe/")[0])
    # What a mail client does (RFC 8058): a POST without cookie or CSRF token.
    client.cookies.clear()
    stopped = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert stopped.status_code == 200
    assert "The digest is stopped" in soup(stopped.text).h1.get_text()

    travel(session, datetime(2027, 3, 14, 12, tzinfo=UTC), datetime(2027, 3, 15, 6, tzinfo=UTC), timedelta(hours=2))
    deliver(session, smtp)
    assert len([m for m in received(smtp, fiji) if subject(m).startswith("What changed")]) == 1


def test_the_unsubscribe_page_asks_first_and_a_forged_link_changes_nothing(client: Any, session: Session) -> None:
    from app.notifications.digest import unsubscribe_token

    fiji = person(session, code="FJ", zone="Pacific/Fiji", language="fr")
    token = unsubscribe_token(fiji.id or 0)
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200
    form = soup(page.text).select_one(f'form[action="/unsubscribe/{token}"]')
    assert form is not None and form.get("method") == "post"
    assert fiji.email in page.text

    for forged in (f"{fiji.id}-{'0' * 32}", f"{(fiji.id or 0) + 1}-{token.split('-')[1]}", "x" * 200, "abc"):
        assert client.get(f"/unsubscribe/{forged}").status_code == 404
        assert client.post(f"/unsubscribe/{forged}").status_code == 404
    assert session.exec(select(Notification).where(col(Notification.user_id) == fiji.id)).first() is None


def test_the_digest_lists_new_library_documents_only_to_those_who_may_read_them(
    session: Session, smtp: SmtpServer
) -> None:
    fiji = person(session, code="FJ", zone="Pacific/Fiji")
    watcher = person(session, role="observer", zone="Pacific/Fiji")
    coordinator = person(session, role="coordinator", zone="Pacific/Fiji")
    # A body Fiji is not a member of: its documents are for its members and the coordinators.
    body = session.exec(select(Body).where(Body.key == "sme")).one()
    assert not governance.memberships(session, body_id=body.id, state_id=state(session, "FJ").id)
    shared = datetime(2027, 3, 4, tzinfo=UTC)
    for title, access, body_id, withdrawn in (
        ("Public guidance on maritime patrols", "public", None, None),
        ("Members' lessons from the Bougainville mission", "members", None, None),
        ("Body-only training curriculum", "body", body.id, None),
        ("Withdrawn draft", "public", None, shared),
    ):
        session.add(
            LibraryDocument(
                title=title,
                kind="guidance_note",
                language="en",
                access=access,
                body_id=body_id,
                filename="guide.pdf",
                media_type="application/pdf",
                size=100,
                sha256="1" * 64,
                uploaded_at=shared,
                withdrawn_at=withdrawn,
            )
        )
    session.commit()

    # Monday 8 March, 08:00 in Fiji.
    travel(session, datetime(2027, 3, 7, 12, tzinfo=UTC), datetime(2027, 3, 8, 6, tzinfo=UTC))
    deliver(session, smtp)

    def listed(user: Any) -> set[str]:
        (weekly,) = [m for m in received(smtp, user) if subject(m).startswith("What changed")]
        body_text = text_of(weekly)
        assert "New documents in the library:" in body_text
        return {
            title
            for title in (
                "Public guidance on maritime patrols",
                "Members' lessons from the Bougainville mission",
                "Body-only training curriculum",
                "Withdrawn draft",
            )
            if title in body_text
        }

    assert listed(watcher) == {"Public guidance on maritime patrols"}
    assert listed(fiji) == {"Public guidance on maritime patrols", "Members' lessons from the Bougainville mission"}
    assert listed(coordinator) == {
        "Public guidance on maritime patrols",
        "Members' lessons from the Bougainville mission",
        "Body-only training curriculum",
    }
