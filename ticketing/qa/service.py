"""Quality review operations: store transcripts (idempotent), search them, sample calls, score a call."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ticketing.call.models import Call
from ticketing.qa.checklist import Item, check_scores
from ticketing.qa.models import SIDES, CallTranscript, QaScore


class QaError(LookupError):
    """No such call, or a call that cannot be reviewed."""


def call_by_linkedid(session: Session, linkedid: str) -> Call:
    """The call, or QaError."""
    call = session.scalars(select(Call).where(Call.linkedid == linkedid)).first()
    if call is None:
        raise QaError(f"no call {linkedid}")
    return call


def store_transcript(session: Session, linkedid: str, side: str, text: str, *, language: str = "",
                     engine: str = "", recording: str = "") -> CallTranscript:
    """Keep one side's transcript of a call (again for the same side: replaced, never duplicated)."""
    if side not in SIDES:
        raise ValueError(f"side {side!r} is not one of {', '.join(SIDES)}")
    call = call_by_linkedid(session, linkedid)
    row = session.scalars(select(CallTranscript).where(CallTranscript.call_id == call.id,
                                                       CallTranscript.side == side)).first()
    if row is None:
        row = CallTranscript(call_id=call.id, side=side)
        session.add(row)
    row.text, row.language, row.engine, row.recording = text, language, engine, recording
    session.flush()
    return row


def transcripts_of(session: Session, call: Call) -> list[CallTranscript]:
    """A call's transcripts, caller first."""
    rows = session.scalars(select(CallTranscript).where(CallTranscript.call_id == call.id)).all()
    return sorted(rows, key=lambda r: SIDES.index(r.side))


def search(session: Session, q: str, limit: int = 50) -> list[tuple[Call, CallTranscript]]:
    """Calls whose transcript contains `q` (any side), newest first."""
    pattern = f"%{q.replace('%', '').replace('_', '')}%"
    joined = select(Call, CallTranscript).join(CallTranscript, CallTranscript.call_id == Call.id)
    rows = session.execute(joined.where(CallTranscript.text.ilike(pattern))
                           .order_by(Call.started_at.desc(), CallTranscript.side).limit(limit)).all()
    return [(call, transcript) for call, transcript in rows]


def sample(session: Session, limit: int = 10) -> list[Call]:
    """Recorded, transcribed calls nobody has scored yet, newest first: the reviewer's next ones."""
    scored = select(QaScore.call_id)
    transcribed = select(CallTranscript.call_id)
    return list(session.scalars(select(Call).where(Call.status == "ended", Call.id.in_(transcribed),
                                                   Call.id.not_in(scored))
                                .order_by(Call.started_at.desc()).limit(limit)).all())


@dataclass(frozen=True)
class Review:
    """A call's scores as stored."""

    linkedid: str
    agent: str | None
    reviewer: str
    scores: dict[str, int]
    total: int
    max_total: int


def score_call(session: Session, items: tuple[Item, ...], linkedid: str, reviewer: str,
               scores: dict[str, int], note: str = "") -> Review:
    """Score a call against the checklist (a new review replaces the previous one of the call)."""
    checked = check_scores(items, scores)
    call = call_by_linkedid(session, linkedid)
    session.execute(delete(QaScore).where(QaScore.call_id == call.id))
    points = {i.code: i.points for i in items}
    for code, score in checked.items():
        session.add(QaScore(call_id=call.id, agent=call.agent, item=code, score=score, max_score=points[code],
                            reviewer=reviewer, note=note[:500]))
    session.flush()
    return Review(linkedid, call.agent, reviewer, checked, sum(checked.values()), sum(points.values()))


def review_of(session: Session, call: Call) -> Review | None:
    """The stored review of a call, or None."""
    rows = session.scalars(select(QaScore).where(QaScore.call_id == call.id)).all()
    if not rows:
        return None
    return Review(call.linkedid, rows[0].agent, rows[0].reviewer, {r.item: r.score for r in rows},
                  sum(r.score for r in rows), sum(r.max_score for r in rows))


def agent_scores(session: Session) -> list[tuple[str | None, int, float]]:
    """Per agent: calls reviewed and the share of points earned (what the agent report shows)."""
    rows = session.execute(select(QaScore.agent, func.count(func.distinct(QaScore.call_id)),
                                  func.sum(QaScore.score), func.sum(QaScore.max_score))
                           .group_by(QaScore.agent).order_by(QaScore.agent)).all()
    return [(agent, calls, round(earned / possible, 4) if possible else 0.0)
            for agent, calls, earned, possible in rows]
