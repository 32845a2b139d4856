"""The outbox table: one row per event waiting for (or done with) publication."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.database.core import Base
from ticketing.database.types import UTCDateTime, utcnow


class OutboxEntry(Base):
    """An event for the bus: `seq` orders publication; `event_id` is the envelope id (de-duplication)."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(32), unique=True)
    stream: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_outbox_unsent", "seq", postgresql_where=sent_at.is_(None), sqlite_where=sent_at.is_(None)),
    )
