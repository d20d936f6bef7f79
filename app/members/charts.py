"""Geometry of the server-rendered SVG charts; the templates draw them, the same numbers go in a table."""

from __future__ import annotations

from dataclasses import dataclass

from app.core import formats
from app.members.service import SeriesPoint, WomenShare

WIDTH, HEIGHT, MARGIN = 640, 240, 40


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str


def series_chart(series: list[SeriesPoint]) -> list[Bar]:
    """One bar per date, scaled to the largest total, labelled in the page's language."""
    if not series:
        return []
    top = max(point.personnel for point in series) or 1
    slot = (WIDTH - 2 * MARGIN) / len(series)
    bars = []
    for index, point in enumerate(series):
        height = (HEIGHT - 2 * MARGIN) * point.personnel / top
        bars.append(
            Bar(
                x=round(MARGIN + index * slot + slot * 0.15, 1),
                y=round(HEIGHT - MARGIN - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                label=formats.day(point.as_of),
                value=formats.number(point.personnel),
            )
        )
    return bars


def share_chart(shares: list[WomenShare]) -> list[dict[str, object]]:
    """One horizontal bar per target: the share reached (when known) and a mark at the target."""
    rows = []
    span = WIDTH - 2 * MARGIN
    scale = max([0.25] + [s.target for s in shares] + [s.share or 0 for s in shares])
    for index, share in enumerate(shares):
        rows.append(
            {
                "y": MARGIN + index * 50,
                "label": share.label,
                "width": round(span * (share.share or 0) / scale, 1),
                "target_x": round(MARGIN + span * share.target / scale, 1),
                "share": share.share,
                "target": share.target,
            }
        )
    return rows
