"""The digest job: per person, at their day and hour, what changed that concerns them; empty digests are not sent.

The digest covers the period that ends at its slot (the day or week before). After an outage only the latest slot
is considered, and sent only within 12 hours of it; the slots missed are not made up (their news is on the
portal)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from app.auth.models import Role, User
from app.core import formats
from app.core.config import get_settings
from app.core.db import id_of
from app.core.i18n import N_
from app.decisions.models import Decision
from app.library import service as library
from app.meetings.models import ActionItem, Invitation, Meeting
from app.notifications import mail
from app.notifications.models import Job, Notification, NotificationPreference
from app.notifications.service import OPEN_ACTIONS, Candidate, Run, _decide, _zone, action_url
from app.training.models import OfferEvent, TrainingOffer

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
# A digest found this long after its slot (the worker was down) is skipped: the next one comes at its own time.
STALE_AFTER = timedelta(hours=12)


def unsubscribe_token(user_id: int) -> str:
    """A token that names the account and proves the portal made it: the digest's one-click unsubscribe link."""
    key = get_settings().secret().encode()
    signature = hmac.new(key, f"unsubscribe:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{user_id}-{signature}"


def account_of_token(token: str) -> int | None:
    """The account an unsubscribe token names, or None when it was not made by the portal."""
    number, _, signature = token.partition("-")
    if not number.isdigit() or len(number) > 12:
        return None
    expected = unsubscribe_token(int(number)).partition("-")[2]
    return int(number) if hmac.compare_digest(signature, expected) else None


def unsubscribe(session: Session, user_id: int, *, now: datetime) -> bool:
    """Turns the digest off; False when no such account."""
    user = session.get(User, user_id)
    if user is None:
        return False
    found = session.exec(select(NotificationPreference).where(NotificationPreference.user_id == user_id)).first()
    chosen = found or NotificationPreference(user_id=user_id, updated_at=now)
    chosen.digest, chosen.updated_at = "never", now
    session.add(chosen)
    session.commit()
    return True


def slot(now: datetime, choice: NotificationPreference, zone: str) -> datetime:
    """The latest digest moment at or before `now`: the chosen hour of today (or yesterday), or of the chosen
    weekday, in the person's zone."""
    local = now.astimezone(_zone(zone))
    moment = local.replace(hour=choice.digest_hour, minute=0, second=0, microsecond=0)
    if choice.digest == "weekly":
        moment -= timedelta(days=(moment.weekday() - choice.digest_weekday) % 7)
        if moment > local:
            moment -= timedelta(days=7)
    elif moment > local:
        moment -= timedelta(days=1)
    # Rebuilt from the local wall time, so that a change of UTC offset within the period lands on the chosen hour.
    return moment.replace(tzinfo=None).replace(tzinfo=_zone(zone)).astimezone(UTC)


def digests(run: Run) -> None:
    session, now = run.session, run.now
    people = list(
        session.exec(
            select(User).where(col(User.is_active).is_(True), col(User.email) != "").order_by(col(User.id))
        ).all()
    )
    chosen = {
        row.user_id: row
        for row in session.exec(
            select(NotificationPreference).where(col(NotificationPreference.digest) != "never")
        ).all()
    }
    never = set(
        session.exec(select(NotificationPreference.user_id).where(NotificationPreference.digest == "never")).all()
    )
    due: list[tuple[User, datetime, timedelta]] = []
    for user in people:
        if id_of(user) in never:
            continue
        choice = chosen.get(id_of(user)) or NotificationPreference(user_id=id_of(user), updated_at=now)
        moment = slot(now, choice, user.time_zone)
        due.append((user, moment, PERIODS[choice.digest]))
    decided = {
        (user_id, due_at)
        for user_id, due_at in session.exec(
            select(Notification.user_id, Notification.due_at).where(
                Notification.kind == "digest", col(Notification.due_at).in_({moment for _, moment, _ in due})
            )
        ).all()
    }
    candidates = []
    for user, moment, period in due:
        if (id_of(user), moment) in decided:
            continue
        stale = now - moment > STALE_AFTER
        sections = [] if stale else _sections(run, user, moment - period, moment)
        candidates.append(
            Candidate(
                "digest",
                id_of(user),
                user,
                moment,
                moment,
                skip=not sections,
                write=_writer(run, user, moment - period, moment, sections),
            )
        )
    _decide(run, Job.digests, candidates, headers=_headers)


def _headers(candidate: Candidate) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: the link, and that a POST to it unsubscribes."""
    link = f"{get_settings().base_url}/unsubscribe/{unsubscribe_token(candidate.object_id)}"
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _writer(
    run: Run, user: User, start: datetime, end: datetime, sections: list[mail.Section]
) -> Callable[[], mail.Message]:
    def write() -> mail.Message:
        first = formats.local_date(start, user.time_zone, user.language)
        last = formats.local_date(end - timedelta(seconds=1), user.time_zone, user.language)
        period = f"{first} – {last}"
        return mail.digest(
            user=user,
            period=period,
            sections=sections,
            portal=run.portal(user.language),
            unsubscribe=f"{run.settings.base_url}/unsubscribe/{unsubscribe_token(id_of(user))}",
        )

    return write


def _sections(run: Run, user: User, start: datetime, end: datetime) -> list[mail.Section]:
    """What changed in [start, end) that concerns the person, by kind; only the kinds with something."""
    session, base, language = run.session, run.settings.base_url, user.language
    invited = select(Invitation.meeting_id).where(Invitation.user_id == user.id)
    found: list[mail.Section] = []
    new_meetings = session.exec(
        select(Meeting)
        .where(col(Meeting.id).in_(invited), col(Meeting.created_at) >= start, col(Meeting.created_at) < end)
        .order_by(col(Meeting.starts_at))
    ).all()
    if new_meetings:
        found.append(
            (
                N_("New meetings you are invited to"),
                [(m.title(language), f"{base}/meetings/{m.id}") for m in new_meetings],
            )
        )
    summaries = session.exec(
        select(Meeting)
        .where(
            col(Meeting.id).in_(invited),
            col(Meeting.summary_published_at) >= start,
            col(Meeting.summary_published_at) < end,
        )
        .order_by(col(Meeting.starts_at))
    ).all()
    if summaries:
        found.append(
            (N_("Minutes and summaries published"), [(m.title(language), f"{base}/meetings/{m.id}") for m in summaries])
        )
    decisions = session.exec(
        select(Decision)
        .where(
            col(Decision.meeting_id).in_(invited),
            col(Decision.published_at) >= start,
            col(Decision.published_at) < end,
        )
        .order_by(col(Decision.id))
    ).all()
    if decisions:
        found.append(
            (N_("Decisions published"), [(_short(d.text(language)), f"{base}/decisions/{d.id}") for d in decisions])
        )
    if run.bodies is None:
        run.bodies = library.all_bodies(session)
    shared = library.new_documents(session, run.settings, user=user, start=start, end=end, bodies=run.bodies)
    if shared:
        found.append(
            (N_("New documents in the library"), [(_short(d.title), f"{base}/library/{d.id}") for d in shared])
        )
    if user.role == Role.focal_point.value and user.member_state_id is not None:
        offers = session.exec(
            select(TrainingOffer)
            .where(
                col(TrainingOffer.id).in_(
                    select(OfferEvent.offer_id).where(
                        OfferEvent.status == "published", col(OfferEvent.at) >= start, col(OfferEvent.at) < end
                    )
                ),
                TrainingOffer.status == "published",
                col(TrainingOffer.provider_state_id).is_distinct_from(user.member_state_id),
            )
            .order_by(col(TrainingOffer.deadline_on))
        ).all()
        if offers:
            found.append(
                (N_("New training offers open to your state"), [(o.title, f"{base}/training/{o.id}") for o in offers])
            )
        waiting = session.exec(
            select(ActionItem)
            .where(
                ActionItem.owner_state_id == user.member_state_id,
                col(ActionItem.status).in_(OPEN_ACTIONS),
                col(ActionItem.due_on) <= (end + timedelta(days=7)).date(),
            )
            .order_by(col(ActionItem.due_on))
        ).all()
        if waiting:
            found.append(
                (
                    N_("Waiting for you: action items of your state due soon or overdue"),
                    [
                        (f"{formats.day(a.due_on, language)} · {_short(a.text)}", f"{base}{action_url(a)}")
                        for a in waiting
                    ],
                )
            )
    return found


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:79] + "…"
