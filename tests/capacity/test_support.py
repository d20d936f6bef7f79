"""Support through the service: whose name it is given in, what it answers, the period, the kinds of support,
the link to a training offer, and who moves it along its life."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.auth.models import User
from app.capacity import queries, service
from app.core.config import get_settings
from app.core.errors import DomainError
from app.training import service as training
from tests.capacity.conftest import DPO, counts, day, record_need, record_support
from tests.factories import make_user, state
from tests.training.conftest import offer_form


def test_a_focal_point_gives_support_in_their_own_states_name_whatever_the_form_says(
    session: Session, samoa: User
) -> None:
    support = record_support(session, samoa, provider_state="AU", provider_organisation="Someone else")
    assert (support.provider_state_id, support.provider_organisation) == (state(session, "WS").id, "")
    [(event, name)] = service.support_history(session, support)
    assert (event.status, name) == ("planned", "Samoa Focal Point")
    entry = session.exec(select(AuditEntry).where(AuditEntry.entity == "capacity_support")).one()
    assert (entry.action, entry.entity_id) == ("create", str(support.id))


def test_an_observer_gives_support_in_their_organisations_name(session: Session, observer: User) -> None:
    support = record_support(session, observer, provider_state="AU", provider_organisation="Another donor")
    assert (support.provider_state_id, support.provider_organisation) == (None, DPO)


def test_an_observer_whose_account_names_no_organisation_is_told_and_nothing_is_recorded(session: Session) -> None:
    nameless = make_user(session, role="observer", password=None)
    before = counts(session)
    with pytest.raises(DomainError, match="names no organisation"):
        record_support(session, nameless)
    assert counts(session) == before


def test_coordinators_choose_a_providing_state_or_name_an_organisation(session: Session, coordinator: User) -> None:
    assert record_support(session, coordinator, provider_state="nz").provider_state_id == state(session, "NZ").id
    by_name = record_support(session, coordinator, provider_organisation="  Japan International Cooperation Agency ")
    assert (by_name.provider_state_id, by_name.provider_organisation) == (
        None,
        "Japan International Cooperation Agency",
    )
    before = counts(session)
    for fields in ({}, {"provider_state": "XX", "provider_organisation": "Anyone"}):
        with pytest.raises(DomainError, match="Choose the state giving the support or name the organisation."):
            record_support(session, coordinator, **fields)
    assert counts(session) == before


def test_support_for_a_need_takes_the_needs_area_and_track(session: Session, fiji: User, observer: User) -> None:
    need = record_need(session, fiji, area="deployment_support", track="military")
    support = record_support(session, observer, need=str(need.id), area="funding", track="civilian")
    assert (support.need_id, support.area, support.track) == (need.id, "deployment_support", "military")
    without_state = record_support(session, observer, need=str(need.id), recipient_state="")
    assert without_state.recipient_state_id == need.state_id


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"starts_on": day(30), "ends_on": day(29)}, "The support period ends before it starts."),
        ({"starts_on": "soon"}, "Give the first day of the support as a date."),
        ({"ends_on": ""}, "Give the last day of the support as a date."),
        ({"recipient_state": "XX"}, "Choose the receiving state from the list."),
        ({"area": "catering"}, "Choose an area from the list."),
        ({"track": ""}, "Choose a track from the list."),
        ({"kind": "advice"}, "Choose a kind of support from the list."),
        ({"kind": "funding"}, "Funding needs a whole amount from 1 to %(high)s."),
        ({"kind": "funding", "amount": "0", "currency": "AUD"}, "Funding needs a whole amount from 1 to %(high)s."),
        ({"kind": "funding", "amount": "-500", "currency": "AUD"}, "Funding needs a whole amount from 1 to %(high)s."),
        (
            {"kind": "funding", "amount": "1500.50", "currency": "AUD"},
            "Funding needs a whole amount from 1 to %(high)s.",
        ),
        (
            {"kind": "funding", "amount": "3000000000", "currency": "JPY"},
            "Funding needs a whole amount from 1 to %(high)s.",
        ),
        (
            {"kind": "funding", "amount": "50000", "currency": ""},
            "Give the currency as its three-letter ISO 4217 code, such as AUD, NZD, USD, EUR or JPY.",
        ),
        (
            {"kind": "funding", "amount": "50000", "currency": "ABC"},
            "Give the currency as its three-letter ISO 4217 code, such as AUD, NZD, USD, EUR or JPY.",
        ),
        (
            {"kind": "funding", "amount": "50000", "currency": "dollars"},
            "Give the currency as its three-letter ISO 4217 code, such as AUD, NZD, USD, EUR or JPY.",
        ),
        ({"status": "cancelled"}, "Choose a status from the list."),
        ({"description": "x" * 5001}, "The description may have at most %(high)s characters."),
        ({"need": "999999"}, "No such need."),
        ({"need": "first"}, "No such need."),
        ({"training_offer": "999999"}, "No such training offer."),
    ],
)
def test_bad_support_is_refused_with_a_clear_message_and_nothing_is_recorded(
    session: Session, observer: User, change: dict[str, Any], message: str
) -> None:
    before = counts(session)
    with pytest.raises(DomainError) as refused:
        record_support(session, observer, **change)
    assert refused.value.message == message
    assert refused.value.status_code == 400
    assert counts(session) == before


def test_support_for_a_need_of_another_state_is_refused_and_nothing_is_recorded(
    session: Session, fiji: User, observer: User
) -> None:
    need = record_need(session, fiji)
    before = counts(session)
    with pytest.raises(DomainError, match="The need chosen is not a need of the receiving state."):
        record_support(session, observer, need=str(need.id), recipient_state="WS")
    assert counts(session) == before


def test_support_for_a_withdrawn_need_is_refused(session: Session, fiji: User, observer: User) -> None:
    need = record_need(session, fiji)
    service.set_need_status(session, user=fiji, need=need, status="withdrawn")
    with pytest.raises(DomainError, match="This need has been withdrawn."):
        record_support(session, observer, need=str(need.id))


def test_a_one_day_support_and_funding_in_any_iso_currency_are_taken(session: Session, observer: User) -> None:
    one_day = record_support(session, observer, starts_on=day(10), ends_on=day(10))
    assert one_day.starts_on == one_day.ends_on
    pacific_franc = record_support(session, observer, kind="funding", amount="2 500 000", currency="xpf")
    assert (pacific_franc.amount, pacific_franc.currency) == (2_500_000, "XPF")
    trainers = record_support(session, observer, kind="trainers", amount="900", currency="AUD")
    assert (trainers.amount, trainers.currency) == (None, "")


def test_support_may_point_to_a_training_offer_the_provider_can_see(session: Session, coordinator: User) -> None:
    provider = make_user(session, role="focal_point", member_state_id=state(session, "FJ").id, password=None)
    published = training.create_offer(session, user=provider, form=offer_form())
    training.set_status(session, get_settings(), user=provider, offer=published, status="published")
    draft = training.create_offer(session, user=provider, form=offer_form(title="Not yet published"))
    observer = make_user(session, role="observer", password=None, organisation=DPO)
    linked = record_support(session, observer, kind="course_places", training_offer=str(published.id))
    assert linked.training_offer_id == published.id
    assert service.visible_offer(session, linked, observer) == published
    before = counts(session)
    with pytest.raises(DomainError, match="No such training offer."):
        record_support(session, observer, kind="course_places", training_offer=str(draft.id))
    assert counts(session) == before
    assert record_support(session, provider, training_offer=str(draft.id)).training_offer_id == draft.id


def test_the_provider_moves_support_along_its_life_and_each_step_is_kept(
    session: Session, samoa: User, coordinator: User
) -> None:
    support = record_support(session, samoa)
    service.set_support_status(session, user=samoa, support=support, status="under_way", note="Trainers arrived")
    service.set_support_status(session, user=coordinator, support=support, status="completed")
    assert [(e.status, e.note, name) for e, name in service.support_history(session, support)] == [
        ("planned", "", "Samoa Focal Point"),
        ("under_way", "Trainers arrived", "Samoa Focal Point"),
        ("completed", "", "Network Coordinator"),
    ]


@pytest.mark.parametrize(
    ("now", "wanted"),
    [("completed", "cancelled"), ("cancelled", "planned"), ("under_way", "planned"), ("planned", "planned")],
)
def test_support_cannot_go_back_or_leave_a_final_status(
    session: Session, coordinator: User, now: str, wanted: str
) -> None:
    support = record_support(
        session, coordinator, provider_state="AU", status="under_way" if now != "planned" else "planned"
    )
    if now in ("completed", "cancelled"):
        service.set_support_status(session, user=coordinator, support=support, status=now)
    before = counts(session)
    with pytest.raises(DomainError, match="This support cannot go from"):
        service.set_support_status(session, user=coordinator, support=support, status=wanted)
    session.rollback()
    assert counts(session) == before


def test_only_the_provider_side_coordinators_and_admins_change_support(
    session: Session, fiji: User, samoa: User, observer: User
) -> None:
    by_samoa = record_support(session, samoa)
    by_dpo = record_support(session, observer)
    colleague = make_user(session, role="observer", password=None, organisation=DPO.upper())
    other_partner = make_user(session, role="observer", password=None, organisation="Another donor")
    before = counts(session)
    for user, support in (
        (fiji, by_samoa),
        (observer, by_samoa),
        (fiji, by_dpo),
        (samoa, by_dpo),
        (other_partner, by_dpo),
    ):
        with pytest.raises(DomainError) as refused:
            service.set_support_status(session, user=user, support=support, status="cancelled")
        assert refused.value.status_code == 403
    assert counts(session) == before
    service.set_support_status(session, user=colleague, support=by_dpo, status="under_way")
    assert by_dpo.status == "under_way"


def test_support_for_a_state_lists_what_it_receives_soonest_first(session: Session, coordinator: User) -> None:
    later = record_support(session, coordinator, provider_state="AU", starts_on=day(60), ends_on=day(70))
    sooner = record_support(session, coordinator, provider_state="NZ", starts_on=day(5), ends_on=day(7))
    ended = record_support(session, coordinator, provider_state="NZ", starts_on=day(-90), ends_on=day(-30))
    record_support(session, coordinator, provider_state="AU", recipient_state="WS")
    fiji_id = state(session, "FJ").id
    assert fiji_id is not None
    shown = queries.current_support(session, state_id=fiji_id, ended_since=date.today(), size=5)
    assert (shown.rows, shown.total, shown.more) == ([sooner, later], 2, 0)
    first = queries.current_support(session, state_id=fiji_id, ended_since=date.today(), size=1)
    assert (first.rows, first.total, first.more) == ([sooner], 2, 1)
    a_year_ago = date.today() - timedelta(days=365)
    everything = queries.current_support(session, state_id=fiji_id, ended_since=a_year_ago, size=5)
    assert everything.rows == [ended, sooner, later]
    assert sooner.starts_on == date.today() + timedelta(days=5)
