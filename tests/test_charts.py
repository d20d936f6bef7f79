"""The charts' geometry, from plain numbers: no database, no domain."""

from __future__ import annotations

from app.core import charts
from app.core.charts import Bar, Column


def test_columns_share_the_width_and_the_largest_amount_fills_the_height() -> None:
    bars = charts.columns([Column(5, "2024", "5"), Column(10, "2025", "10")])
    assert bars == [
        Bar(x=82.0, y=120.0, width=196.0, height=80.0, label="2024", value="5"),
        Bar(x=362.0, y=40.0, width=196.0, height=160.0, label="2025", value="10"),
    ]


def test_no_amount_draws_no_bar_and_all_zero_draws_flat_bars() -> None:
    assert charts.columns([]) == []
    assert charts.grouped_columns([]) == ([], [])
    assert [bar.height for bar in charts.columns([Column(0, "a", "0"), Column(0, "b", "0")])] == [0.0, 0.0]


def test_grouped_columns_stand_side_by_side_with_the_label_in_the_middle_of_the_slot() -> None:
    bars, middles = charts.grouped_columns([[Column(4, "offered", "4"), Column(2, "filled", "2")]])
    assert [(bar.x, bar.height, bar.label) for bar in bars] == [(96.0, 160.0, "offered"), (320.0, 80.0, "filled")]
    assert {bar.width for bar in bars} == {201.6}
    assert middles == [320.0]


def test_horizontal_bars_run_along_the_rows() -> None:
    assert [charts.row_top(index) for index in range(3)] == [40, 90, 140]
    assert charts.length(0.25, 0.5, 400) == 200.0
    assert charts.position(0.5, 0.5, 400) == 440.0
