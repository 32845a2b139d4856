"""Tables of telephone calls and the cases they belong to (the IVR helper owns the rest of ticketing.call)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.database.core import Base
from ticketing.database.types import UTCDateTime, utcnow

OUTCOMES = ("in_progress", "abandoned_ivr", "abandoned_queue", "answered", "message", "transferred", "failed",
            "self_service")  # self_service: the IVR told the caller a case's status, nothing else was needed


class Call(Base):
    """One resident's call, keyed by Asterisk's Linkedid, from ringing to hang-up."""

    __tablename__ = "calls"
    # Pop history, index-only on PostgreSQL: the columns a caller's history shows (migration 0024).
    __table_args__ = (Index("ix_calls_caller_started", "caller", "started_at",
                            postgresql_include=["linkedid", "ended_at", "outcome", "queue", "agent"]),)

    id: Mapped[int] = mapped_column(primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    server: Mapped[str] = mapped_column(String(64), default="")
    caller: Mapped[str | None] = mapped_column(String(20))  # E.164 when it parses
    caller_raw: Mapped[str] = mapped_column(String(64), default="")
    dialled: Mapped[str] = mapped_column(String(64), default="")
    language: Mapped[str | None] = mapped_column(String(8))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ivr_path: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{node, at, input}]
    queue: Mapped[str | None] = mapped_column(String(64))
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    agent: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(20), default="in_progress")
    hangup_cause: Mapped[str | None] = mapped_column(String(64))
    recording: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open / ended
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CaseCall(Base):
    """Link between a case and a call about it."""

    __tablename__ = "case_calls"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
