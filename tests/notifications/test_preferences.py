"""The account page's email choices: reminders on or off, the digest's frequency, day and hour."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from app.notifications.models import NotificationPreference
from tests.factories import csrf_token, make_user, sign_in, soup


def choices(html: str) -> dict[str, Any]:
    page = soup(html)
    return {
        "on": sorted(str(box["value"]) for box in page.select('input[name="reminders"][checked]')),
        "digest": str(page.select_one("#f-digest option[selected]")["value"]),
        "weekday": page.select_one("#f-weekday option[selected]").get_text(strip=True),
        "hour": page.select_one("#f-hour option[selected]").get_text(strip=True),
    }


def test_a_focal_point_turns_a_reminder_off_and_chooses_a_daily_digest(client: Any, session: Session) -> None:
    user = make_user(session)
    sign_in(client, session, user)
    page = client.get("/account")
    assert choices(page.text) == {
        "on": ["action", "candidates", "meeting", "need", "nomination", "request", "review", "update"],
        "digest": "weekly",
        "weekday": "Monday",
        "hour": "08:00",
    }

    saved = client.post(
        "/account/notifications",
        data={
            "csrf_token": csrf_token(page.text),
            "reminders": ["action", "candidates", "need", "nomination", "request", "review", "update"],
            "digest": "daily",
            "weekday": "4",
            "hour": "7",
        },
    )
    assert saved.status_code == 303
    again = client.get(saved.headers["location"])
    assert "Your email choices have been saved." in again.text
    assert choices(again.text) == {
        "on": ["action", "candidates", "need", "nomination", "request", "review", "update"],
        "digest": "daily",
        "weekday": "Friday",
        "hour": "07:00",
    }
    stored = session.exec(select(NotificationPreference).where(NotificationPreference.user_id == user.id)).one()
    assert stored.reminders_off == "meeting"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("digest", "hourly", "Choose how often the digest comes from the list."),
        ("hour", "25", "Choose the digest's hour from the list."),
        ("weekday", "monday", "Choose the digest's day from the list."),
        ("reminders", "invitations", "Choose reminders from the list."),
    ],
)
def test_a_choice_not_offered_is_refused_and_changes_nothing(
    client: Any, session: Session, field: str, value: str, message: str
) -> None:
    user = make_user(session)
    sign_in(client, session, user)
    page = client.get("/account")
    data = {"csrf_token": csrf_token(page.text), "digest": "never", "weekday": "0", "hour": "8", field: value}
    refused = client.post("/account/notifications", data=data)
    assert refused.status_code == 400
    assert message in soup(refused.text).get_text()
    assert session.exec(select(NotificationPreference).where(NotificationPreference.user_id == user.id)).first() is None


def test_the_choices_are_not_saved_without_the_form_token(client: Any, session: Session) -> None:
    user = make_user(session)
    sign_in(client, session, user)
    refused = client.post("/account/notifications", data={"digest": "never", "weekday": "0", "hour": "8"})
    assert refused.status_code == 403
    assert session.exec(select(NotificationPreference).where(NotificationPreference.user_id == user.id)).first() is None
