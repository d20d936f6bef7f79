"""Every form of the portal, sent generated hostile values by a signed-in user with a valid form token: empty, very
long, control characters and NUL, emoji and combining marks, huge numbers, far dates, ids of other states' rows.
Whatever is sent, the answer is never a server error, and a refused request changes no row.

`make test` runs a few examples per form with a fixed seed; `make fuzz` runs many (FUZZ_EXAMPLES)."""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

import pytest
from bs4 import Tag
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from app.auth.models import User
from app.core.config import get_settings
from app.governance import service as governance
from app.meetings import service as meetings
from app.training import service as training
from tests.factories import make_user, state
from tests.support.crawl import Crawler
from tests.support.portal import Portal

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
# Tables a refused request may still write to, by design: failed sign-ins are counted, sessions are touched.
WRITTEN_ON_REFUSAL = {"sign_in_failure", "user_session"}
NASTY = [
    "",
    "\x00",
    "a\x00b",
    "line\u2028separator",
    "tab\tand\r\nbreak",
    "e\u0301\u0301\u0301" * 40,
    "🌺🇫🇯" * 60,
    "x" * 20_000,
    "9" * 40,
    "-1",
    "0",
    "2147483648",
    "9223372036854775808",
    "1e309",
    "NaN",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "24:61",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "Pacific/Atlantis",
    "https://evil.example.org/",
]
VALUE = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=60),
    st.integers(min_value=-5, max_value=60).map(str),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
)


def world(session: Session, coordinator: User) -> None:
    """One of each thing forms act on: a working group, a meeting with an invitation, a course with a candidate."""
    settings = get_settings()
    fiji, samoa = state(session, "FJ"), state(session, "WS")
    governance.create_working_group(
        session,
        settings,
        user=coordinator,
        body_key="adhoc-network",
        name="Pre-deployment training",
        track="police",
        lead_state_id=fiji.id,
        mandate="",
        member_state_ids=[samoa.id],
    )
    meeting = meetings.create_meeting(
        session,
        settings,
        user=coordinator,
        form=meetings.MeetingForm(
            title="Quarterly SME meeting",
            day=(date.today() + timedelta(days=60)).isoformat(),
            start="10:00",
            duration=120,
            host_zone="Pacific/Fiji",
            format="virtual",
            link="https://meet.example.org/sme",
            body_key="sme",
        ),
    )
    meetings.invite(session, settings, user=coordinator, meeting=meeting, state_ids=[fiji.id, samoa.id])
    start = date.today() + timedelta(days=60)
    offer = training.create_offer(
        session,
        user=coordinator,
        form=training.OfferForm(
            title="Pre-deployment course",
            course_type="pre-deployment",
            track="police",
            starts_on=start.isoformat(),
            ends_on=(start + timedelta(days=4)).isoformat(),
            deadline_on=(start - timedelta(days=14)).isoformat(),
            seats=10,
            seats_per_state=2,
            languages=["en"],
            online=True,
            provider_state="WS",
            zone="Pacific/Apia",
        ),
    )
    training.set_status(session, settings, user=coordinator, offer=offer, status="published")


def rows(session: Session) -> dict[str, int]:
    """How many rows each table holds."""
    tables = [t.name for t in SQLModel.metadata.sorted_tables if t.name not in WRITTEN_ON_REFUSAL]
    query = " UNION ALL ".join(f"SELECT '{name}', count(*) FROM {name}" for name in tables)  # noqa: S608 - our tables
    return dict(session.execute(text(query)).all())  # type: ignore[arg-type]


def fields(form: Tag) -> list[tuple[str, str, list[str]]]:
    """Each named field of a form: its name, its current value and, for a list, its choices."""
    found = []
    for control in form.find_all(["input", "select", "textarea"]):
        name = control.get("name")
        if not name or control.get("type") in ("submit", "button", "file"):
            continue
        choices = [str(o.get("value", o.get_text())) for o in control.find_all("option")]
        found.append((str(name), str(control.get("value", "")), choices))
    return found


def fuzz(client: Any, session: Session, action: str, method: str, form: Tag, failures: list[str]) -> None:
    """Sends one form generated values, noting any server error and any refusal that changed rows."""
    known = fields(form)

    @settings(
        max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(data=st.data())
    def send(data: st.DataObject) -> None:
        sent = []
        for name, value, choices in known:
            pool = st.one_of(VALUE, st.sampled_from(choices)) if choices else VALUE
            sent.append((name, value if name == "csrf_token" else data.draw(pool, label=name)))
        before = rows(session)
        response = client.post(action, data=dict(sent)) if method == "post" else client.get(action, params=sent)
        if response.status_code >= 500:
            failures.append(f"{method.upper()} {action} {sent!r} → {response.status_code}")
        elif response.status_code >= 400 and rows(session) != before:
            failures.append(f"{method.upper()} {action} {sent!r} → {response.status_code} but rows changed")

    send()


@pytest.mark.parametrize("role", ["coordinator", "focal_point", "admin"])
def test_no_form_answers_a_server_error_or_half_saves_whatever_it_is_sent(
    role: str, portal: Portal, session: Session
) -> None:
    portal.run("adhoc")
    coordinator = make_user(session, role="coordinator", password=None)
    world(session, coordinator)
    extra: dict[str, Any] = {"member_state_id": state(session, "FJ").id} if role == "focal_point" else {}
    user = coordinator if role == "coordinator" else make_user(session, role=role, password=None, **extra)
    client = portal.client(user)
    walker = Crawler(client, skip=(f"/admin/users/{user.id}/", "/auth/"), send_forms=False, budget=400)
    walker.walk("/dashboard")
    forms = [(page, form) for page, form in walker.forms.values() if str(form.get("action", "")) != "/language"]
    assert len(forms) >= (10 if role == "admin" else 15), f"only {len(forms)} forms found"
    failures: list[str] = []

    for page, form in forms:
        fuzz(client, session, str(form.get("action") or page), str(form.get("method") or "get").lower(), form, failures)
        assert len(failures) < 5, "\n".join(failures)
    assert not failures, "\n".join(failures)
