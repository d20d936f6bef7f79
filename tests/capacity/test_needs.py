"""Needs through the service: who records them for which state, what is refused and why, and their history."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.auth.models import User
from app.capacity import queries, service
from app.core import region
from app.core.config import get_settings
from app.core.errors import DomainError
from tests.capacity.conftest import counts, day, record_need
from tests.factories import make_user, state


def test_a_focal_point_records_a_need_of_their_state_with_its_first_history_entry(session: Session, fiji: User) -> None:
    need = record_need(session, fiji, state="")
    assert (need.state_id, need.status, need.area, need.track, need.priority) == (
        state(session, "FJ").id,
        "open",
        "training",
        "police",
        "high",
    )
    [(event, name)] = service.need_history(session, need)
    assert (event.status, event.by, name) == ("open", fiji.id, "Fiji Focal Point")
    entry = session.exec(select(AuditEntry).where(AuditEntry.entity == "capacity_need")).one()
    assert (entry.action, entry.entity_id, entry.actor_id) == ("create", str(need.id), fiji.id)


def test_a_focal_point_naming_another_state_is_refused_and_nothing_is_recorded(session: Session, samoa: User) -> None:
    before = counts(session)
    with pytest.raises(DomainError) as refused:
        record_need(session, samoa, state="FJ")
    assert refused.value.status_code == 403
    assert counts(session) == before


def test_coordinators_and_admins_record_for_any_state_but_must_choose_one(session: Session, coordinator: User) -> None:
    admin = make_user(session, role="admin", password=None)
    assert record_need(session, coordinator, state="TO").state_id == state(session, "TO").id
    assert record_need(session, admin, state="ws").state_id == state(session, "WS").id
    before = counts(session)
    for code in ("", "XX"):
        with pytest.raises(DomainError, match="Choose the state from the list."):
            record_need(session, coordinator, state=code)
    assert counts(session) == before


def test_observers_do_not_record_needs(session: Session, observer: User) -> None:
    with pytest.raises(DomainError) as refused:
        record_need(session, observer)
    assert refused.value.status_code == 403


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"area": "catering"}, "Choose an area from the list."),
        ({"track": "naval"}, "Choose a track from the list."),
        ({"priority": "urgent"}, "Choose a priority from the list."),
        ({"description": "   "}, "Describe the need in at most %(high)s characters."),
        ({"description": "x" * 5001}, "Describe the need in at most %(high)s characters."),
        ({"wanted_by": "next spring"}, "Give the date the need is wanted by as a date, or leave it empty."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_recorded(
    session: Session, fiji: User, change: dict[str, Any], message: str
) -> None:
    before = counts(session)
    with pytest.raises(DomainError) as refused:
        record_need(session, fiji, **change)
    assert refused.value.message == message
    assert refused.value.status_code == 400
    assert counts(session) == before


def test_a_need_may_have_no_wanted_by_date(session: Session, fiji: User) -> None:
    assert record_need(session, fiji, wanted_by="").wanted_by is None


def test_status_changes_are_appended_to_the_history_never_overwritten(
    session: Session, fiji: User, coordinator: User
) -> None:
    need = record_need(session, fiji)
    service.set_need_status(session, user=fiji, need=need, status="partly_met", note="Ten officers trained by NZ")
    service.set_need_status(session, user=coordinator, need=need, status="met")
    history = service.need_history(session, need)
    assert [(e.status, e.note, name) for e, name in history] == [
        ("open", "", "Fiji Focal Point"),
        ("partly_met", "Ten officers trained by NZ", "Fiji Focal Point"),
        ("met", "", "Network Coordinator"),
    ]
    assert need.status == "met"
    assert [
        e.action
        for e in session.exec(
            select(AuditEntry).where(AuditEntry.entity == "capacity_need").order_by(AuditEntry.id)
        ).all()
    ] == ["create", "status:partly_met", "status:met"]


def test_a_status_change_logs_one_line_with_ids_only(
    session: Session, fiji: User, caplog: pytest.LogCaptureFixture
) -> None:
    need = record_need(session, fiji, description="SAAT preparation for Sergeant Tavita")
    with caplog.at_level(logging.INFO, logger="prcn.audit"):
        service.set_need_status(session, user=fiji, need=need, status="partly_met", note="Ten officers trained by NZ")
    assert [(record.name, record.levelname, record.getMessage()) for record in caplog.records] == [
        (
            "prcn.audit",
            "INFO",
            f"actor={fiji.id} action=status:partly_met entity=capacity_need id={need.id} status=open->partly_met",
        )
    ]


@pytest.mark.parametrize(
    ("status", "note", "message"),
    [
        ("open", "", "The need is already “%(status)s”."),
        ("solved", "", "Choose a status from the list."),
        ("met", "x" * 501, "The note may have at most %(high)s characters."),
    ],
)
def test_a_status_change_that_makes_no_sense_is_refused_and_the_history_stays(
    session: Session, fiji: User, status: str, note: str, message: str
) -> None:
    need = record_need(session, fiji)
    before = counts(session)
    with pytest.raises(DomainError) as refused:
        service.set_need_status(session, user=fiji, need=need, status=status, note=note)
    assert refused.value.message == message
    session.rollback()
    assert counts(session) == before
    assert queries.get_need(session, need.id).status == "open"  # type: ignore[arg-type]


def test_a_focal_point_of_another_state_cannot_change_a_need_and_nothing_changes(
    session: Session, fiji: User, samoa: User
) -> None:
    need = record_need(session, fiji)
    before = counts(session)
    with pytest.raises(DomainError) as refused:
        service.set_need_status(session, user=samoa, need=need, status="withdrawn")
    assert refused.value.status_code == 403
    assert counts(session) == before
    assert queries.get_need(session, need.id).status == "open"  # type: ignore[arg-type]


def test_needs_of_a_state_come_most_pressing_first_and_only_open_ones_unless_asked(
    session: Session, fiji: User
) -> None:
    low = record_need(session, fiji, priority="low", description="Radio sets")
    later = record_need(session, fiji, priority="high", wanted_by=day(200), description="French courses")
    sooner = record_need(session, fiji, priority="high", wanted_by=day(20), description="SAAT")
    undated = record_need(session, fiji, priority="high", wanted_by="", description="Gender advisers")
    met = record_need(session, fiji, priority="high", description="Vehicles")
    service.set_need_status(session, user=fiji, need=met, status="met")
    partly = record_need(session, fiji, priority="medium", description="Medics")
    service.set_need_status(session, user=fiji, need=partly, status="partly_met")
    record_need(session, make_user(session, role="coordinator", password=None), state="WS")
    fiji_id = state(session, "FJ").id
    assert queries.needs_of_state(session, state_id=fiji_id) == [sooner, later, undated, partly, low]  # type: ignore[arg-type]
    assert met in queries.needs_of_state(session, state_id=fiji_id, open_only=False)  # type: ignore[arg-type]
    pressing = queries.pressing_needs(session, state_id=fiji_id, size=2)  # type: ignore[arg-type]
    assert (pressing.rows, pressing.total, pressing.more) == ([sooner, later], 5, 3)
    assert queries.pressing_needs(session, state_id=fiji_id, size=10).rows == [sooner, later, undated, partly, low]  # type: ignore[arg-type]


def test_an_unknown_need_is_not_found(session: Session) -> None:
    with pytest.raises(DomainError) as refused:
        queries.get_need(session, 999_999)
    assert refused.value.status_code == 404


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"Fiji SAAT", "Fiji radios", "Samoa medics", "Tonga vehicles"}),
        ({"state": "fj"}, {"Fiji SAAT", "Fiji radios"}),
        ({"area": "equipment"}, {"Fiji radios", "Tonga vehicles"}),
        ({"track": "military"}, {"Fiji radios"}),
        ({"status": "met"}, {"Tonga vehicles"}),
        ({"subregion": "polynesia"}, {"Samoa medics", "Tonga vehicles"}),
        ({"subregion": "melanesia", "area": "training"}, {"Fiji SAAT"}),
    ],
)
def test_the_list_of_needs_filters_by_state_area_track_status_and_subregion(
    session: Session, coordinator: User, filters: dict[str, str], expected: set[str]
) -> None:
    assert {state(session, "FJ").subregion, state(session, "WS").subregion} <= set(
        region.load(get_settings().seeds_dir).subregions
    )
    record_need(session, coordinator, description="Fiji SAAT")
    record_need(session, coordinator, area="equipment", track="military", description="Fiji radios")
    record_need(session, coordinator, state="WS", area="deployment_support", description="Samoa medics")
    vehicles = record_need(session, coordinator, state="TO", area="equipment", description="Tonga vehicles")
    service.set_need_status(session, user=coordinator, need=vehicles, status="met")
    rows = service.list_needs(session, filters=service.NeedFilters(**filters))
    assert {row.need.description for row in rows} == expected


def test_the_list_counts_the_support_answering_each_need_cancelled_support_left_out(
    session: Session, coordinator: User
) -> None:
    from tests.capacity.conftest import record_support

    need = record_need(session, coordinator)
    record_support(session, coordinator, provider_state="AU", need=str(need.id))
    cancelled = record_support(session, coordinator, provider_state="NZ", need=str(need.id))
    service.set_support_status(session, user=coordinator, support=cancelled, status="cancelled")
    [row] = service.list_needs(session, filters=service.NeedFilters(state="FJ"))
    assert row.supports == 1
