"""Tables of quality review: each side's transcript of a recorded call, and one score per checklist item."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.database.core import Base
from ticketing.database.types import UTCDateTime, utcnow

SIDES = ("caller", "agent", "mixed")  # the resident's leg, what the resident heard (IVR, agent), both


class CallTranscript(Base):
    """What one side of a recorded call said, transcribed in the background after the call ended."""

    __tablename__ = "call_transcripts"
    __table_args__ = (UniqueConstraint("call_id", "side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(8), default="")
    engine: Mapped[str] = mapped_column(String(20), default="")
    recording: Mapped[str] = mapped_column(String(500), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QaScore(Base):
    """A reviewer's score of one checklist item for one call (a row per item: reports aggregate them)."""

    __tablename__ = "qa_scores"
    __table_args__ = (UniqueConstraint("call_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    agent: Mapped[str | None] = mapped_column(String(100), index=True)  # the call's agent when scored
    item: Mapped[str] = mapped_column(String(40))
    score: Mapped[int] = mapped_column(Integer)
    max_score: Mapped[int] = mapped_column(Integer)
    reviewer: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), default="")
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
