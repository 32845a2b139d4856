"""HTTP routes of quality review (质检): checklist, a sample to review, one call's review, scores, search."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ticketing.database.deps import get_db
from ticketing.qa import service
from ticketing.qa.checklist import ChecklistError, Item, load_checklist
from ticketing.user.deps import require_roles
from ticketing.user.models import User

router = APIRouter(prefix="/qa", tags=["quality review"])
REVIEWERS = ("qa", "supervisor", "admin")


class ScoresIn(BaseModel):
    """A reviewer's scores: every checklist item by code, 0..its points."""

    scores: dict[str, int]
    note: str = Field("", max_length=500)


def checklist(request: Request) -> tuple[Item, ...]:
    """The data set's checklist (a broken file is the operator's problem: 503 with the reason)."""
    try:
        return load_checklist(request.app.state.settings.dataset_dir)
    except ChecklistError as err:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(err)) from err


@router.get("/checklist")
def get_checklist(items=Depends(checklist), user: User = Depends(require_roles(*REVIEWERS))) -> list[dict]:
    """The items a reviewer scores."""
    return [vars(i) for i in items]


@router.get("/sample")
def get_sample(limit: int = Query(10, ge=1, le=100), session: Session = Depends(get_db),
               user: User = Depends(require_roles(*REVIEWERS))) -> list[dict]:
    """Recorded, transcribed calls not reviewed yet, newest first."""
    return [_call_summary(call) for call in service.sample(session, limit)]


@router.get("/transcripts")
def search_transcripts(q: str = Query(..., min_length=1, max_length=100),
                       limit: int = Query(50, ge=1, le=200), session: Session = Depends(get_db),
                       user: User = Depends(require_roles(*REVIEWERS))) -> list[dict]:
    """Calls whose transcript (either side) contains the text."""
    found = service.search(session, q, limit)
    return [{**_call_summary(call), "side": t.side, "text": t.text} for call, t in found]


@router.get("/calls/{linkedid}")
def get_review(linkedid: str, session: Session = Depends(get_db),
               user: User = Depends(require_roles(*REVIEWERS))) -> dict:
    """One call for review: the call, its transcripts (caller first) and its scores if any."""
    call = _call(session, linkedid)
    review = service.review_of(session, call)
    return {**_call_summary(call),
            "transcripts": [{"side": t.side, "language": t.language, "engine": t.engine, "text": t.text}
                            for t in service.transcripts_of(session, call)],
            "review": vars(review) if review else None}


@router.post("/calls/{linkedid}/scores", status_code=status.HTTP_201_CREATED)
def post_scores(linkedid: str, body: ScoresIn, items=Depends(checklist), session: Session = Depends(get_db),
                user: User = Depends(require_roles(*REVIEWERS))) -> dict:
    """Score a call against the checklist (again: the new review replaces the old)."""
    _call(session, linkedid)
    try:
        review = service.score_call(session, items, linkedid, user.username, body.scores, body.note)
    except ChecklistError as err:
        raise HTTPException(422, str(err)) from err
    session.commit()
    return vars(review)


def _call(session: Session, linkedid: str):
    try:
        return service.call_by_linkedid(session, linkedid)
    except service.QaError as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err


def _call_summary(call) -> dict:
    return {"linkedid": call.linkedid, "started_at": call.started_at.isoformat() if call.started_at else None,
            "agent": call.agent, "queue": call.queue, "language": call.language, "outcome": call.outcome,
            "has_recording": bool(call.recording)}
