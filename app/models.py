"""Every domain's tables, imported so that Alembic and the tests see one metadata."""

from app.audit.models import AuditEntry
from app.auth.models import OneTimeToken, SignInFailure, SsoIdentity, User, UserSession
from app.capacity.models import Need, NeedEvent, Support, SupportEvent
from app.coalitions.models import (
    Coalition,
    CoalitionMeeting,
    CoalitionNeed,
    CoalitionPartner,
    CoalitionProgress,
)
from app.decisions.models import Decision, DecisionAction, DecisionVersion, Reservation
from app.governance.models import (
    Body,
    ChairTerm,
    MembershipEvent,
    OptionSwitch,
    WorkingGroup,
    WorkingGroupEvent,
)
from app.library.models import LibraryDocument
from app.meetings.models import (
    ActionItem,
    ActionItemEvent,
    AgendaItem,
    AnswerLink,
    Attendance,
    CalendarFeed,
    Invitation,
    Meeting,
    MeetingDocument,
    MeetingInvitee,
    MeetingSeries,
    MinutesVersion,
)
from app.members.models import ContributionReport, FocalPoint, MemberState, Pledge, RegionTotal
from app.notifications.models import JobRun, Notification, NotificationPreference
from app.outbox.models import OutboxMessage
from app.training.models import (
    CourseType,
    Nomination,
    NominationEvent,
    NominationTally,
    OfferEvent,
    OfferTally,
    TrainingOffer,
)
from app.training.tallies import keep_tallies

# The report tallies follow every session's flushes of nominations and offers, whichever command or route makes them.
keep_tallies()

__all__ = [
    "JobRun",
    "Notification",
    "NotificationPreference",
    "ActionItem",
    "ActionItemEvent",
    "AgendaItem",
    "AnswerLink",
    "Attendance",
    "CalendarFeed",
    "Invitation",
    "Meeting",
    "MeetingDocument",
    "MeetingInvitee",
    "MeetingSeries",
    "MinutesVersion",
    "AuditEntry",
    "Body",
    "ChairTerm",
    "ContributionReport",
    "FocalPoint",
    "MemberState",
    "MembershipEvent",
    "OneTimeToken",
    "OptionSwitch",
    "OutboxMessage",
    "Pledge",
    "RegionTotal",
    "SignInFailure",
    "SsoIdentity",
    "User",
    "UserSession",
    "WorkingGroup",
    "WorkingGroupEvent",
    "CourseType",
    "Nomination",
    "NominationEvent",
    "NominationTally",
    "OfferEvent",
    "OfferTally",
    "TrainingOffer",
    "Need",
    "NeedEvent",
    "Support",
    "SupportEvent",
    "Coalition",
    "CoalitionMeeting",
    "CoalitionNeed",
    "CoalitionPartner",
    "CoalitionProgress",
    "LibraryDocument",
    "Decision",
    "DecisionAction",
    "DecisionVersion",
    "Reservation",
]
