"""Tables of deadline supervision: notices the scheduler raised and supervision orders (督办单)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.database.core import Base
from ticketing.database.types import UTCDateTime, utcnow

NOTICE_KINDS = ("reminder", "overdue", "urge", "supervise", "urgent")  # urgent: raised at intake


class CaseNotice(Base):
    """One due action taken on a case's running deadline (临期提醒, 超期, 催办, 督办); raised once.

    The unique constraint on (case, deadline key, kind) is what makes "once" hold across processes.
    """

    __tablename__ = "case_notices"
    __table_args__ = (
        UniqueConstraint("case_id", "sla_key", "kind", name="uq_case_notices_case_id_key_kind"),
        Index("ix_case_notices_bureau_id_id", "bureau_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    bureau_id: Mapped[int | None] = mapped_column(ForeignKey("bureaus.id"))
    stage: Mapped[str] = mapped_column(String(16))
    sla_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the stage's deadline when it was raised
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupervisionOrder(Base):
    """A supervision order (督办单): who ordered it, by when the bureau answers in writing, its answer."""

    __tablename__ = "supervision_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    bureau_id: Mapped[int | None] = mapped_column(ForeignKey("bureaus.id"), index=True)
    ordered_by: Mapped[str] = mapped_column(String(100))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    answer_by: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[str | None] = mapped_column(String(100))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
