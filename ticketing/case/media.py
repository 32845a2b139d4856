"""Serve a case's recordings and files: access-checked, audited, with HTTP range requests.

One place for every client (the API with bearer tokens, the console's case page and agent desk with
cookies): `open_media` checks who may hear or see what and writes the audit trail, `media_response` answers
with the whole file or the asked byte range.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response, StreamingResponse

from ticketing.audit import service as audit
from ticketing.call.models import Call, CaseCall
from ticketing.case.access import require_visible
from ticketing.case.errors import MediaUnavailable, NotPermitted, RangeNotSatisfiable
from ticketing.case.models import Case, CaseAttachment
from ticketing.case.permissions import Actor

CHUNK = 64 * 1024
# Who may keep a copy of a recording or voice message (download); everyone who may see the case plays it
# in the page. Quality reviewers and supervisors take recordings to training and complaints; agents and
# bureaus do not need copies.
DOWNLOAD_ROLES = frozenset({"supervisor", "admin", "qa"})
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".gsm": "audio/x-gsm",
         ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
         ".webp": "image/webp", ".pdf": "application/pdf", ".txt": "text/plain; charset=utf-8"}


@dataclass(frozen=True)
class Media:
    """A file that may be served: where it is, its size, type and the name to offer."""

    path: Path
    size: int
    content_type: str
    name: str


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Return the (first, last) byte of a single-range header, None for the whole file.

    Multiple ranges and other units are answered with the whole file (allowed by RFC 9110); a range that
    starts past the end raises RangeNotSatisfiable.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable(size)
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiable(size)
    return start, end


def contained(stored: str, roots: Sequence[Path]) -> Path:
    """Return the real path of STORED if it is a file inside one of ROOTS; MediaUnavailable otherwise."""
    if not stored or "\x00" in stored:
        raise MediaUnavailable("no file")
    try:
        real = Path(stored).resolve(strict=True)
    except (OSError, RuntimeError) as err:
        raise MediaUnavailable("the file is missing") from err
    for root in roots:
        try:
            real.relative_to(Path(root).resolve())
        except (ValueError, OSError):
            continue
        if real.is_file():
            return real
    raise MediaUnavailable("the file is outside the media directories")


def may_download(role: str) -> bool:
    """Tell whether a role may download recordings and voice messages (not only play them)."""
    return role in DOWNLOAD_ROLES


def _check_download(actor: Actor, download: bool) -> None:
    if download and not may_download(actor.role):
        raise NotPermitted(f"role {actor.role!r} may play recordings but not download them")


def _audit_audio(session: Session, actor: Actor, number: str, target: str, media: Media, *, download: bool,
                 audited: bool) -> None:
    if download:  # every download is audited, whatever its range
        audit.record(session, actor.name, actor.role, "download-recording", number, target=target,
                     detail=media.name)
    elif audited:
        audit.record(session, actor.name, actor.role, "play-recording", number, target=target,
                     detail=media.name)


def _media(path: Path, content_type: str = "", name: str = "") -> Media:
    kind = content_type or TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    return Media(path, path.stat().st_size, kind or "application/octet-stream", name or path.name)


def open_attachment(session: Session, actor: Actor, number: str, attachment_id: int, roots: Sequence[Path],
                    *, audited: bool = True, download: bool = False) -> Media:
    """Return a file or recording attached to case NUMBER, if ACTOR may see the case; audit the opening.

    `download` asks for a copy of a recording or voice message: only DOWNLOAD_ROLES (NotPermitted).
    """
    case = require_visible(session, number, actor)
    row = session.get(CaseAttachment, attachment_id)
    if row is None or row.case_id != case.id or not row.path:
        raise MediaUnavailable(f"case {number} has no attachment {attachment_id}")
    media = _media(contained(row.path, roots), row.content_type, row.name)
    target = f"attachment:{attachment_id}"
    if row.kind in ("recording", "transcript") or media.content_type.startswith("audio/"):
        _check_download(actor, download)
        _audit_audio(session, actor, number, target, media, download=download, audited=audited)
    elif audited:
        audit.record(session, actor.name, actor.role, "open-attachment", number, target=target,
                     detail=media.name)
    return media


def open_call_recording(session: Session, actor: Actor, number: str, call_id: int, roots: Sequence[Path],
                        *, audited: bool = True, download: bool = False) -> Media:
    """Return the recording of a call linked to case NUMBER, if ACTOR may see the case; audit the playing."""
    case = require_visible(session, number, actor)
    _check_download(actor, download)
    linked = session.scalar(select(CaseCall.call_id).where(CaseCall.case_id == case.id,
                                                          CaseCall.call_id == call_id))
    call = session.get(Call, call_id) if linked is not None else None
    if call is None or not call.recording:
        raise MediaUnavailable(f"case {number} has no recorded call {call_id}")
    media = _media(contained(call.recording, roots))
    _audit_audio(session, actor, number, f"call:{call.linkedid}", media, download=download, audited=audited)
    return media


def open_review_recording(session: Session, actor: Actor, linkedid: str, roots: Sequence[Path],
                          *, audited: bool = True, download: bool = False) -> Media:
    """Return the recording of call LINKEDID for quality review (质检); audit the playing.

    The route admits reviewers only (qa, supervisor, admin); the audit entry names the call's case if any.
    """
    _check_download(actor, download)
    call = session.scalar(select(Call).where(Call.linkedid == linkedid))
    if call is None or not call.recording:
        raise MediaUnavailable(f"call {linkedid} has no recording")
    media = _media(contained(call.recording, roots))
    number = session.scalar(select(Case.number).join(CaseCall, CaseCall.case_id == Case.id)
                            .where(CaseCall.call_id == call.id).order_by(Case.id).limit(1))
    _audit_audio(session, actor, number, f"call:{linkedid}", media, download=download, audited=audited)
    return media


def starts_a_play(range_header: str | None) -> bool:
    """Tell whether a request starts reading a file (no range, or from byte 0): audit once per play."""
    return not range_header or range_header.strip() in ("bytes=0-", "bytes=0-1")


def media_response(media: Media, range_header: str | None, *, download: bool = False) -> Response:
    """Answer with the whole file (200) or the asked range (206 with Content-Range); `download`: as a file."""
    span = parse_range(range_header, media.size)
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, no-store",
               "Content-Disposition": _disposition(media, download), "X-Content-Type-Options": "nosniff"}
    if span is None:
        headers["Content-Length"] = str(media.size)
        return StreamingResponse(_read(media.path, 0, media.size - 1), media_type=media.content_type,
                                 headers=headers)
    first, last = span
    headers["Content-Range"] = f"bytes {first}-{last}/{media.size}"
    headers["Content-Length"] = str(last - first + 1)
    return StreamingResponse(_read(media.path, first, last), status_code=206, media_type=media.content_type,
                             headers=headers)


def _disposition(media: Media, download: bool = False) -> str:
    from urllib.parse import quote

    inline = not download and (media.content_type.startswith(("audio/", "image/"))
                               or media.content_type == "application/pdf")
    return f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{quote(media.name)}"


def _read(path: Path, first: int, last: int) -> Iterator[bytes]:
    remaining = last - first + 1
    with open(path, "rb") as handle:
        handle.seek(first)
        while remaining > 0:
            chunk = handle.read(min(CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


def unsatisfiable(size: int) -> Response:
    """The 416 answer to a range past the end of the file."""
    return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})


__all__ = ["DOWNLOAD_ROLES", "Media", "contained", "may_download", "media_response", "open_attachment",
           "open_call_recording", "parse_range", "starts_a_play", "unsatisfiable"]
