"""HTTP routes of the caller list: supervisors mark numbers abusive or prank, agents read it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from sqlalchemy.orm import Session

from ticketing.caller import service
from ticketing.caller.schemas import FlagCreate, FlagEnd, FlagRead
from ticketing.case.permissions import CENTRE
from ticketing.case.phone import InvalidPhone
from ticketing.database.deps import get_db
from ticketing.database.types import utcnow
from ticketing.user.deps import require_roles
from ticketing.user.models import User
from ticketing.validation import BIGINT_MAX

router = APIRouter(prefix="/caller-flags", tags=["callers"])
KEEPERS = ("supervisor", "admin")


def read(flag, now) -> FlagRead:
    """Return the API form of a marking, with whether it holds now."""
    return FlagRead.model_validate(flag).model_copy(update={"active": flag.holds(now)})


@router.get("", response_model=list[FlagRead])
def list_flags(session: Session = Depends(get_db), user: User = Depends(require_roles(*CENTRE)),
               phone: str | None = Query(None, max_length=40, description="Every marking of one number."),
               ended: bool = Query(False, description="Also ended and lapsed ones.")) -> list[FlagRead]:
    """Return the markings in force, newest first (or every marking of one number)."""
    now = utcnow()
    if phone:
        try:
            return [read(f, now) for f in service.history(session, phone)]
        except InvalidPhone as err:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    return [read(f, now) for f in service.get_all(session, now, with_ended=ended)]


@router.post("", response_model=FlagRead, status_code=status.HTTP_201_CREATED)
def mark(body: FlagCreate, session: Session = Depends(get_db),
         user: User = Depends(require_roles(*KEEPERS))) -> FlagRead:
    """Mark a number abusive or prank until a time; one already in force for it is replaced."""
    now = utcnow()
    try:
        flag = service.mark(session, body, user.username, now)
    except (InvalidPhone, service.FlagRefused) as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    session.commit()
    return read(flag, now)


@router.post("/{flag_id}/end", response_model=FlagRead)
def end(body: FlagEnd, flag_id: int = Path(ge=1, le=BIGINT_MAX), session: Session = Depends(get_db),
        user: User = Depends(require_roles(*KEEPERS))) -> FlagRead:
    """End a marking before it lapses."""
    now = utcnow()
    try:
        flag = service.end(session, flag_id, user.username, body.note, now)
    except service.FlagNotFound as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    except service.FlagEnded as err:
        raise HTTPException(status.HTTP_409_CONFLICT, str(err)) from err
    session.commit()
    return read(flag, now)
