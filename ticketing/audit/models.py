"""The access audit trail: every unmasked view of personal data, recording or file opened, call monitored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.database.core import Base
from ticketing.database.types import UTCDateTime, utcnow

# monitor-*: a supervisor listened to, whispered to or barged into an agent's live call; user-*: account
# administration (hotline users ..., /api/v1/users/...)
AUDIT_ACTIONS = ("unmask", "play-recording", "download-recording", "open-attachment", "monitor-listen",
                 "monitor-whisper", "monitor-barge", "user-password", "user-activate", "user-deactivate",
                 "user-unlock")
MONITOR_ACTIONS = ("monitor-listen", "monitor-whisper", "monitor-barge")  # the part supervisors see too


class AccessRecord(Base):
    """Who saw what personal data when; rows are only ever inserted."""

    __tablename__ = "access_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(32))
    case_number: Mapped[str | None] = mapped_column(String(32), index=True)
    target: Mapped[str] = mapped_column(String(500), default="")  # attachment id, call, field
    detail: Mapped[str] = mapped_column(Text, default="")
