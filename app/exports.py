"""What every CSV export shares: cells a spreadsheet would run as formulas are neutralised, and the file starts with
a UTF-8 byte order mark, so Excel reads "Sāpolu" and "ʻAna" as written (without it, it guesses a legacy encoding).

Dates in the cells stay ISO (2026-12-05): a CSV file is data for a spreadsheet, which sorts and reads those."""

from __future__ import annotations

from fastapi.responses import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def safe_cell(value: object) -> str:
    """The value as text; one starting like a formula is prefixed with an apostrophe, so it stays text."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(text: str, filename: str) -> Response:
    """A CSV file to download: UTF-8 with its byte order mark, never cached (it may name people)."""
    return Response(
        (BOM + text).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
