"""Tables of the callbacks: one task per resolved case and the residents who asked not to be called."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing.case.models import Case
from ticketing.database.core import Base
from ticketing.database.types import UTCDateTime, utcnow

# pending: waiting for its next survey call; calling: a call is under way; agent: handed to the agents'
# callback list; done: rated; skipped: the resident asked not to be called (or has no number).
TASK_STATUSES = ("pending", "calling", "agent", "done", "skipped")


class CallbackTask(Base):
    """The 回访 of one resolution of a case: when it is due, the call attempts, the result."""

    __tablename__ = "callback_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime)  # which resolution this task asks about
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_result: Mapped[str] = mapped_column(String(32), default="")  # answered / no_answer / busy / failed
    linkedid: Mapped[str] = mapped_column(String(64), default="")  # the survey call now or last placed
    rating: Mapped[str | None] = mapped_column(String(16))
    rated_by: Mapped[str] = mapped_column(String(100), default="")  # "survey" or the agent's username
    comment_path: Mapped[str] = mapped_column(String(500), default="")  # the resident's spoken comment
    comment_text: Mapped[str] = mapped_column(Text, default="")  # its transcript (speech, in the background)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    case: Mapped[Case] = relationship(lazy="joined")


class DoNotCall(Base):
    """A resident's number that callbacks skip (the resident asked not to be called back)."""

    __tablename__ = "callback_do_not_call"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)  # E.164
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
