"""HTTP routes of the callbacks: the do-not-call list (residents who asked not to be called back)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.callback import service
from ticketing.callback.models import DoNotCall
from ticketing.case.permissions import CENTRE
from ticketing.case.phone import InvalidPhone
from ticketing.database.deps import get_db
from ticketing.user.deps import require_roles
from ticketing.user.models import User

router = APIRouter(prefix="/do-not-call", tags=["callbacks"])


class DoNotCallCreate(BaseModel):
    """A resident's number that survey calls and callbacks skip."""

    phone: str = Field(..., min_length=3, max_length=40)
    note: str = Field("", max_length=200)


class DoNotCallRead(BaseModel):
    """One entry of the do-not-call list."""

    phone: str
    note: str
    created_at: datetime


@router.post("", response_model=DoNotCallRead, status_code=status.HTTP_201_CREATED)
def add(body: DoNotCallCreate, session: Session = Depends(get_db),
        user: User = Depends(require_roles(*CENTRE))) -> DoNotCallRead:
    """Put a resident's number on the do-not-call list (once)."""
    try:
        entry = service.add_do_not_call(session, body.phone, body.note)
    except InvalidPhone as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    session.commit()
    return DoNotCallRead(phone=entry.phone, note=entry.note, created_at=entry.created_at)


@router.get("", response_model=list[DoNotCallRead])
def list_all(session: Session = Depends(get_db),
             user: User = Depends(require_roles(*CENTRE))) -> list[DoNotCallRead]:
    """List the do-not-call numbers, newest first."""
    rows = session.scalars(select(DoNotCall).order_by(DoNotCall.created_at.desc()))
    return [DoNotCallRead(phone=r.phone, note=r.note, created_at=r.created_at) for r in rows]
