"""Every route × every role: who gets through, who is sent to sign in, who is refused.

A route missing from RULES fails the suite, so no route ships without a decided rule.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine
from sqlmodel import Session, select

from app.main import api_routes
from tests.factories import make_user, page_csrf, sign_in, state

# "pending": an admin whose password is done and whose second factor is still asked. It passes public routes as an
# anonymous visitor does, and otherwise nothing but the second-factor pages.
ROLES = ("anonymous", "pending", "admin", "coordinator", "focal_point", "observer")
PUBLIC = frozenset(ROLES)
SIGNED_IN = PUBLIC - {"anonymous", "pending"}
SECOND_FACTOR = frozenset({"pending"})
ENROLLING = SIGNED_IN | SECOND_FACTOR
ADMIN = frozenset({"admin"})
COORDINATORS = frozenset({"admin", "coordinator"})
OWN_STATE = frozenset({"admin", "coordinator", "focal_point"})  # the focal point acts for their own state
FOCAL_POINTS = frozenset({"focal_point"})
PARTNERS = frozenset({"admin", "coordinator", "focal_point", "observer"})  # those who give capacity-building support

RULES: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,
    ("POST", "/language"): PUBLIC,
    ("GET", "/auth/sign-in"): PUBLIC,
    ("POST", "/auth/sign-in"): PUBLIC,
    ("POST", "/auth/sign-out"): ENROLLING,
    ("GET", "/auth/second-factor"): SECOND_FACTOR,
    ("POST", "/auth/second-factor"): SECOND_FACTOR,
    ("POST", "/auth/second-factor/recovery"): SECOND_FACTOR,
    ("GET", "/account/second-factor"): ENROLLING,
    ("GET", "/account/second-factor/qr.svg"): ENROLLING,
    ("POST", "/account/second-factor"): ENROLLING,
    ("POST", "/account/second-factor/remove"): SIGNED_IN,
    ("POST", "/account/second-factor/recovery-codes"): SIGNED_IN,
    ("POST", "/admin/users/{user_id}/second-factor"): ADMIN,
    ("POST", "/auth/second-factor/passkey/options"): SECOND_FACTOR,
    ("POST", "/auth/second-factor/passkey"): SECOND_FACTOR,
    ("POST", "/auth/passkey/options"): PUBLIC,
    ("POST", "/auth/passkey"): PUBLIC,
    ("POST", "/account/passkeys/options"): ENROLLING,
    ("POST", "/account/passkeys"): ENROLLING,
    ("POST", "/account/passkeys/{passkey_id}/remove"): SIGNED_IN,
    ("GET", "/auth/reset"): PUBLIC,
    ("POST", "/auth/reset"): PUBLIC,
    ("GET", "/auth/reset/{token}"): PUBLIC,
    ("POST", "/auth/reset/{token}"): PUBLIC,
    ("GET", "/auth/link/{token}"): PUBLIC,
    ("POST", "/auth/link/{token}"): PUBLIC,
    ("GET", "/auth/sso/start"): PUBLIC,
    ("GET", "/auth/sso/callback"): PUBLIC,
    ("GET", "/account"): SIGNED_IN,
    ("POST", "/account/preferences"): SIGNED_IN,
    ("POST", "/account/notifications"): SIGNED_IN,
    ("GET", "/unsubscribe/{token}"): PUBLIC,
    ("POST", "/unsubscribe/{token}"): PUBLIC,
    ("POST", "/account/password"): SIGNED_IN,
    ("GET", "/welcome"): SIGNED_IN,
    ("POST", "/welcome"): SIGNED_IN,
    ("GET", "/admin"): ADMIN,
    ("GET", "/admin/users"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("GET", "/admin/users/{user_id}"): ADMIN,
    ("POST", "/admin/users/{user_id}"): ADMIN,
    ("POST", "/admin/users/{user_id}/sign-in-link"): ADMIN,
    ("POST", "/admin/users/{user_id}/end-sessions"): ADMIN,
    ("POST", "/admin/users/{user_id}/active"): ADMIN,
    ("GET", "/admin/outbox"): ADMIN,
    ("GET", "/admin/outbox/{message_id}"): ADMIN,
    ("GET", "/admin/audit"): ADMIN,
    ("GET", "/members"): SIGNED_IN,
    ("GET", "/members/{code}"): SIGNED_IN,
    ("POST", "/members/{code}/profile"): OWN_STATE,
    ("POST", "/members/{code}/contributions"): OWN_STATE,
    ("POST", "/members/{code}/pledges"): OWN_STATE,
    ("POST", "/members/{code}/pledges/{pledge_id}/withdraw"): OWN_STATE,
    ("POST", "/members/{code}/focal-points"): COORDINATORS,
    ("POST", "/members/{code}/focal-points/{account_id}"): OWN_STATE,
    ("POST", "/members/{code}/focal-points/{account_id}/invitation"): COORDINATORS,
    ("GET", "/invitations/{token}"): PUBLIC,
    ("POST", "/invitations/{token}"): PUBLIC,
    ("GET", "/contributions"): SIGNED_IN,
    ("GET", "/bodies"): SIGNED_IN,
    ("GET", "/bodies/{key}"): SIGNED_IN,
    ("POST", "/bodies/{key}/requests"): OWN_STATE,
    ("POST", "/bodies/{key}/members"): COORDINATORS,
    ("POST", "/bodies/{key}/chairs"): COORDINATORS,
    ("POST", "/membership-requests/{event_id}"): COORDINATORS,
    ("GET", "/working-groups"): SIGNED_IN,
    ("POST", "/working-groups"): COORDINATORS,
    ("GET", "/working-groups/{group_id}"): SIGNED_IN,
    ("POST", "/working-groups/{group_id}"): COORDINATORS,
    ("POST", "/working-groups/{group_id}/archive"): COORDINATORS,
    ("POST", "/working-groups/{group_id}/members"): COORDINATORS,
    ("GET", "/meetings"): SIGNED_IN,
    ("GET", "/dashboard"): SIGNED_IN,
    ("GET", "/meetings/new"): COORDINATORS,
    ("GET", "/meetings/find-time"): COORDINATORS,
    ("POST", "/meetings"): COORDINATORS,
    ("POST", "/meetings/series"): COORDINATORS,
    ("GET", "/meetings/series/{series_id}/next"): COORDINATORS,
    ("POST", "/meetings/series/{series_id}/next"): COORDINATORS,
    ("POST", "/meetings/series/{series_id}/reminders"): COORDINATORS,
    # A meeting the user may not see answers 404, as if it did not exist (tests/meetings cover who sees what).
    ("GET", "/meetings/{meeting_id}"): SIGNED_IN,
    ("GET", "/meetings/{meeting_id}/calendar.ics"): SIGNED_IN,
    ("GET", "/meetings/{meeting_id}/documents/{document_id}"): SIGNED_IN,
    ("POST", "/meetings/{meeting_id}/answer"): SIGNED_IN,
    ("POST", "/meetings/{meeting_id}/move"): COORDINATORS,
    ("POST", "/meetings/{meeting_id}/cancel"): COORDINATORS,
    ("POST", "/meetings/{meeting_id}/invitations"): COORDINATORS,
    ("POST", "/meetings/{meeting_id}/agenda"): COORDINATORS,
    ("POST", "/meetings/{meeting_id}/agenda/{item_id}"): COORDINATORS,
    ("POST", "/meetings/{meeting_id}/agenda-status"): COORDINATORS,
    ("POST", "/meetings/{meeting_id}/attendance"): COORDINATORS,
    ("POST", "/meetings/{meeting_id}/minutes"): COORDINATORS,
    ("POST", "/meetings/{meeting_id}/publication"): COORDINATORS,
    ("POST", "/meetings/{meeting_id}/action-items"): COORDINATORS,
    ("POST", "/meetings/{meeting_id}/documents"): OWN_STATE,
    ("POST", "/meetings/{meeting_id}/action-items/{action_id}"): OWN_STATE,
    ("POST", "/meetings/calendar-feed"): SIGNED_IN,
    ("POST", "/meetings/calendar-feed/revoke"): SIGNED_IN,
    ("GET", "/calendar/{token}.ics"): PUBLIC,
    ("GET", "/answer/{token:path}"): PUBLIC,  # an invitation email's one-click answer: the secret is the credential
    ("POST", "/answer/{token:path}"): PUBLIC,
    ("GET", "/training"): SIGNED_IN,
    ("GET", "/training/certified"): SIGNED_IN,
    ("GET", "/training/reports"): SIGNED_IN,
    ("GET", "/training/records/{code}"): SIGNED_IN,
    ("GET", "/training/calendar/{token}.ics"): PUBLIC,
    # A focal point offers courses for their own state; the world's offer is Fiji's, like the focal points here.
    ("GET", "/training/new"): OWN_STATE,
    ("POST", "/training"): OWN_STATE,
    ("GET", "/training/{offer_id}"): SIGNED_IN,
    ("GET", "/training/{offer_id}/edit"): OWN_STATE,
    ("POST", "/training/{offer_id}"): OWN_STATE,
    ("POST", "/training/{offer_id}/status"): OWN_STATE,
    ("GET", "/training/{offer_id}/allocation"): OWN_STATE,
    ("POST", "/training/{offer_id}/allocation"): OWN_STATE,
    ("POST", "/training/{offer_id}/outcomes"): OWN_STATE,
    ("GET", "/training/{offer_id}/nominations.csv"): OWN_STATE,
    ("POST", "/training/{offer_id}/nominations"): FOCAL_POINTS,
    # A candidate another state nominated is not found (tests/training cover who sees what).
    ("GET", "/training/nominations/{nomination_id}"): OWN_STATE,
    ("POST", "/training/nominations/{nomination_id}/erase"): OWN_STATE,
    ("POST", "/training/nominations/{nomination_id}/withdraw"): OWN_STATE,
    ("POST", "/training/nominations/{nomination_id}/move"): FOCAL_POINTS,
    # Knowledge library: a document or file the visitor may not read answers 404 (public ones need no sign-in;
    # tests/library cover who reads what). The world's document is the coordinator's: only its uploader,
    # coordinators and admins withdraw it.
    ("GET", "/library"): SIGNED_IN,
    ("GET", "/library/new"): OWN_STATE,
    ("POST", "/library"): OWN_STATE,
    ("GET", "/library/{doc_id}"): PUBLIC,
    ("GET", "/library/{doc_id}/file"): PUBLIC,
    ("POST", "/library/{doc_id}/withdraw"): COORDINATORS,
    # Capacity building: needs are read by all (partners look for needs to support), recorded by a state's focal
    # points, coordinators and admins; support is recorded by partners, observers included. The world's support is
    # Fiji's, so changing its status is for Fiji's focal points, coordinators and admins.
    ("GET", "/needs"): SIGNED_IN,
    ("POST", "/needs"): OWN_STATE,
    ("GET", "/needs/{need_id}"): SIGNED_IN,
    ("POST", "/needs/{need_id}/status"): OWN_STATE,
    ("GET", "/support/new"): PARTNERS,
    ("POST", "/support"): PARTNERS,
    ("GET", "/support/{support_id}"): SIGNED_IN,
    ("POST", "/support/{support_id}/status"): OWN_STATE,
    ("GET", "/deconfliction"): COORDINATORS,
    ("GET", "/deconfliction.csv"): COORDINATORS,
    # Country coalitions: read by all signed in; Fiji's focal points lead Fiji's coalition with the coordinators,
    # who alone convene coalitions and run their meetings.
    ("GET", "/coalitions"): SIGNED_IN,
    ("POST", "/coalitions"): COORDINATORS,
    ("GET", "/coalitions/{coalition_id}"): SIGNED_IN,
    ("POST", "/coalitions/{coalition_id}/partners"): OWN_STATE,
    ("POST", "/coalitions/{coalition_id}/partners/{partner_id}/leave"): OWN_STATE,
    ("POST", "/coalitions/{coalition_id}/needs"): OWN_STATE,
    ("POST", "/coalitions/{coalition_id}/progress"): OWN_STATE,
    ("POST", "/coalitions/{coalition_id}/status"): OWN_STATE,
    ("POST", "/coalitions/{coalition_id}/meetings"): COORDINATORS,
    ("POST", "/coalitions/{coalition_id}/action-items"): COORDINATORS,
    ("GET", "/members/{code}/brief"): SIGNED_IN,
    # Decisions register: a decision's page is public once published, else found only by those who may read the
    # meeting part it was taken in (tests/decisions cover who reads what). Fiji chairs the SME body in the world, so
    # Fiji's focal points record and correct its meetings' decisions with the coordinators; other focal points are
    # refused by the service.
    ("GET", "/decisions"): SIGNED_IN,
    ("GET", "/decisions.csv"): SIGNED_IN,
    ("GET", "/decisions/{decision_id}"): PUBLIC,
    ("POST", "/meetings/{meeting_id}/decisions"): OWN_STATE,
    ("POST", "/meetings/{meeting_id}/decisions/{decision_id}"): OWN_STATE,
    ("POST", "/meetings/{meeting_id}/decisions/{decision_id}/publication"): COORDINATORS,
    ("POST", "/meetings/{meeting_id}/decisions/{decision_id}/action-items"): COORDINATORS,
    ("GET", "/meetings/{meeting_id}/outcome"): SIGNED_IN,
}


@pytest.fixture(scope="module")
def world_connection(engine: Engine) -> Iterator[tuple[Connection, dict[str, str]]]:
    """The world, built once for the module in a transaction rolled back after its last test, under the ad hoc
    option; each test then runs in a savepoint of it, rolled back (see `session`), so no case sees another's
    writes."""
    from app.core.config import get_settings

    connection = engine.connect()
    transaction = connection.begin()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PRCN_GOVERNANCE_OPTION", "adhoc")
            get_settings.cache_clear()
            db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
            try:
                names = _build_world(db)
            finally:
                db.close()
            yield connection, names
    finally:
        get_settings.cache_clear()
        transaction.rollback()
        connection.close()


@pytest.fixture
def session(world_connection: tuple[Connection, dict[str, str]]) -> Iterator[Session]:
    """Replaces the suite's session here: a savepoint in the world's transaction, rolled back after the test."""
    connection, _ = world_connection
    case = connection.begin_nested()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        if case.is_active:
            case.rollback()


@pytest.fixture
def world(world_connection: tuple[Connection, dict[str, str]], session: Session) -> dict[str, str]:
    return world_connection[1]


def _build_world(session: Session) -> dict[str, str]:
    """One of everything a path can name, for Fiji (the ad hoc option has working groups)."""
    from app.core.config import get_settings
    from app.governance import service as governance
    from app.members import service as members

    settings = get_settings()
    coordinator = make_user(session, role="coordinator", password=None)
    fiji = state(session, "FJ")
    invited = members.invite_focal_point(
        session,
        settings,
        user=coordinator,
        state=fiji,
        email="world.fp@example.org",
        display_name="World FP",
        portfolio="police",
    )
    body = governance.get_body(session, settings, "adhoc-network", user=coordinator)
    request = governance.request_membership(session, settings, user=coordinator, body=body, state=fiji, action="join")
    group = governance.create_working_group(
        session,
        settings,
        user=coordinator,
        body_key="adhoc-network",
        name="Pre-deployment training",
        track="police",
        lead_state_id=fiji.id,
        mandate="",
        member_state_ids=[],
    )
    pledge = members.record_pledge(
        session,
        user=coordinator,
        state=fiji,
        capability="Individual police officers",
        category="individual_police",
        personnel=10,
        readiness="level_1",
        deployment_days=60,
    )
    target = make_user(session, role="observer", password=None)
    meeting, agenda_item, action_item, document = _meeting_for(session, settings, coordinator, fiji)
    offer, nomination = _training_for(session, settings, coordinator, fiji)
    capacity = _capacity_for(session, settings, coordinator, fiji)
    coalitions = _coalitions_for(session, settings, coordinator, fiji)
    library = _library_for(session, settings, coordinator, fiji)
    decision = _decision_for(session, settings, coordinator, fiji, meeting)
    return {
        "{passkey_id}": "1",  # whosever it is, only its owner removes it (404 for the others, tested with passkeys)
        "{decision_id}": str(decision.id),
        **capacity,
        **coalitions,
        **library,
        "{meeting_id}": str(meeting.id),
        "{item_id}": str(agenda_item.id),
        "{action_id}": str(action_item.id),
        "{document_id}": str(document.id),
        "{series_id}": str(meeting.series_id),
        "{code}": "FJ",
        "{key}": "adhoc-network",
        "{group_id}": str(group.id),
        "{account_id}": str(invited.id),
        "{pledge_id}": str(pledge.id),
        "{event_id}": str(request.id),
        "{offer_id}": str(offer.id),
        "{nomination_id}": str(nomination.id),
        "{token}": "not-a-real-token",
        "{token:path}": "not-a-real-token",
        "{user_id}": str(target.id),
        "{message_id}": "999999",
    }


def _meeting_for(session, settings, coordinator, fiji):  # type: ignore[no-untyped-def]
    """An SME meeting of a series, with Fiji a member of the SME body: agenda item, action item, document."""
    from app.governance import service as governance
    from app.meetings import service as meetings
    from app.meetings.models import MeetingSeries

    sme = governance.get_body(session, settings, "sme", user=coordinator)
    governance.record_membership(session, settings, user=coordinator, body=sme, state=fiji)
    series = session.exec(select(MeetingSeries).where(MeetingSeries.key == "sme-quarterly")).one()
    meeting = meetings.next_occurrences(
        session, settings, user=coordinator, series=series, first_day="2030-03-12", link="https://meet.example.org/sme"
    )[0]
    rights = meetings.access(session, meeting, coordinator)
    item = meetings.add_agenda_item(
        session, user=coordinator, meeting=meeting, title="Updates", presenter="Fiji", duration=30, part="members"
    )
    action = meetings.add_action_item(
        session,
        user=coordinator,
        meeting=meeting,
        owner_state_id=fiji.id,
        text="Share the pre-deployment course outline",
        due_on="2030-04-01",
    )
    document = meetings.upload(
        session,
        settings,
        user=coordinator,
        meeting=meeting,
        rights=rights,
        filename="agenda.pdf",
        content=b"%PDF-1.7 agenda",
    )
    return meeting, item, action, document


def _training_for(session, settings, coordinator, fiji):  # type: ignore[no-untyped-def]
    """A published course Fiji provides, with one Fijian candidate."""
    from datetime import date, timedelta

    from app.training import service as training

    start = date.today() + timedelta(days=60)
    form = training.OfferForm(
        title="SAAT preparation",
        course_type="saat-preparation",
        track="police",
        starts_on=start.isoformat(),
        ends_on=(start + timedelta(days=5)).isoformat(),
        deadline_on=(start - timedelta(days=20)).isoformat(),
        seats=10,
        seats_per_state=2,
        languages=["en"],
        online=True,
        provider_state="FJ",
        zone="Pacific/Fiji",
    )
    offer = training.create_offer(session, user=coordinator, form=form)
    training.set_status(session, settings, user=coordinator, offer=offer, status="published")
    nominator = make_user(session, role="focal_point", member_state_id=fiji.id, password=None)
    nomination = training.nominate(
        session, user=nominator, offer=offer, form=training.CandidateForm(full_name="Litia Vosa", gender="woman")
    )
    return offer, nomination


def _capacity_for(session, settings, coordinator, fiji) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A need of Fiji's and support given against it."""
    from datetime import date, timedelta

    from app.capacity import service as capacity

    need = capacity.record_need(
        session,
        user=coordinator,
        form=capacity.NeedForm(
            state="FJ", area="training", track="police", priority="high", description="SAAT preparation for 20 officers"
        ),
    )
    start = date.today() + timedelta(days=30)
    support = capacity.record_support(
        session,
        user=coordinator,
        form=capacity.SupportForm(
            provider_state="FJ",
            recipient_state="FJ",
            need=str(need.id),
            starts_on=start.isoformat(),
            ends_on=(start + timedelta(days=10)).isoformat(),
            kind="trainers",
        ),
    )
    return {"{need_id}": str(need.id), "{support_id}": str(support.id)}


def _coalitions_for(session, settings, coordinator, fiji) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A coalition around Fiji's needs, with New Zealand as a partner."""
    from app.coalitions import service as coalitions

    coalition = coalitions.convene(
        session, user=coordinator, state_id=fiji.id, title="Fiji coalition", partner_state_ids=[state(session, "NZ").id]
    )
    [(partner, _)] = coalitions.partners(session, coalition)
    return {"{coalition_id}": str(coalition.id), "{partner_id}": str(partner.id)}


def _library_for(session, settings, coordinator, fiji) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A document in the knowledge library, open to all members."""
    from app.library import service as library

    doc = library.upload(
        session,
        settings,
        user=coordinator,
        title="Lessons from the SAAT cycle",
        kind="lesson_learned",
        language="en",
        tags="saat",
        access="members",
        filename="lessons.pdf",
        content=b"%PDF-1.7 lessons",
    )
    return {"{doc_id}": str(doc.id)}


def _decision_for(session, settings, coordinator, fiji, meeting):  # type: ignore[no-untyped-def]
    """A published decision of the SME meeting, recorded once it had started; Fiji chairs the SME body."""
    from datetime import date, timedelta

    from app.decisions import service as decisions
    from app.governance import service as governance

    sme = governance.get_body(session, settings, "sme", user=coordinator)
    governance.record_chair(session, settings, user=coordinator, body=sme, state=fiji, starts_on=date(2030, 1, 1))
    decision = decisions.record(
        session,
        settings,
        user=coordinator,
        meeting=meeting,
        form=decisions.DecisionForm(text_en="The network adopts the outline.", proposer_state_id=fiji.id),
        now=meeting.starts_at + timedelta(hours=1),
    )
    return decisions.set_published(session, user=coordinator, decision=decision, publish=True)


def registered_routes(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(method, path) for path, route in api_routes(app.routes) for method in route.methods - {"HEAD"}}


def test_every_route_has_a_rule(app) -> None:
    missing = registered_routes(app) - set(RULES)
    stale = set(RULES) - registered_routes(app)
    assert not missing, f"routes without a rule in RULES: {sorted(missing)}"
    assert not stale, f"rules for routes that no longer exist: {sorted(stale)}"


def fill(path: str, names: dict[str, str]) -> str:
    for name, value in names.items():
        path = path.replace(name, value)
    assert "{" not in path, f"no value for a parameter of {path}"
    return path


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), sorted(RULES))
def test_route_answers_by_role(client, session, world, method: str, path: str, role: str) -> None:  # type: ignore[no-untyped-def]
    if role == "pending":
        sign_in(client, session, make_user(session, role="admin", password=None), pending=True)
    elif role != "anonymous":
        sign_in(client, session, make_user(session, role=role, password=None))
    url = fill(path, world)
    response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": page_csrf(client)})
    allowed = role in RULES[(method, path)]
    if allowed:
        assert response.status_code not in (401, 403), f"{role} refused at {method} {path}"
        assert not response.headers.get("location", "").startswith("/auth/sign-in?next=")
    elif role == "pending" and method == "GET":
        # Sent to finish signing in, whatever the page: the second step cannot be skipped by going elsewhere.
        assert response.status_code == 303, f"pending passed at {method} {path}"
        assert response.headers["location"] == "/auth/second-factor"
    elif role == "anonymous" and method == "GET":
        assert response.status_code == 303
        assert response.headers["location"].startswith("/auth/sign-in?next=")
    elif role == "anonymous":
        assert response.status_code == 401
    else:
        assert response.status_code == 403, f"{role} not refused at {method} {path}"


def test_app_refuses_a_route_without_rule() -> None:
    from fastapi import APIRouter, FastAPI

    from app.main import check_access_rules

    app = FastAPI()
    router = APIRouter()

    @router.get("/included-and-forgotten")
    def included() -> str:
        return "also open to all by mistake"

    app.include_router(router)
    with pytest.raises(RuntimeError, match="/included-and-forgotten"):
        check_access_rules(app)
    app = FastAPI()

    @app.get("/forgotten")
    def forgotten() -> str:
        return "open to all by mistake"

    with pytest.raises(RuntimeError, match="/forgotten"):
        check_access_rules(app)


OWN_STATE_ROUTES = sorted(
    route for route, allowed in RULES.items() if allowed == OWN_STATE and route[0] == "POST" and "{" in route[1]
)


@pytest.mark.parametrize(("method", "path"), OWN_STATE_ROUTES)
def test_focal_point_of_another_state_is_refused(client, session, world, method: str, path: str) -> None:  # type: ignore[no-untyped-def]
    """A focal point of Samoa guessing Fiji's URLs changes nothing of Fiji's."""
    from app.audit.models import AuditEntry

    samoa_focal_point = make_user(session, role="focal_point", member_state_id=state(session, "WS").id, password=None)
    sign_in(client, session, samoa_focal_point)
    changes_before = len(session.exec(select(AuditEntry)).all())
    fields = {
        "csrf_token": page_csrf(client),
        "state_id": str(state(session, "FJ").id),
        "action": "join",
        "profile": "taken over",
        "as_of": "2024-05-30",
        "category": "troops",
        "men": "1",
    }
    response = client.post(fill(path, world), data=fields)
    # A meeting Samoa does not take part in, or a Fijian candidate, is not even found.
    assert response.status_code == (404 if path.startswith(("/meetings/", "/training/nominations/")) else 403)
    assert len(session.exec(select(AuditEntry)).all()) == changes_before
