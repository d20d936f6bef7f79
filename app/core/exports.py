"""What every CSV export shares: cells a spreadsheet would run as formulas are neutralised, and the file starts with
a UTF-8 byte order mark, so Excel reads "Sāpolu" and "ʻAna" as written (without it, it guesses a legacy encoding).

Dates in the cells stay ISO (2026-12-05): a CSV file is data for a spreadsheet, which sorts and reads those."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from fastapi.responses import Response, StreamingResponse

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


def csv_stream(
    header: Sequence[object], chunks: Iterable[Iterable[Sequence[object]]], filename: str
) -> StreamingResponse:
    """A CSV file sent as it is written, one chunk of rows at a time, so a long export is never held whole in memory:
    the byte order mark and the header first, then each chunk's lines. Cells are written as given (pass them through
    `safe_cell`). Never cached, like `csv_response`."""

    def lines() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write(BOM)
        writer.writerow(header)
        for chunk in chunks:
            writer.writerows(chunk)
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
        if buffer.getvalue():
            yield buffer.getvalue().encode("utf-8")

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
