"""Pydantic shapes of call records in the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class IvrStepRead(BaseModel):
    """One node of the caller's walk through the IVR."""

    node: str
    input: str
    at: datetime
    language: str = ""
    heard: str = ""  # what the speech recogniser heard at this step (a listening node)


class CallRead(BaseModel):
    """A call record: who, when, the IVR path, queue and agent, outcome, recording, linked cases."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    linkedid: str
    server: str
    caller: str | None
    caller_raw: str
    dialled: str
    language: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    ivr_path: list[IvrStepRead]
    queue: str | None
    queued_at: datetime | None
    wait_seconds: float | None
    agent: str | None
    outcome: str
    hangup_cause: str | None
    recording: str | None
    status: str
    cases: list[str] = []


class CallPage(BaseModel):
    """One page of calls, newest first."""

    items: list[CallRead]
    total: int
    limit: int
    offset: int


def to_read(call: Any, cases: list[str]) -> CallRead:
    """Build the API shape of a call with its case numbers."""
    read = CallRead.model_validate(call)
    return read.model_copy(update={"cases": cases})
