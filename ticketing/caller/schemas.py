"""What the caller-list API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ticketing.validation import Moment, Text


class FlagCreate(BaseModel):
    """Mark a number: kind, why (shown to agents and heard nowhere), until when."""

    model_config = ConfigDict(extra="forbid")

    phone: Text = Field(min_length=3, max_length=40)
    kind: Literal["abusive", "prank"]
    reason: Text = Field(min_length=2, max_length=500)
    expires_at: Moment = Field(description="When it lapses (with a UTC offset); within a year.")


class FlagEnd(BaseModel):
    """End a marking before it lapses, saying why."""

    model_config = ConfigDict(extra="forbid")

    note: Text = Field(min_length=2, max_length=200)


class FlagRead(BaseModel):
    """One marking, active or ended."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    phone: str
    kind: str
    reason: str
    expires_at: datetime
    created_by: str
    created_at: datetime
    ended_at: datetime | None
    ended_by: str | None
    end_note: str
    active: bool = False
