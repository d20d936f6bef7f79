"""What the contributions page's charts show, from the members' figures; the geometry is core's."""

from __future__ import annotations

from app.core import charts, formats
from app.core.charts import MARGIN, WIDTH, Bar, Column
from app.members.queries import SeriesPoint, WomenShare


def series_chart(series: list[SeriesPoint]) -> list[Bar]:
    """One bar per date, scaled to the largest total, labelled in the page's language."""
    return charts.columns(
        [Column(point.personnel, formats.day(point.as_of), formats.number(point.personnel)) for point in series]
    )


def share_chart(shares: list[WomenShare]) -> list[dict[str, object]]:
    """One horizontal bar per target: the share reached (when known) and a mark at the target."""
    span = WIDTH - 2 * MARGIN
    scale = max([0.25] + [s.target for s in shares] + [s.share or 0 for s in shares])
    return [
        {
            "y": charts.row_top(index),
            "label": share.label,
            "width": charts.length(share.share or 0, scale, span),
            "target_x": charts.position(share.target, scale, span),
            "share": share.share,
            "target": share.target,
        }
        for index, share in enumerate(shares)
    ]
