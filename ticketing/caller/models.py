"""The caller list (恶意/骚扰来电名单): one row per marking; a change ends the old row and adds a new one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.database.core import Base
from ticketing.database.types import UTCDateTime, utcnow

KINDS = ("abusive", "prank")  # 辱骂骚扰, 恶作剧/无效来电


class CallerFlag(Base):
    """A number marked by a supervisor: why, until when, who; never deleted (ended rows are the audit)."""

    __tablename__ = "caller_flags"
    __table_args__ = (Index("ix_caller_flags_phone", "phone", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    end_note: Mapped[str] = mapped_column(String(200), default="")

    def holds(self, now: datetime) -> bool:
        """Tell whether the marking holds at NOW (not ended, not expired)."""
        return self.ended_at is None and self.expires_at > now
