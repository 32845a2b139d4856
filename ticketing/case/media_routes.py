"""HTTP routes of a case's media and side lists: recordings and files (range requests), uploads, duplicate
suggestions and the deadline list."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Header, Query, Request, UploadFile, status
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from ticketing.case import access, lists, media, merging, states, uploads
from ticketing.case.errors import RangeNotSatisfiable, UploadRefused
from ticketing.case.permissions import CENTRE, Actor
from ticketing.case.schemas import LocalDateTime, LocalTimes
from ticketing.database.deps import get_db
from ticketing.database.types import utcnow
from ticketing.user.deps import current_user, require_roles
from ticketing.user.models import User

router = APIRouter(tags=["cases"])


def _settings(request: Request):
    return request.app.state.settings


@router.get("/cases/{number}/attachments/{attachment_id}/content")
def attachment_content(
    number: str,
    attachment_id: int,
    request: Request,
    range_: str | None = Header(None, alias="Range"),
    download: bool = Query(False, description="As a file to keep (supervisor, admin, qa only; audited)"),
    session: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    """Serve a file or recording of the case (Range requests answered with 206); each play is audited."""
    found = media.open_attachment(
        session,
        Actor.of(user),
        number,
        attachment_id,
        _settings(request).media_roots,
        audited=media.starts_a_play(range_),
        download=download,
    )
    session.commit()
    return _answer(found, range_, download)


@router.get("/cases/{number}/calls/{call_id}/recording")
def call_recording(
    number: str,
    call_id: int,
    request: Request,
    range_: str | None = Header(None, alias="Range"),
    download: bool = Query(False, description="As a file to keep (supervisor, admin, qa only; audited)"),
    session: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    """Serve the recording of a call linked to the case (Range requests answered with 206); audited."""
    found = media.open_call_recording(
        session,
        Actor.of(user),
        number,
        call_id,
        _settings(request).media_roots,
        audited=media.starts_a_play(range_),
        download=download,
    )
    session.commit()
    return _answer(found, range_, download)


def _answer(found: media.Media, range_: str | None, download: bool = False) -> Response:
    try:
        return media.media_response(found, range_, download=download)
    except RangeNotSatisfiable as err:
        return media.unsatisfiable(err.size)


class AttachmentRead(LocalTimes):
    """An attachment as stored."""

    id: int
    kind: str
    name: str
    content_type: str
    size_bytes: int | None
    created_at: LocalDateTime


@router.post(
    "/cases/{number}/attachments", status_code=status.HTTP_201_CREATED, response_model=AttachmentRead
)
async def upload(
    number: str,
    file: UploadFile,
    request: Request,
    session: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> AttachmentRead:
    """Attach a photo or file (JPEG, PNG, GIF, WebP, PDF, WAV, MP3, Ogg; size limited) to the case."""
    settings = _settings(request)
    data = await read_limited(file, settings.attachment_max_bytes)
    case = access.require_visible(session, number, Actor.of(user))
    row = uploads.store(
        session,
        settings.attachments_dir,
        case,
        file.filename or "",
        data,
        user.username,
        settings.attachment_max_bytes,
    )
    session.commit()
    return AttachmentRead(
        id=row.id,
        kind=row.kind,
        name=row.name,
        content_type=row.content_type,
        size_bytes=row.size_bytes,
        created_at=row.created_at,
    )


async def read_limited(file: UploadFile, max_bytes: int) -> bytes:
    """Read an upload, refusing it as soon as it grows past MAX_BYTES (never read whole when too large)."""
    chunks, total = [], 0
    while chunk := await file.read(64 * 1024):
        total += len(chunk)
        if total > max_bytes:
            raise UploadRefused(
                f"the file is larger than {max_bytes} bytes", "too_large", max_bytes=max_bytes
            )
        chunks.append(chunk)
    return b"".join(chunks)


class DuplicateRead(LocalTimes):
    """A case that may be a duplicate of this one, and why."""

    number: str
    status: str
    description: str
    created_at: LocalDateTime
    reasons: list[str]


@router.get("/cases/{number}/duplicates", response_model=list[DuplicateRead])
def duplicates(
    number: str,
    request: Request,
    session: Session = Depends(get_db),
    user: User = Depends(require_roles(*CENTRE)),
) -> list[DuplicateRead]:
    """Suggest duplicates: same caller, same address, or same category in the same street, within N days."""
    case = access.require_visible(session, number, Actor.of(user))
    found = merging.suggestions(session, case, _settings(request).merge_window_days)
    return [
        DuplicateRead(
            number=s.number,
            status=s.status,
            description=s.description,
            created_at=s.created_at,
            reasons=list(s.reasons),
        )
        for s in found
    ]


class DeadlineRow(LocalTimes):
    """An open case near or past its running deadline."""

    number: str
    status: str
    bureau: str | None
    stage: str | None
    remind_at: LocalDateTime | None
    due_at: LocalDateTime | None
    supervised: bool


class DeadlinePage(BaseModel):
    """One page of the deadline list; pass `next` as `after` for the following one."""

    items: list[DeadlineRow]
    next: str | None


@router.get("/deadlines", response_model=DeadlinePage)
def deadlines(
    state: Literal["near", "overdue"] = "near",
    after: str = Query("", max_length=64),
    limit: int = Query(50, ge=1, le=200),
    session: Session = Depends(get_db),
    user: User = Depends(require_roles("supervisor", "admin", "dispatcher")),
) -> DeadlinePage:
    """Every open case near (reminder reached) or past its deadline, most urgent first (indexed, complete)."""
    criteria = lists.ListCriteria(
        statuses=tuple(sorted(states.OPEN_STATUSES)), deadline=state, order="due", after=after, limit=limit
    )
    found = lists.page(session, criteria, utcnow())
    rows = [
        DeadlineRow(
            number=c.number,
            status=c.status,
            bureau=c.bureau.code if c.bureau else None,
            stage=c.sla_stage,
            remind_at=c.sla_remind_at,
            due_at=c.sla_due_at,
            supervised=c.supervised_at is not None,
        )
        for c in found.items
    ]
    return DeadlinePage(items=rows, next=found.next_cursor)
