"""Areas, tracks, priorities, categories, portfolios, readiness levels, state statuses and governance options as
closed lists: a CHECK constraint on each, added as revision 81fd2cd6397f added its own (stray values stop the upgrade
before anything is changed).

A member state's subregion and standing stay free strings: their lists are the region's, read from seeds/.

Revision ID: 08a2468b8aad
Revises: 7471a11c4eb7
Create Date: 2026-12-06 14:50:00.000000
"""

from collections.abc import Sequence

from app.core.list_migrations import Lists, add_checks, drop_checks

revision: str = "08a2468b8aad"
down_revision: str | None = "7471a11c4eb7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AREAS = (
    "training",
    "equipment",
    "funding",
    "infrastructure",
    "logistics",
    "knowledge",
    "deployment_support",
    "co_deployment",
)
NEED_TRACKS = ("military", "police", "civilian")
TRACKS = ("military", "police", "joint")
OPTIONS = ("diplomatic", "operational", "informal", "adhoc")
CATEGORIES = (
    "troops",
    "staff_officers",
    "military_observers",
    "formed_police_units",
    "individual_police",
    "experts_on_mission",
)

# Written out as they stand at this revision (the models build theirs from their label dictionaries), grouped by table.
LISTS: Lists = (
    ("body", "track", ("", *TRACKS)),
    ("capacity_need", "area", AREAS),
    ("capacity_need", "track", NEED_TRACKS),
    ("capacity_need", "priority", ("high", "medium", "low")),
    ("capacity_support", "area", AREAS),
    ("capacity_support", "track", NEED_TRACKS),
    ("contribution_report", "category", CATEGORIES),
    ("focal_point", "portfolio", ("defence", "police", "foreign_affairs")),
    ("member_state", "status", ("state", "territory", "associated_state")),
    ("option_switch", "option", OPTIONS),
    ("option_switch", "previous", ("", *OPTIONS)),
    ("pledge", "category", CATEGORIES),
    ("pledge", "readiness", ("level_1", "level_2", "level_3", "rapid")),
    ("training_offer", "track", ("military", "police", "civilian", "any")),
    ("working_group", "track", TRACKS),
)


def upgrade() -> None:
    add_checks(LISTS)


def downgrade() -> None:
    drop_checks(LISTS)
