"""What every CSV export shares: cells a spreadsheet would run as formulas are neutralised."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The value as text; one starting like a formula is prefixed with an apostrophe, so it stays text."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
