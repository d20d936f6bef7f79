"""What the training reports' charts show, from the courses' yearly figures; the geometry is core's."""

from __future__ import annotations

from app.core import charts
from app.core.charts import MARGIN, WIDTH, Bar, Column
from app.training.service import YearRow

SERIES = ("offered", "nominated", "filled")
SHARE_TOP = 0.5  # the bars run to a women's share of 50%, and stop there


def seats_chart(years: list[YearRow]) -> tuple[list[Bar], list[tuple[float, int]]]:
    """Three bars per year (seats offered, nominated, filled; the series is the bar's label) scaled to the
    largest, and where each year's label goes."""
    groups = [[_column(year, series) for series in SERIES] for year in years]
    bars, middles = charts.grouped_columns(groups)
    return bars, [(middle, year.year) for middle, year in zip(middles, years, strict=True)]


def _column(year: YearRow, series: str) -> Column:
    """One year's seats of one series; the series names the bar."""
    value = getattr(year, series)
    return Column(value, series, str(value))


def share_chart(years: list[YearRow]) -> list[dict[str, object]]:
    """Per year, the women's share among nominated and among accepted people, as bar widths out of 50%."""
    span = WIDTH - 2 * MARGIN - 120
    rows: list[dict[str, object]] = []
    for index, year in enumerate(years):
        nominated, filled = year.nominated_share.share, year.filled_share.share
        rows.append(
            {
                "y": charts.row_top(index),
                "year": year.year,
                "nominated": charts.length(min(nominated or 0, SHARE_TOP), SHARE_TOP, span),
                "filled": charts.length(min(filled or 0, SHARE_TOP), SHARE_TOP, span),
                "nominated_share": nominated,
                "filled_share": filled,
            }
        )
    return rows
