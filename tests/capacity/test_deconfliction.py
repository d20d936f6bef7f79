"""The deconfliction view through the service and its CSV: open needs per state and area, overlapping support from
different providers, needs left without support past their date, and the filters."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app.auth.models import User
from app.capacity import service
from app.core.config import get_settings
from tests.capacity.conftest import DPO, past_due, record_need, record_support
from tests.factories import make_user, sign_in, state

START = date.today() + timedelta(days=30)


def period(first: int, last: int) -> dict[str, str]:
    """Days `first` to `last` counted from START."""
    return {
        "starts_on": (START + timedelta(days=first)).isoformat(),
        "ends_on": (START + timedelta(days=last)).isoformat(),
    }


def view(session: Session, **filters: Any) -> service.Deconfliction:
    return service.deconfliction(session, get_settings(), **filters)


def cell(result: service.Deconfliction, code: str, area: str) -> service.Cell:
    [row] = [row for row in result.rows if row.state.code == code]
    return row.cells[area]


def overlapping(result: service.Deconfliction) -> set[tuple[str, str, str, str]]:
    return {(o.state.code, o.area, *sorted((o.first_provider, o.second_provider))) for o in result.overlaps}  # type: ignore[misc]


def test_a_cell_counts_the_open_needs_with_the_highest_priority_and_lists_the_providers(
    session: Session, coordinator: User
) -> None:
    record_need(session, coordinator, priority="low")
    record_need(session, coordinator, priority="medium")
    met = record_need(session, coordinator, priority="high")
    service.set_need_status(session, user=coordinator, need=met, status="met")
    partly = record_need(session, coordinator, priority="low", track="military")
    service.set_need_status(session, user=coordinator, need=partly, status="partly_met")
    record_support(session, coordinator, provider_state="AU")
    record_support(session, coordinator, provider_organisation=DPO, **period(100, 110))
    result = view(session)
    training = cell(result, "FJ", "training")
    assert (training.open_needs, training.highest) == (3, "medium")
    assert training.providers == ["Australia", DPO]
    assert cell(result, "FJ", "equipment").empty


@pytest.mark.parametrize(
    ("first", "second", "overlaps"),
    [
        ((0, 10), (5, 15), True),
        ((0, 10), (10, 20), True),  # touching: both give support on day 10
        ((0, 10), (11, 20), False),  # one after the other
        ((0, 30), (10, 12), True),  # one inside the other
        ((10, 10), (10, 10), True),  # the same single day
    ],
)
def test_two_providers_in_the_same_state_and_area_overlap_when_their_periods_share_a_day(
    session: Session, coordinator: User, first: tuple[int, int], second: tuple[int, int], overlaps: bool
) -> None:
    record_support(session, coordinator, provider_state="AU", **period(*first))
    record_support(session, coordinator, provider_state="NZ", **period(*second))
    result = view(session)
    assert cell(result, "FJ", "training").overlap is overlaps
    assert overlapping(result) == ({("FJ", "training", "Australia", "New Zealand")} if overlaps else set())


def test_cancelled_support_the_same_provider_twice_another_area_or_another_state_is_no_overlap(
    session: Session, coordinator: User
) -> None:
    record_support(session, coordinator, provider_state="AU", **period(0, 10))
    record_support(
        session, coordinator, provider_state="AU", kind="funding", amount="1000", currency="AUD", **period(0, 10)
    )
    cancelled = record_support(session, coordinator, provider_state="NZ", **period(0, 10))
    service.set_support_status(session, user=coordinator, support=cancelled, status="cancelled")
    record_support(session, coordinator, provider_state="JP", area="equipment", **period(0, 10))
    record_support(session, coordinator, provider_state="NZ", recipient_state="WS", **period(0, 10))
    record_support(session, coordinator, provider_organisation="un department of peace operations", **period(20, 30))
    record_support(session, coordinator, provider_organisation=DPO, **period(25, 35))
    result = view(session)
    assert result.overlaps == []
    assert not any(c.overlap for row in result.rows for c in row.cells.values())


def test_completed_support_still_overlaps_and_three_providers_give_each_pair(
    session: Session, coordinator: User
) -> None:
    done = record_support(session, coordinator, provider_state="AU", **period(0, 10))
    service.set_support_status(session, user=coordinator, support=done, status="completed")
    record_support(session, coordinator, provider_state="NZ", **period(5, 15))
    record_support(session, coordinator, provider_organisation=DPO, **period(8, 9))
    assert overlapping(view(session)) == {
        ("FJ", "training", "Australia", "New Zealand"),
        ("FJ", "training", "Australia", DPO),
        ("FJ", "training", "New Zealand", DPO),
    }


def test_a_long_support_overlaps_each_later_one_it_spans_and_a_short_one_between_overlaps_none(
    session: Session, coordinator: User
) -> None:
    record_support(session, coordinator, provider_state="AU", **period(0, 100))
    record_support(session, coordinator, provider_state="NZ", **period(10, 12))
    record_support(session, coordinator, provider_organisation=DPO, **period(50, 60))
    record_support(session, coordinator, provider_state="AU", **period(55, 56))  # Australia again: no overlap
    result = view(session)
    assert overlapping(result) == {
        ("FJ", "training", "Australia", "New Zealand"),
        ("FJ", "training", "Australia", DPO),
    }
    assert len(result.overlaps) == 3  # Australia's long support and its short one each meet the DPO's
    assert [(o.starts_on, o.ends_on) for o in result.overlaps] == [
        (START + timedelta(days=10), START + timedelta(days=12)),
        (START + timedelta(days=50), START + timedelta(days=60)),
        (START + timedelta(days=55), START + timedelta(days=56)),
    ]


def test_a_need_past_its_date_with_no_support_is_a_gap(session: Session, coordinator: User) -> None:
    open_need = past_due(session, record_need(session, coordinator))
    partly = past_due(session, record_need(session, coordinator, state="WS", area="logistics"))
    service.set_need_status(session, user=coordinator, need=partly, status="partly_met")
    result = view(session)
    assert [(gap.state.code, gap.need.id) for gap in result.gaps] == [("FJ", open_need.id), ("WS", partly.id)]
    assert cell(result, "FJ", "training").gap and cell(result, "WS", "logistics").gap


def test_met_withdrawn_undated_not_yet_due_and_supported_needs_are_no_gaps(session: Session, coordinator: User) -> None:
    met = past_due(session, record_need(session, coordinator, area="equipment"))
    service.set_need_status(session, user=coordinator, need=met, status="met")
    withdrawn = past_due(session, record_need(session, coordinator, area="logistics"))
    service.set_need_status(session, user=coordinator, need=withdrawn, status="withdrawn")
    record_need(session, coordinator, area="funding", wanted_by="")
    record_need(session, coordinator, area="knowledge", wanted_by=date.today().isoformat())
    answered = past_due(session, record_need(session, coordinator, area="infrastructure"))
    record_support(session, coordinator, provider_state="AU", need=str(answered.id))
    past_due(session, record_need(session, coordinator, area="co_deployment", state="TO"))
    record_support(session, coordinator, provider_state="NZ", recipient_state="TO", area="co_deployment")
    assert view(session, today=date.today()).gaps == []


def test_a_need_whose_only_support_is_cancelled_or_elsewhere_is_a_gap(session: Session, coordinator: User) -> None:
    need = past_due(session, record_need(session, coordinator))
    cancelled = record_support(session, coordinator, provider_state="AU", need=str(need.id))
    service.set_support_status(session, user=coordinator, support=cancelled, status="cancelled")
    record_support(session, coordinator, provider_state="NZ", area="equipment")
    record_support(session, coordinator, provider_state="NZ", recipient_state="WS")
    assert [gap.need.id for gap in view(session).gaps] == [need.id]


def test_the_track_filter_narrows_needs_and_support_to_one_track(session: Session, coordinator: User) -> None:
    record_need(session, coordinator, track="police")
    record_need(session, coordinator, track="military")
    record_support(session, coordinator, provider_state="AU", track="military", **period(0, 10))
    record_support(session, coordinator, provider_state="NZ", track="police", **period(0, 10))
    assert overlapping(view(session)) == {("FJ", "training", "Australia", "New Zealand")}
    police = view(session, track="police")
    assert police.overlaps == []
    assert (cell(police, "FJ", "training").open_needs, cell(police, "FJ", "training").providers) == (1, ["New Zealand"])


def test_the_subregion_filter_keeps_its_states_and_an_unknown_one_is_ignored(
    session: Session, coordinator: User
) -> None:
    record_need(session, coordinator, state="FJ")
    record_need(session, coordinator, state="WS")
    assert {row.state.code for row in view(session, subregion="polynesia").rows} == {"WS"}
    assert {row.state.code for row in view(session, subregion="atlantis").rows} == {"FJ", "WS"}


def test_the_provider_filter_keeps_the_states_it_supports_and_its_own_overlaps(
    session: Session, coordinator: User
) -> None:
    record_support(session, coordinator, provider_state="AU", **period(0, 10))
    record_support(session, coordinator, provider_state="NZ", **period(0, 10))
    record_support(session, coordinator, provider_state="NZ", recipient_state="WS", **period(0, 10))
    record_support(session, coordinator, provider_state="JP", recipient_state="WS", **period(0, 10))
    record_support(session, coordinator, provider_organisation=DPO, recipient_state="TO")
    australia = view(session, provider="au")
    assert {row.state.code for row in australia.rows} == {"FJ"}
    assert overlapping(australia) == {("FJ", "training", "Australia", "New Zealand")}
    assert {row.state.code for row in view(session, provider=DPO.lower()).rows} == {"TO"}
    assert ("AU", "Australia") in view(session).providers and (DPO, DPO) in view(session).providers


def test_names_follow_the_language(session: Session, coordinator: User) -> None:
    record_support(session, coordinator, provider_state="NZ", recipient_state="NC", area="knowledge")
    result = view(session, language="fr")
    assert result.rows[0].state.name("fr") == "Nouvelle-Calédonie"
    assert cell(result, "NC", "knowledge").providers == ["Nouvelle-Zélande"]


# The CSV export


def rows_of(text: str) -> list[list[str]]:
    """The CSV file's rows; it opens with the byte order mark that tells Excel it is UTF-8."""
    assert text.startswith("\ufeff"), "the CSV has no byte order mark"
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_csv_is_utf8_with_a_byte_order_mark_so_excel_keeps_pacific_names(
    client: Any, session: Session, coordinator: User
) -> None:
    record_need(session, coordinator, area="equipment")
    record_support(session, coordinator, provider_organisation="ʻAna Sāpolu Foundation", area="equipment")
    sign_in(client, session, coordinator)
    body = client.get("/deconfliction.csv").content
    assert body.startswith(b"\xef\xbb\xbf")
    assert "ʻAna Sāpolu Foundation".encode() in body
    assert any("ʻAna Sāpolu Foundation" in row[5] for row in rows_of(body.decode("utf-8")))


def test_the_csv_has_the_views_cells_with_the_same_filters(client: Any, session: Session, coordinator: User) -> None:
    past_due(session, record_need(session, coordinator, priority="high"))
    record_need(session, coordinator, state="WS", area="logistics", priority="low")
    record_support(session, coordinator, provider_state="AU", area="equipment", **period(0, 10))
    record_support(session, coordinator, provider_state="NZ", area="equipment", **period(5, 15))
    sign_in(client, session, coordinator)
    response = client.get("/deconfliction.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    header, *lines = rows_of(response.text)
    assert header == ["State", "Subregion", "Area", "Open needs", "Highest priority", "Providers", "Overlap", "Gap"]
    assert lines == [
        ["Fiji", "Melanesia", "Training", "1", "High", "", "", "Yes"],
        ["Fiji", "Melanesia", "Equipment", "0", "", "Australia; New Zealand", "Yes", ""],
        ["Samoa", "Polynesia", "Logistics", "1", "Low", "", "", ""],
    ]
    _header, *polynesia = rows_of(client.get("/deconfliction.csv?subregion=polynesia").text)
    assert polynesia == [["Samoa", "Polynesia", "Logistics", "1", "Low", "", "", ""]]
    _header, *by_australia = rows_of(client.get("/deconfliction.csv?provider=AU").text)
    assert [line[:3] for line in by_australia] == [
        ["Fiji", "Melanesia", "Training"],
        ["Fiji", "Melanesia", "Equipment"],
    ]


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(
    client: Any, session: Session, coordinator: User
) -> None:
    risky = '=HYPERLINK("http://evil.example","Click")'
    record_support(session, coordinator, provider_organisation=risky)
    record_support(session, coordinator, provider_organisation="@SUM(1+1)", area="equipment")
    sign_in(client, session, coordinator)
    _header, *lines = rows_of(client.get("/deconfliction.csv").text)
    providers = {line[5] for line in lines}
    assert providers == {"'" + risky, "'@SUM(1+1)"}


def test_the_csv_is_in_the_coordinators_language(client: Any, session: Session) -> None:
    coordinator = make_user(session, role="coordinator", password=None, language="fr")
    record_need(session, coordinator, state="NC", area="knowledge", priority="high")
    sign_in(client, session, coordinator)
    header, line = rows_of(client.get("/deconfliction.csv").text)
    assert line[:2] == ["Nouvelle-Calédonie", "Mélanésie"]
    assert header[0] == "État"
    assert line[2] == "Connaissances et partage d’informations"
    assert state(session, "NC").subregion == "melanesia"
