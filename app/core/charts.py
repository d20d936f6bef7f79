"""Geometry of the server-rendered SVG charts: where bars go and how long they are, from plain numbers. The
templates draw them and the domains say what the numbers are; the same numbers go in a table beside each chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT, MARGIN = 640, 240, 40
ROW_HEIGHT = 50  # one horizontal bar per row


@dataclass(frozen=True)
class Bar:
    """A vertical bar as the SVG draws it, with the words under and on it."""

    x: float
    y: float
    width: float
    height: float
    label: str
    value: str


@dataclass(frozen=True)
class Column:
    """One amount to draw as a vertical bar: its size, and the words under and on it."""

    amount: float
    label: str
    value: str


def columns(items: Sequence[Column]) -> list[Bar]:
    """One bar per item, side by side, scaled to the largest amount."""
    if not items:
        return []
    top = max(item.amount for item in items) or 1
    slot = (WIDTH - 2 * MARGIN) / len(items)
    bars = []
    for index, item in enumerate(items):
        height = (HEIGHT - 2 * MARGIN) * item.amount / top
        bars.append(
            Bar(
                x=round(MARGIN + index * slot + slot * 0.15, 1),
                y=round(HEIGHT - MARGIN - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                label=item.label,
                value=item.value,
            )
        )
    return bars


def grouped_columns(groups: Sequence[Sequence[Column]]) -> tuple[list[Bar], list[float]]:
    """The bars of each group side by side in the group's slot, all scaled to the largest amount, and the middle of
    each slot, where the group's label goes."""
    if not groups:
        return [], []
    top = max(max(item.amount for item in group) for group in groups) or 1
    slot = (WIDTH - 2 * MARGIN) / len(groups)
    bars, middles = [], []
    for index, group in enumerate(groups):
        left = MARGIN + index * slot + slot * 0.1
        width = slot * 0.8 / len(group)
        for position, item in enumerate(group):
            height = (HEIGHT - 2 * MARGIN) * item.amount / top
            bars.append(
                Bar(
                    round(left + position * width, 1),
                    round(HEIGHT - MARGIN - height, 1),
                    round(width * 0.9, 1),
                    round(height, 1),
                    item.label,
                    item.value,
                )
            )
        middles.append(round(MARGIN + index * slot + slot / 2, 1))
    return bars, middles


def row_top(index: int) -> int:
    """Where the row of a horizontal bar starts, counted from the top."""
    return MARGIN + index * ROW_HEIGHT


def length(amount: float, scale: float, span: float) -> float:
    """How long a horizontal bar for `amount` is when `scale` fills `span`."""
    return round(span * amount / scale, 1)


def position(amount: float, scale: float, span: float) -> float:
    """Where along the chart a mark at `amount` goes when `scale` fills `span` from the left margin."""
    return round(MARGIN + span * amount / scale, 1)
