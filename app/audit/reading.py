"""How a recorded change reads in the audit log: what was done to what, and each field as before → after in words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.audit.models import AuditEntry
from app.core import formats
from app.core.i18n import N_, NC_, gettext

# In French a change is named by a noun (Création, Retrait), so it agrees with whatever it was made to.
ACTIONS = {
    "accept_invitation": NC_("audit", "Accepted the invitation"),
    "activate": NC_("audit", "Reactivated"),
    "deactivate": NC_("audit", "Deactivated"),
    "add": NC_("audit", "Added"),
    "add_member": NC_("audit", "Member added"),
    "remove_member": NC_("audit", "Member removed"),
    "add_need": NC_("audit", "Need added"),
    "add_partner": NC_("audit", "Partner added"),
    "allocate": NC_("audit", "Places allocated"),
    "answer": NC_("audit", "Answered"),
    "archive": NC_("audit", "Archived"),
    "restore": NC_("audit", "Restored"),
    "attendance": NC_("audit", "Attendance recorded"),
    "correct": NC_("audit", "Corrected"),
    "link_action": NC_("audit", "Action item linked"),
    "publish": NC_("audit", "Published"),
    "unpublish": NC_("audit", "Unpublished"),
    "record": NC_("audit", "Recorded"),
    "cancel": NC_("audit", "Cancelled"),
    "change_password": NC_("audit", "Password changed"),
    "create": NC_("audit", "Created"),
    "end_sessions": NC_("audit", "Signed out everywhere"),
    "invite": NC_("audit", "Invited"),
    "issue_signin_link": NC_("audit", "Sign-in link sent"),
    "link_sso": NC_("audit", "Single sign-on linked"),
    "minutes": NC_("audit", "Minutes recorded"),
    "move": NC_("audit", "Moved"),
    "new_feed": NC_("audit", "Calendar feed created"),
    "revoke_feed": NC_("audit", "Calendar feed revoked"),
    "outcome": NC_("audit", "Outcome recorded"),
    "outcomes": NC_("audit", "Outcomes recorded"),
    "partner_left": NC_("audit", "Partner left"),
    "pledge": NC_("audit", "Pledge made"),
    "withdraw_pledge": NC_("audit", "Pledge withdrawn"),
    "progress": NC_("audit", "Progress recorded"),
    "publication": NC_("audit", "Publication changed"),
    "record_chair": NC_("audit", "Chair recorded"),
    "remove": NC_("audit", "Removed"),
    "report_contribution": NC_("audit", "Contribution reported"),
    "request_reset": NC_("audit", "Password reset asked"),
    "resend_invitation": NC_("audit", "Invitation sent again"),
    "resend_signin_link": NC_("audit", "Sign-in link sent again"),
    "sign_in": NC_("audit", "Signed in"),
    "password_passed": NC_("audit", "Password passed, second factor asked"),
    "add_second_factor": NC_("audit", "Second factor added"),
    "remove_second_factor": NC_("audit", "Second factor removed"),
    "reset_second_factor": NC_("audit", "Second factor reset"),
    "use_recovery_code": NC_("audit", "Recovery code used"),
    "renew_recovery_codes": NC_("audit", "Recovery codes renewed"),
    "second_factor_failed": NC_("audit", "Second factor refused"),
    "sign_out": NC_("audit", "Signed out"),
    "status": NC_("audit", "Status changed"),
    "switch_option": NC_("audit", "Governance option switched"),
    "update": NC_("audit", "Changed"),
    "upload": NC_("audit", "Uploaded"),
    "withdraw": NC_("audit", "Withdrawn"),
}
ENTITIES = {
    "action_item": N_("action item"),
    "agenda": N_("agenda"),
    "agenda_item": N_("agenda item"),
    "body": N_("body"),
    "calendar_feed": N_("calendar feed"),
    "capacity_need": N_("need"),
    "capacity_support": N_("support"),
    "coalition": N_("coalition"),
    "decision": N_("decision"),
    "focal_point": N_("focal point"),
    "governance": N_("governance"),
    "invitation": N_("invitation"),
    "library_document": N_("library document"),
    "meeting": N_("meeting"),
    "meeting_document": N_("meeting document"),
    "meeting_series": N_("meeting series"),
    "member_state": N_("state"),
    "membership": N_("membership"),
    "nomination": N_("nomination"),
    "training_offer": N_("training offer"),
    "user": N_("account"),
    "working_group": N_("working group"),
}
FIELDS = {
    "access": N_("Access"),
    "answer": N_("Answer"),
    "area": N_("Area"),
    "body": N_("Body"),
    "category": N_("Category"),
    "chatham_house": N_("Chatham House rule"),
    "city": N_("City"),
    "delegate": N_("Delegate"),
    "display_name": N_("Name"),
    "due_on": N_("Due on"),
    "email": N_("Email"),
    "ends_at": N_("Ends"),
    "filename": N_("File"),
    "format": N_("Format"),
    "host_zone": N_("Host time zone"),
    "is_active": NC_("account", "Active"),
    "kind": N_("Kind"),
    "language": N_("Language"),
    "lead": N_("Lead"),
    "link": N_("Link"),
    "member_state_id": N_("State"),
    "name": N_("Name"),
    "note": N_("Note"),
    "organisation": N_("Organisation"),
    "phone": N_("Phone"),
    "portfolio": N_("Portfolio"),
    "position": N_("Position"),
    "priority": N_("Priority"),
    "published": N_("Published"),
    "role": N_("Role"),
    "starts_at": N_("Starts"),
    "starts_on": N_("Starts"),
    "state": N_("State"),
    "states": N_("States"),
    "status": N_("Status"),
    "time_zone": N_("Time zone"),
    "title": N_("Title"),
    "title_en": N_("Title"),
    "track": N_("Track"),
    "venue": N_("Venue"),
}
ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?")
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Change:
    field: str
    before: str | None
    after: str | None


def what(entry: AuditEntry) -> str:
    """The action and its object in words ("Changed · meeting 12"), in the reader's language."""
    action, _, value = entry.action.partition(":")
    said = gettext(ACTIONS[action]) if action in ACTIONS else action.replace("_", " ").capitalize()
    if value:
        said = f"{said}: {value.replace('_', ' ')}"
    thing = gettext(ENTITIES[entry.entity]) if entry.entity in ENTITIES else entry.entity.replace("_", " ")
    return f"{said} · {thing} {entry.entity_id}".strip()


def changes(entry: AuditEntry, zone: str) -> list[Change]:
    """Each field the entry records, with its value before and after (None where the entry has no side)."""
    before, after = entry.before or {}, entry.after or {}
    fields = list(before) + [name for name in after if name not in before]
    return [
        Change(
            _field(name),
            _words(before[name], zone) if name in before else None,
            _words(after[name], zone) if name in after else None,
        )
        for name in fields
        if not (name in before and name in after and before[name] == after[name])
    ]


def _field(name: str) -> str:
    return gettext(FIELDS[name]) if name in FIELDS else name.replace("_", " ").capitalize()


def _words(value: Any, zone: str) -> str:
    """A recorded value as a reader takes it: dates in their zone and language, yes/no, lists joined."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext(N_("Yes")) if value else gettext(N_("No"))
    if isinstance(value, int | float):
        return formats.number(value)
    if isinstance(value, list):
        return ", ".join(_words(item, zone) for item in value) or "—"
    if isinstance(value, dict):
        return formats.semicolon().join(
            f"{formats.label(_field(str(key)))} {_words(item, zone)}" for key, item in value.items()
        )
    text = str(value)
    if ISO_INSTANT.fullmatch(text):
        return formats.local_time(datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T")), zone)
    if ISO_DAY.fullmatch(text):
        return formats.day(date.fromisoformat(text))
    return text
