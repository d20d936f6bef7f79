"""Geometry of the training reports' SVG charts; the same numbers go in a table beside each."""

from __future__ import annotations

from app.members.charts import HEIGHT, MARGIN, WIDTH, Bar
from app.training.service import YearRow

SERIES = ("offered", "nominated", "filled")


def seats_chart(years: list[YearRow]) -> tuple[list[Bar], list[tuple[float, int]]]:
    """Three bars per year (seats offered, nominated, filled; the series is the bar's label) scaled to the
    largest, and where each year's label goes."""
    if not years:
        return [], []
    top = max(max(y.offered, y.nominated, y.filled) for y in years) or 1
    slot = (WIDTH - 2 * MARGIN) / len(years)
    bars, labels = [], []
    for index, year in enumerate(years):
        left = MARGIN + index * slot + slot * 0.1
        width = slot * 0.8 / len(SERIES)
        for position, series in enumerate(SERIES):
            value = getattr(year, series)
            height = (HEIGHT - 2 * MARGIN) * value / top
            bars.append(
                Bar(
                    round(left + position * width, 1),
                    round(HEIGHT - MARGIN - height, 1),
                    round(width * 0.9, 1),
                    round(height, 1),
                    series,
                    str(value),
                )
            )
        labels.append((round(MARGIN + index * slot + slot / 2, 1), year.year))
    return bars, labels


def share_chart(years: list[YearRow]) -> list[dict[str, object]]:
    """Per year, the women's share among nominated and among accepted people, as bar widths out of 50%."""
    span = WIDTH - 2 * MARGIN - 120
    rows: list[dict[str, object]] = []
    for index, year in enumerate(years):
        nominated, filled = year.nominated_share.share, year.filled_share.share
        rows.append(
            {
                "y": MARGIN + index * 50,
                "year": year.year,
                "nominated": round(span * min(nominated or 0, 0.5) / 0.5, 1),
                "filled": round(span * min(filled or 0, 0.5) / 0.5, 1),
                "nominated_share": nominated,
                "filled_share": filled,
            }
        )
    return rows
