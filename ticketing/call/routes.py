"""HTTP routes of call records: the list with filters and one call with its IVR path and cases."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from sqlalchemy.orm import Session

from ticketing.call import service
from ticketing.call.models import OUTCOMES
from ticketing.call.schemas import CallPage, CallRead, to_read
from ticketing.case.permissions import CENTRE
from ticketing.database.deps import get_db
from ticketing.user.deps import require_roles
from ticketing.user.models import User
from ticketing.validation import BIGINT_MAX, Moment

router = APIRouter(tags=["calls"])


@router.get("/calls", response_model=CallPage)
def list_calls(
    session: Session = Depends(get_db),
    user: User = Depends(require_roles(*CENTRE)),
    caller: str | None = Query(None, description="Caller number in any common form."),
    outcome: str | None = Query(None, description=f"One of {', '.join(OUTCOMES)}."),
    status_: str | None = Query(None, alias="status", description="open or ended."),
    since: Moment | None = Query(None, description="Started at or after (ISO 8601 with a UTC offset)."),
    until: Moment | None = Query(None, description="Started before (ISO 8601 with a UTC offset)."),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=BIGINT_MAX),
) -> CallPage:
    """List calls, newest first."""
    if outcome is not None and outcome not in OUTCOMES:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"unknown outcome {outcome!r}: use one of {', '.join(OUTCOMES)}")
    criteria = service.CallFilter(caller=caller, outcome=outcome, status=status_, since=since, until=until,
                                  limit=limit, offset=offset)
    calls, total = service.get_all(session, criteria)
    items = [to_read(call, service.case_numbers(session, call)) for call in calls]
    return CallPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/calls/{call_id}", response_model=CallRead)
def get_call(call_id: int = Path(ge=1, le=BIGINT_MAX), session: Session = Depends(get_db),
             user: User = Depends(require_roles(*CENTRE))) -> CallRead:
    """Return one call with its IVR path, queue, agent, outcome, recording and cases."""
    try:
        call = service.get(session, call_id)
    except service.CallNotFound as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    return to_read(call, service.case_numbers(session, call))
