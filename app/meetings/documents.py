"""Uploaded files: size and type checked by their content, stored under var/ by their SHA-256."""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from app.core.config import Settings
from app.core.errors import DomainError, FileSize, Quantity
from app.core.i18n import N_

# Kinds of file a written update or an attachment may be, told apart by their first bytes.
KINDS = {
    "pdf": ("application/pdf", ".pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
    "odt": ("application/vnd.oasis.opendocument.text", ".odt"),
    "png": ("image/png", ".png"),
    "jpeg": ("image/jpeg", ".jpg"),
    "txt": ("text/plain", ".txt"),
}
OFFICE_PARTS = {"word/": "docx", "xl/": "xlsx", "ppt/": "pptx"}


@dataclass(frozen=True)
class StoredFile:
    filename: str
    media_type: str
    size: int
    sha256: str


def sniff(content: bytes) -> str | None:
    """The kind of a file from its content, or None when it is none of the accepted kinds."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content.startswith(b"PK\x03\x04"):
        return _zip_kind(content)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "txt" if "\x00" not in text else None


# An office file is a zip archive; these caps refuse a "zip bomb" before a single member is expanded.
ARCHIVE_MEMBERS = 5_000
ARCHIVE_EXPANDED = 100 * 1024 * 1024
ARCHIVE_RATIO = 100  # of a member's expanded size to its compressed size, past its first megabyte


def _zip_kind(content: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            _check_archive(members)
            names = [member.filename for member in members]
            if "mimetype" in names:
                with archive.open("mimetype") as stream:
                    if stream.read(64) == b"application/vnd.oasis.opendocument.text":
                        return "odt"
    except zipfile.BadZipFile:
        return None
    for prefix, kind in OFFICE_PARTS.items():
        if "[Content_Types].xml" in names and any(name.startswith(prefix) for name in names):
            return kind
    return None


def _check_archive(members: list[zipfile.ZipInfo]) -> None:
    """Refuses an archive that would expand beyond what any office document needs."""
    expanded = sum(member.file_size for member in members)
    swollen = any(
        member.file_size > 1024 * 1024 and member.file_size > ARCHIVE_RATIO * max(member.compress_size, 1)
        for member in members
    )
    if len(members) > ARCHIVE_MEMBERS or expanded > ARCHIVE_EXPANDED or swollen:
        raise DomainError(
            N_(
                "This file expands to far more than a document needs (%(members)s parts, %(size)s unpacked); "
                "it is not accepted."
            ),
            status_code=413,
            members=Quantity(len(members)),
            size=FileSize(expanded),
        )


def _safe_name(filename: str, extension: str) -> str:
    stem = Path(filename.replace("\\", "/")).name.rsplit(".", 1)[0]
    cleaned = "".join(char if char.isalnum() or char in "-_ " else "_" for char in stem).strip() or "document"
    return cleaned[:150] + extension


def check(settings: Settings, content: bytes) -> str:
    """The kind of an upload; refuses an empty, oversized or unaccepted file with a clear message."""
    if not content:
        raise DomainError(N_("The file is empty."))
    limit = settings.upload_max_bytes
    if len(content) > limit and limit >= 1024 * 1024:
        raise DomainError(
            N_("The file is larger than %(limit)s MB."), status_code=413, limit=round(limit / 1024 / 1024, 1)
        )
    if len(content) > limit:
        raise DomainError(N_("The file is larger than %(limit)s."), status_code=413, limit=FileSize(limit))
    kind = sniff(content)
    if kind is None:
        raise DomainError(
            N_(
                "This kind of file is not accepted: send a PDF, Word, Excel, PowerPoint, "
                "OpenDocument text, PNG, JPEG or plain-text file."
            ),
            status_code=415,
        )
    return kind


def store(settings: Settings, *, filename: str, content: bytes, kind: str = "") -> StoredFile:
    """Keeps an upload, checked first (see `check`) unless its `kind` is the one `check` already found."""
    media_type, extension = KINDS[kind or check(settings, content)]
    digest = hashlib.sha256(content).hexdigest()
    path = file_path(settings, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(content)
        partial.replace(path)
    return StoredFile(_safe_name(filename, extension), media_type, len(content), digest)


def file_path(settings: Settings, digest: str) -> Path:
    return settings.var_dir / "uploads" / digest[:2] / digest


def attachment_header(filename: str) -> str:
    """attachment, with an ASCII filename and, for other names, the exact one in RFC 5987's filename*."""
    plain = "".join(char for char in unicodedata.normalize("NFKD", filename) if not unicodedata.combining(char))
    fallback = (
        "".join(char if char.isascii() and (char.isalnum() or char in "-_. ") else "_" for char in plain) or "document"
    )
    header = f'attachment; filename="{fallback}"'
    if fallback != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header
