"""Pydantic shapes of cases going in and out of the API and the services other packages call."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from types import UnionType
from typing import Annotated, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, WrapSerializer, field_validator

from ticketing.case.models import MAX_DESCRIPTION
from ticketing.case.phone import InvalidPhone, normalize_phone
from ticketing.config import get_settings

Channel = Literal["phone", "web", "open311", "walk-in"]
Priority = Literal["normal", "urgent"]
Visibility = Literal["public", "internal"]
Rating = Literal["satisfied", "mostly_satisfied", "unsatisfied"]  # 满意 / 基本满意 / 不满意


class CaseCreate(BaseModel):
    """A new case as taken by an agent, the IVR, the web form or Open311."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: Channel = "phone"
    description: str = Field(min_length=1, max_length=MAX_DESCRIPTION)
    caller_phone: str | None = Field(None, description="Mobile or landline; stored in E.164 (+86...).")
    caller_name: str = Field("", max_length=100)
    street: str | None = Field(None, description="Street code, e.g. 'futian'.")
    community: str | None = Field(None, description="Community code inside the street.")
    address: str = Field("", max_length=300)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    category: str | None = Field(None, description="Category code; suggested from the text when omitted.")
    priority: Priority = "normal"
    bureau: str | None = Field(None, description="Bureau to dispatch to instead of the routed one.")
    dispatch: bool = Field(False, description="Dispatch at once to the chosen or routed bureau.")
    linkedid: str | None = Field(None, description="Asterisk Linkedid of the call this case came from.")

    @field_validator("caller_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            return normalize_phone(value)
        except InvalidPhone as err:
            raise ValueError(str(err)) from err


class ActionPayload(BaseModel):
    """Body of POST /cases/{number}/actions/{action}; which fields matter depends on the action."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: str = Field("", max_length=MAX_DESCRIPTION, description="Reason (return, refuse) or remark.")
    visibility: Visibility = "internal"
    bureau: str | None = Field(None, description="dispatch: bureau code (default: the routed bureau).")
    days: int | None = Field(None, ge=1, le=60, description="request/approve-extension: working days.")
    reply: str | None = Field(None, max_length=MAX_DESCRIPTION, description="resolve: reply to the resident.")
    target: str | None = Field(None, description="merge: number of the case this one duplicates.")
    rating: Rating | None = Field(None, description="callback: the resident's satisfaction.")
    expected_version: int | None = Field(
        None, description="Refuse with 409 unless the case is at this version."
    )
    assist: list[str] | None = Field(
        None, max_length=10, description="dispatch: assisting bureaus (协办) beside the lead bureau."
    )
    community: str | None = Field(None, description="assign-community: community code under the street.")


@lru_cache
def display_zone() -> ZoneInfo:
    """Timezone in which the API shows times (the district's, HOTLINE_TIMEZONE)."""
    return ZoneInfo(get_settings().timezone)


def _local(value: datetime, handler):
    if value.tzinfo is not None:
        value = value.astimezone(display_zone())
    return handler(value)


LOCAL = WrapSerializer(_local)
LocalDateTime = Annotated[datetime, LOCAL]  # a datetime shown in the district's local time


class LocalTimes(BaseModel):
    """Output model whose datetimes are shown in the district's local time (e.g. +08:00).

    Its datetime fields are `LocalDateTime`: a serializer on those fields only (one on every field, "*",
    called Python for each of a case's 40 fields, a tenth of intake's answer). A plain `datetime` field
    in a subclass is refused when the class is made, so none is shown in UTC by mistake.
    """

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        for name, field in cls.model_fields.items():
            if _plain_datetime(field.annotation) and LOCAL not in field.metadata:
                raise TypeError(f"{cls.__name__}.{name}: LocalTimes models show LocalDateTime, not datetime")


def _plain_datetime(annotation) -> bool:
    """Whether `annotation` is datetime or holds it (X | None) other than as LocalDateTime."""
    if annotation is datetime:
        return True
    if get_origin(annotation) is Annotated:
        return LOCAL not in annotation.__metadata__ and _plain_datetime(get_args(annotation)[0])
    union = get_origin(annotation) in (Union, UnionType)
    return union and any(_plain_datetime(a) for a in get_args(annotation))


class CaseSummary(LocalTimes):
    """A case in lists and caller histories."""

    number: str
    status: str
    channel: str
    category: str | None
    bureau: str | None
    street: str | None
    description: str
    created_at: LocalDateTime
    resolve_by: LocalDateTime | None
    priority: str = Field("normal", description="normal or urgent (紧急: a shorter deadline, flagged)")


class CaseRead(CaseSummary):
    """Everything about one case."""

    caller_phone: str | None
    caller_name: str
    community: str | None
    address: str
    latitude: float | None
    longitude: float | None
    category_name: str | None
    bureau_name: str | None
    routing_rule: str | None
    routing_explanation: str
    dispatch_by: LocalDateTime | None
    acknowledge_by: LocalDateTime | None
    extended_days: int
    extension_requested_days: int | None
    paused_seconds: int
    public_reply: str
    satisfaction: str | None
    merged_into: str | None
    updated_at: LocalDateTime
    dispatched_at: LocalDateTime | None
    acknowledged_at: LocalDateTime | None
    started_at: LocalDateTime | None
    resolved_at: LocalDateTime | None
    closed_at: LocalDateTime | None
    version: int
    allowed_actions: list[str]
    sla: dict[str, object] = Field(default_factory=dict)


class CasePage(BaseModel):
    """One page of a case search."""

    items: list[CaseSummary]
    total: int = Field(description="Matching cases, counted up to a cap (see total_capped).")
    page: int
    per_page: int
    total_capped: bool = Field(False, description="True when more cases match than `total` counts.")
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page (lists newest first); null on the last page "
        "and for ranked word searches, which page by `page`."
    )


class EventRead(LocalTimes):
    """One audit-trail entry."""

    model_config = ConfigDict(from_attributes=True)

    at: LocalDateTime
    actor: str
    action: str
    from_status: str | None
    to_status: str
    note: str
    visibility: str
    data: dict[str, object]


class CallSummary(LocalTimes):
    """A call in a caller's history."""

    model_config = ConfigDict(from_attributes=True)

    linkedid: str
    started_at: LocalDateTime
    ended_at: LocalDateTime | None
    outcome: str
    queue: str | None
    agent: str | None


class CallerHistory(BaseModel):
    """What the hotline knows about one phone number: its cases and calls, newest first."""

    phone: str
    cases: list[CaseSummary]
    calls: list[CallSummary]
