"""Member states' write use cases: profiles, focal points and their invitations, contributions and pledges."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select

from app.audit import service as audit
from app.auth import mail
from app.auth import service as accounts
from app.auth.models import ROLE_LABELS, Role, User
from app.core import clock, region
from app.core.config import LANGUAGES, Settings
from app.core.db import id_of
from app.core.errors import Conflict, DomainError, Forbidden, Label, Localised, NotFound
from app.core.forms import FieldErrors
from app.core.i18n import N_
from app.governance import service as governance
from app.meetings import timing
from app.members.models import (
    CATEGORIES,
    DEPLOYMENT_WINDOWS,
    PORTFOLIOS,
    READINESS_LEVELS,
    ContributionReport,
    FocalPoint,
    MemberState,
    Pledge,
)
from app.outbox import service as outbox

MAX_PERSONNEL = 100_000
DETAILS = ("portfolio", "position", "phone")


def can_edit(user: User | None, state: MemberState) -> bool:
    """Coordinators and admins edit any state; a focal point only their own."""
    if user is None:
        return False
    return governance.coordinates(user) or (user.role == Role.focal_point and user.member_state_id == state.id)


def _require_edit(user: User, state: MemberState) -> None:
    if not can_edit(user, state):
        raise Forbidden(N_("You can act only for your own state."))


def update_profile(session: Session, *, user: User, state: MemberState, profile: str) -> None:
    """Saves a state's own description; seeds never overwrite an edited state afterwards."""
    _require_edit(user, state)
    if len(profile) > 5000:
        raise DomainError(N_("The profile may have at most 5000 characters."))
    before = audit.snapshot(state, ("profile",))
    state.profile, state.edited_at, state.edited_by = profile.strip(), clock.now(), user.id
    session.add(state)
    audit.record(
        session,
        actor_id=user.id,
        action="update",
        entity="member_state",
        entity_id=state.code,
        before=before,
        after=audit.snapshot(state, ("profile",)),
    )
    session.commit()


# Focal points


class AlreadyInvited(Conflict):
    """The address is a focal point of this state already, invited but not signed in yet."""

    def __init__(self, account: User, state: MemberState) -> None:
        super().__init__(
            N_(
                "%(name)s (%(email)s) is already invited as a focal point of %(state)s and has not accepted the "
                "invitation yet. You can send the invitation again."
            ),
            name=account.display_name,
            email=account.email,
            state=Localised(state.name_en, state.name_fr),
        )
        self.account = account


def _refuse_known_address(session: Session, *, email: str, state: MemberState) -> None:
    """Says what the account of an address already invited or opened is, and what can be done about it."""
    existing = accounts.find_user_by_email(session, email)
    if existing is None:
        return
    if not existing.is_active:
        raise Conflict(
            N_(
                "An account with this email address exists already, but it is deactivated. An admin can "
                "reactivate it on the accounts page."
            )
        )
    if existing.role == Role.focal_point and existing.member_state_id == state.id:
        if accounts.awaits_first_sign_in(existing):
            raise AlreadyInvited(existing, state)
        raise Conflict(
            N_(
                "%(name)s (%(email)s) is already a focal point of %(state)s and can sign in. If the password is "
                "forgotten, “Forgot your password?” on the sign-in page sends a new link."
            ),
            name=existing.display_name,
            email=existing.email,
            state=Localised(state.name_en, state.name_fr),
        )
    other = session.get(MemberState, existing.member_state_id) if existing.member_state_id else None
    if existing.role == Role.focal_point and other is not None:
        raise Conflict(
            N_(
                "An account with this email address exists already: %(name)s, focal point of %(state)s. An admin "
                "can change its state or role on the accounts page."
            ),
            name=existing.display_name,
            state=Localised(other.name_en, other.name_fr),
        )
    raise Conflict(
        N_(
            "An account with this email address exists already: %(name)s, %(role)s. An admin can change its state "
            "or role on the accounts page."
        ),
        name=existing.display_name,
        role=Label(ROLE_LABELS[existing.role]),
    )


def invite_focal_point(
    session: Session,
    settings: Settings,
    *,
    user: User,
    state: MemberState,
    email: str,
    display_name: str,
    portfolio: str,
    position: str = "",
    phone: str = "",
    language: str = "en",
    time_zone: str = "",
) -> User:
    """Opens a focal point's account and emails a one-time invitation link, in one transaction."""
    if not governance.coordinates(user):
        raise Forbidden(N_("Only coordinators and admins invite focal points."))
    if portfolio not in PORTFOLIOS:
        raise DomainError(N_("Choose a portfolio."))
    if len(position) > 120 or len(phone) > 40:
        raise DomainError(N_("The position may have at most 120 characters and the phone number 40."))
    zone = time_zone.strip() or (state.time_zones[0] if state.time_zones else "UTC")
    if not timing.known_zone(zone):
        raise DomainError(N_("Choose a time zone from the list."))
    _refuse_known_address(session, email=email, state=state)
    invited = accounts.create_user(
        session,
        email=email,
        display_name=display_name,
        role=Role.focal_point,
        actor_id=user.id,
        member_state_id=state.id,
        language=language if language in LANGUAGES else "en",
    )
    invited.time_zone = zone
    session.add(FocalPoint(user_id=id_of(invited), portfolio=portfolio, position=position.strip(), phone=phone.strip()))
    _send_invitation(session, settings, invited=invited, state=state)
    session.commit()
    return invited


def resend_invitation(session: Session, settings: Settings, *, user: User, state: MemberState, account_id: int) -> None:
    """Emails a new invitation link to a focal point of the state who has not signed in yet; the old one stops."""
    if not governance.coordinates(user):
        raise Forbidden(N_("Only coordinators and admins invite focal points."))
    invited = _focal_point_of(session, state, account_id)
    if not accounts.awaits_first_sign_in(invited):
        raise Conflict(N_("This focal point has signed in already: there is no invitation to send again."))
    _send_invitation(session, settings, invited=invited, state=state)
    audit.record(session, actor_id=user.id, action="resend_invitation", entity="user", entity_id=invited.id)
    session.commit()


def _send_invitation(session: Session, settings: Settings, *, invited: User, state: MemberState) -> None:
    """Queues the invitation with a new one-time link; the caller commits."""
    token = accounts.issue_token(
        session, user=invited, purpose="invite", lifetime=timedelta(hours=settings.signin_link_hours)
    )
    subject, body = mail.invitation_message(
        user=invited,
        link=f"{settings.base_url}/invitations/{token}",
        hours=settings.signin_link_hours,
        portal=region.load(settings.seeds_dir).short_name(invited.language),
        state=state.name(invited.language),
        sso=settings.sso_enabled,
    )
    outbox.queue(session, recipient=invited.email, subject=subject, body=body)


def _focal_point_of(session: Session, state: MemberState, account_id: int) -> User:
    """The active focal-point account of this state with this id, or 404."""
    found = [person for person in accounts.focal_points_of(session, state_id=id_of(state)) if person.id == account_id]
    if not found:
        raise NotFound(N_("No such focal point."))
    return found[0]


def accept_invitation(session: Session, *, token: str, password: str) -> User:
    """The invitee chooses a password; the link is used up."""
    _, invited = accounts.peek_token(session, token=token, purpose="invite")
    from app.auth.passwords import check_new_password, hash_password

    check_new_password(password, email=invited.email)
    invited = accounts.consume_token(session, token=token, purpose="invite")
    invited.password_hash = hash_password(password)
    session.add(invited)
    audit.record(session, actor_id=invited.id, action="accept_invitation", entity="user", entity_id=invited.id)
    session.commit()
    return invited


def save_focal_point_details(
    session: Session, *, user: User, state: MemberState, account_id: int, portfolio: str, position: str, phone: str
) -> None:
    """Records a focal point's portfolio and contact details (the first time, or again)."""
    _require_edit(user, state)
    account = _focal_point_of(session, state, account_id)
    if portfolio not in PORTFOLIOS:
        raise DomainError(N_("Choose a portfolio."))
    if len(position) > 120 or len(phone) > 40:
        raise DomainError(N_("The position may have at most 120 characters and the phone number 40."))
    details = session.exec(select(FocalPoint).where(FocalPoint.user_id == account.id)).first()
    before = audit.snapshot(details, DETAILS) if details else None
    details = details or FocalPoint(user_id=id_of(account), portfolio=portfolio)
    details.portfolio, details.position, details.phone = portfolio, position.strip(), phone.strip()
    session.add(details)
    session.flush()
    audit.record(
        session,
        actor_id=user.id,
        action="update",
        entity="focal_point",
        entity_id=details.id,
        before=before,
        after=audit.snapshot(details, DETAILS),
    )
    session.commit()


# Contributions and pledges


def _count(value: str | int, field: str) -> int:
    """A head count; `field` is the form label's msgid, named in the message in the user's language."""
    try:
        number = int(value) if str(value).strip() else 0
    except ValueError:
        raise DomainError(N_("Enter whole numbers of people (%(field)s)."), field=Label(field)) from None
    if not 0 <= number <= MAX_PERSONNEL:
        raise DomainError(N_("Enter whole numbers of people (%(field)s)."), field=Label(field))
    return number


def record_contribution(
    session: Session,
    *,
    user: User,
    state: MemberState,
    as_of: date,
    category: str,
    men: str | int,
    women: str | int,
    unspecified: str | int = 0,
    source: str = "",
) -> ContributionReport:
    """Appends a report; for the same date and category it supersedes the earlier one, which is kept."""
    _require_edit(user, state)
    if category not in CATEGORIES:
        raise DomainError(N_("Choose a category."))
    if as_of > clock.today("UTC") + timedelta(days=1) or as_of.year < 1948:
        raise DomainError(N_("The date must be between 1948 and today."))
    report = ContributionReport(
        state_id=id_of(state),
        as_of=as_of,
        category=category,
        men=_count(men, N_("Men")),
        women=_count(women, N_("Women")),
        unspecified=_count(unspecified, N_("Not specified")),
        source=source.strip()[:255],
        recorded_at=clock.now(),
        recorded_by=user.id,
    )
    session.add(report)
    session.flush()
    audit.record(
        session,
        actor_id=user.id,
        action="report_contribution",
        entity="member_state",
        entity_id=state.code,
        after={
            "as_of": as_of.isoformat(),
            "category": category,
            "men": report.men,
            "women": report.women,
            "unspecified": report.unspecified,
        },
    )
    session.commit()
    return report


def _deployment_window(value: str | int) -> int:
    """The rapid-deployment window in days, one of those the PCRS knows."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = 0
    if days not in DEPLOYMENT_WINDOWS:
        raise DomainError(N_("Choose a rapid-deployment window of 30, 60 or 90 days."))
    return days


def record_pledge(
    session: Session,
    *,
    user: User,
    state: MemberState,
    capability: str,
    category: str,
    personnel: str | int,
    readiness: str,
    deployment_days: str | int,
) -> Pledge:
    """Records a PCRS pledge of the state, or refuses once naming every field that is wrong."""
    _require_edit(user, state)
    errors = FieldErrors()
    if not capability.strip() or len(capability) > 200:
        errors.add(DomainError(N_("Describe the pledged capability in 1 to 200 characters.")))
    if category not in CATEGORIES:
        errors.add(DomainError(N_("Choose a category.")))
    with errors.field():
        people = _count(personnel, N_("Personnel"))
    if readiness not in READINESS_LEVELS:
        errors.add(DomainError(N_("Choose a readiness level.")))
    with errors.field():
        days = _deployment_window(deployment_days)
    errors.raise_any()
    pledge = Pledge(
        state_id=id_of(state),
        capability=capability.strip(),
        category=category,
        personnel=people,
        readiness=readiness,
        deployment_days=days,
        recorded_at=clock.now(),
        recorded_by=user.id,
    )
    session.add(pledge)
    session.flush()
    audit.record(
        session,
        actor_id=user.id,
        action="pledge",
        entity="member_state",
        entity_id=state.code,
        after={"capability": pledge.capability, "readiness": readiness, "days": days},
    )
    session.commit()
    return pledge


def withdraw_pledge(session: Session, *, user: User, pledge_id: int) -> None:
    pledge = session.get(Pledge, pledge_id)
    if pledge is None or pledge.withdrawn_at is not None:
        raise NotFound(N_("No such pledge."))
    state = session.get(MemberState, pledge.state_id)
    assert state is not None
    _require_edit(user, state)
    pledge.withdrawn_at = clock.now()
    session.add(pledge)
    audit.record(
        session,
        actor_id=user.id,
        action="withdraw_pledge",
        entity="member_state",
        entity_id=state.code,
        after={"pledge": pledge.id},
    )
    session.commit()
