"""Photos and files a clerk or agent attaches to a case: size and type checked by content, stored safely.

The type is read from the file's first bytes (never from its name or the browser's Content-Type), the stored
name is ours (a random token under the case's directory), and the uploader's name is kept only as a label.
"""

from __future__ import annotations

import secrets
import unicodedata
from pathlib import Path

from sqlalchemy.orm import Session

from ticketing.case import service
from ticketing.case.errors import UploadRefused
from ticketing.case.models import Case, CaseAttachment

# (extension, content type) by leading bytes; WAV and WebP share RIFF and are told apart at offset 8.
SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, ".jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, ".png", "image/png"),
    (b"GIF87a", 0, ".gif", "image/gif"),
    (b"GIF89a", 0, ".gif", "image/gif"),
    (b"WEBP", 8, ".webp", "image/webp"),
    (b"%PDF-", 0, ".pdf", "application/pdf"),
    (b"WAVE", 8, ".wav", "audio/wav"),
    (b"ID3", 0, ".mp3", "audio/mpeg"),
    (b"OggS", 0, ".ogg", "audio/ogg"),
)
ALLOWED = "JPEG, PNG, GIF, WebP, PDF, WAV, MP3, Ogg"
MAX_NAME = 120


def sniff(head: bytes) -> tuple[str, str] | None:
    """Return (extension, content type) of a file from its first bytes, None when cases do not take it."""
    for magic, offset, extension, content_type in SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            if offset == 8 and head[:4] != b"RIFF":
                continue
            return extension, content_type
    return None


def clean_name(name: str) -> str:
    """Return a label for the uploader's file name: its last part, printable, at most MAX_NAME characters."""
    last = name.replace("\\", "/").split("/")[-1]
    printable = "".join(ch for ch in last if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    return printable.strip()[:MAX_NAME] or "file"


def check(data: bytes, max_bytes: int) -> tuple[str, str]:
    """Return (extension, content type) of DATA, or UploadRefused naming what is wrong."""
    if not data:
        raise UploadRefused("the file is empty", "empty")
    if len(data) > max_bytes:
        raise UploadRefused(f"the file is larger than {max_bytes} bytes", "too_large", max_bytes=max_bytes)
    found = sniff(data[:16])
    if found is None:
        raise UploadRefused(f"this type of file is not accepted (accepted: {ALLOWED})", "bad_type",
                            allowed=ALLOWED)
    return found


def store(session: Session, directory: Path, case: Case, name: str, data: bytes, actor: str,
          max_bytes: int) -> CaseAttachment:
    """Check and write an uploaded file under DIRECTORY/<case number>/, attach it and log it in the trail."""
    extension, content_type = check(data, max_bytes)
    folder = Path(directory) / case.number
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{secrets.token_hex(12)}{extension}"
    partial = target.with_suffix(target.suffix + ".part")
    partial.write_bytes(data)
    partial.replace(target)  # whole or absent: a crash never leaves half a file under its final name
    attachment = service.add_attachment(session, case, "file", path=str(target.resolve()), actor=actor)
    attachment.name, attachment.content_type = clean_name(name), content_type
    attachment.size_bytes, attachment.uploaded_by = len(data), actor
    session.flush()
    return attachment
