"""Office files are zip archives: one that would expand to hundreds of megabytes is refused before it is unpacked,
and refusing it takes little memory."""

from __future__ import annotations

import io
import random
import tracemalloc
import zipfile

import pytest

from app.core.config import get_settings
from app.core.errors import DomainError
from app.meetings import documents

MB = 1024 * 1024


def archive(members: dict[str, int], *, text: bool = False) -> bytes:
    """A zip archive whose members hold that many bytes (zeros, or words of a minutes' text), written a megabyte
    at a time so that no member is ever whole in memory."""
    words = random.Random(7).choices(["talanoa", "police", "deployment", "Suva", "Apia", "training", "SAAT"], k=MB)
    piece = " ".join(words).encode()[:MB] if text else bytes(MB)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as written:
        for name, size in members.items():
            with written.open(name, "w") as member:
                for _ in range(size // MB):
                    member.write(piece)
                member.write(piece[: size % MB])
    return buffer.getvalue()


def refusal(content: bytes, filename: str) -> tuple[DomainError, int]:
    """The refusal of storing `content`, and the most memory the attempt took."""
    tracemalloc.start()
    try:
        with pytest.raises(DomainError) as refused:
            documents.store(get_settings(), filename=filename, content=content)
        return refused.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("filename", "members"),
    [
        ("minutes.odt", {"mimetype": 300 * MB}),
        ("minutes.docx", {"[Content_Types].xml": 1024, "word/document.xml": 300 * MB}),
    ],
)
def test_an_archive_that_would_expand_hundreds_of_megabytes_is_refused_with_little_memory(
    filename: str, members: dict[str, int]
) -> None:
    content = archive(members)
    assert len(content) < 1 * MB

    error, peak = refusal(content, filename)

    assert error.status_code == 413
    assert "expands to far more than a document needs" in error.message
    assert peak < 20 * MB, f"refusing took {peak // MB} MB"


def test_an_archive_of_thousands_of_parts_is_refused() -> None:
    content = archive({"[Content_Types].xml": 1024, **{f"word/part{n}.xml": 10 for n in range(6000)}})
    error, _ = refusal(content, "minutes.docx")
    assert error.params["members"] == 6001


def test_an_ordinary_office_document_is_still_accepted() -> None:
    content = archive({"[Content_Types].xml": 1024, "word/document.xml": 3 * MB}, text=True)
    stored = documents.store(get_settings(), filename="minutes.docx", content=content)
    assert stored.filename == "minutes.docx"
