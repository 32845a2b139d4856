"""Tables the console adds: where each agent is (state, phone, queues) and which browser tab holds it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.database.core import Base
from ticketing.database.types import UTCDateTime, utcnow


class AgentPresenceRow(Base):
    """One agent's presence (agent_state.Presence as JSON) and the console tab currently in charge of it."""

    __tablename__ = "console_agent_presence"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    interface: Mapped[str] = mapped_column(String(100), default="", index=True)
    state: Mapped[str] = mapped_column(String(16), default="offline")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tab: Mapped[str] = mapped_column(String(64), default="")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
