"""Tables of a case (工单): the case itself, its append-only events, attachments and number counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing.bureau.models import Bureau, Category, Community, Street
from ticketing.database.core import Base
from ticketing.database.types import UTCDateTime, utcnow

CHANNELS = ("phone", "web", "open311", "walk-in")
PRIORITIES = ("normal", "urgent")
VISIBILITIES = ("public", "internal")
ATTACHMENT_KINDS = ("recording", "transcript", "file")
MAX_DESCRIPTION = 4000
OPEN_CASE = text(
    "status IN ('new', 'dispatched', 'acknowledged', 'in_progress', 'extension_requested', 'returned', "
    "'reopened')"
)  # states.OPEN_STATUSES, as the partial indexes' predicate
CASEWORK_EVENTS = text("action IN ('return', 'approve-extension')")


class Case(Base):
    """A resident's request, complaint or consultation and where it stands."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(f"length(description) <= {MAX_DESCRIPTION}", name="description_length"),
        Index("ix_cases_sla_due_at_id", "sla_due_at", "id"),
        # Lists read newest first by (created_at, id) under each filter; open cases have partial indexes.
        Index("ix_cases_created", "created_at", "id"),
        Index("ix_cases_status_created", "status", "created_at", "id"),
        Index("ix_cases_bureau_created", "bureau_id", "created_at", "id"),
        Index("ix_cases_category_created", "category_id", "created_at", "id"),
        Index("ix_cases_street_created", "street_id", "created_at", "id"),
        Index("ix_cases_caller_created", "caller_phone", "created_at"),
        Index("ix_cases_open_created", "created_at", "id", postgresql_where=OPEN_CASE,
              sqlite_where=OPEN_CASE),
        Index("ix_cases_open_bureau", "bureau_id", "created_at", "id", postgresql_where=OPEN_CASE,
              sqlite_where=OPEN_CASE),
        Index("ix_cases_open_bureau_status", "bureau_id", "status", "created_at", "id",
              postgresql_where=OPEN_CASE, sqlite_where=OPEN_CASE),
        # The console's lists read newest first by id: open cases by id, and a bureau's open cases by id.
        Index("ix_cases_open_id", "id", postgresql_where=OPEN_CASE, sqlite_where=OPEN_CASE),
        Index("ix_cases_open_bureau_id", "bureau_id", "id", postgresql_where=OPEN_CASE,
              sqlite_where=OPEN_CASE),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    caller_phone: Mapped[str | None] = mapped_column(String(20))
    caller_name: Mapped[str] = mapped_column(String(100), default="")
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    status: Mapped[str] = mapped_column(String(32))
    bureau_id: Mapped[int | None] = mapped_column(ForeignKey("bureaus.id"))
    routing_rule: Mapped[str | None] = mapped_column(String(100))
    routing_explanation: Mapped[str] = mapped_column(Text, default="")
    dispatch_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledge_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extended_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_requested_days: Mapped[int | None] = mapped_column(Integer)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    public_reply: Mapped[str] = mapped_column(Text, default="")
    satisfaction: Mapped[str | None] = mapped_column(String(16))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # Street office → community hand-off (社区): the community now working on the case, if any.
    assigned_community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    # Under supervision (督办) since; cleared when the 督办单 is answered.
    supervised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The running stage's due instants (ticketing.supervision.timing.stamp keeps them), so deadline lists
    # and the supervision scheduler are indexed range queries. NULL when no clock runs (or it is paused).
    sla_stage: Mapped[str | None] = mapped_column(String(16))
    sla_key: Mapped[str | None] = mapped_column(String(64))
    sla_remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_next_kind: Mapped[str | None] = mapped_column(String(16))
    sla_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    __mapper_args__ = {"version_id_col": version}

    street: Mapped[Street | None] = relationship(lazy="joined")
    community: Mapped[Community | None] = relationship(foreign_keys="Case.community_id", lazy="joined")
    category: Mapped[Category | None] = relationship(lazy="joined")
    bureau: Mapped[Bureau | None] = relationship(lazy="joined")
    merged_into: Mapped[Case | None] = relationship(remote_side="Case.id", lazy="select")
    assigned_community: Mapped[Community | None] = relationship(
        foreign_keys=[assigned_community_id], lazy="select"
    )


class CaseEvent(Base):
    """One entry of a case's audit trail; rows are only ever inserted."""

    __tablename__ = "case_events"
    __table_args__ = (
        # The reports' casework figures read returns and granted extensions (ticketing/report/casework.py).
        Index("ix_case_events_workflow", "case_id", "id", "action", postgresql_where=CASEWORK_EVENTS,
              sqlite_where=CASEWORK_EVENTS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default="internal")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    # Lets intake insert a new case and its first event in one flush; never loaded from an event.
    case: Mapped[Case] = relationship(lazy="raise")


class CaseAttachment(Base):
    """A recording, transcript or file attached to a case; transcripts are searched by `q`."""

    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(500), default="")
    transcript: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Uploaded files: the name the uploader gave, the checked type, the size and who uploaded it.
    name: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(100), default="")


class CaseNumberCounter(Base):
    """Last sequence number handed out for one prefix and day (row-locked while numbering)."""

    __tablename__ = "case_number_counters"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)  # e.g. FT20261126
    last: Mapped[int] = mapped_column(Integer, default=0)


class CaseAssist(Base):
    """An assisting bureau (协办) of a case; the case's own bureau leads (主办)."""

    __tablename__ = "case_assists"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    bureau_id: Mapped[int] = mapped_column(ForeignKey("bureaus.id"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by: Mapped[str] = mapped_column(String(100), default="")

    bureau: Mapped[Bureau] = relationship(lazy="joined")
