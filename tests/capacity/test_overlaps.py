"""The overlap rule on plain rows, without a database: which supports overlap, as a coordinator reads them in the
view. Which needs past their date are left without support is the database's to find (tests/capacity/
test_deconfliction.py)."""

from __future__ import annotations

from datetime import date

from app.capacity.service import Placed, overlaps_of
from app.members.models import MemberState

FIJI_ID = 1
FIJI = MemberState(id=FIJI_ID, code="FJ", name_en="Fiji", name_fr="Fidji", subregion="melanesia")
STATES = {FIJI_ID: FIJI}
NAMES = {10: "Australia", 11: "New Zealand", 12: "Australia"}


def support(
    support_id: int, first: date, last: date, *, provider_state_id: int | None = None, organisation: str = ""
) -> Placed:
    """A support of Fiji's training, from a state (by id) or from an organisation."""
    return Placed(support_id, FIJI_ID, "training", provider_state_id, organisation, first, last)


def test_two_providers_supporting_one_need_at_once_overlap_on_the_days_they_share() -> None:
    australia = support(10, date(2027, 3, 1), date(2027, 3, 31), provider_state_id=2)
    new_zealand = support(11, date(2027, 3, 20), date(2027, 4, 30), provider_state_id=3)

    [overlap] = overlaps_of([new_zealand, australia], NAMES, STATES)

    assert (overlap.state.code, overlap.area) == ("FJ", "training")
    assert (overlap.first_provider, overlap.second_provider) == ("Australia", "New Zealand")
    assert (overlap.starts_on, overlap.ends_on) == (date(2027, 3, 20), date(2027, 3, 31))


def test_supports_whose_periods_do_not_meet_do_not_overlap() -> None:
    march = support(10, date(2027, 3, 1), date(2027, 3, 31), provider_state_id=2)
    april = support(11, date(2027, 4, 1), date(2027, 4, 30), provider_state_id=3)

    assert overlaps_of([march, april], NAMES, STATES) == []


def test_two_supports_of_the_same_provider_do_not_overlap() -> None:
    first = support(10, date(2027, 3, 1), date(2027, 3, 31), organisation="Pacific Police Network")
    second = support(12, date(2027, 3, 15), date(2027, 4, 15), organisation=" pacific police network")

    assert overlaps_of([first, second], NAMES, STATES) == []
