"""Admin API of webhooks: register receivers (secret shown once), disable them, read the delivery log."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from ticketing.database.deps import get_db
from ticketing.user.deps import require_roles
from ticketing.webhook import service
from ticketing.webhook.models import WebhookSubscription

router = APIRouter(prefix="/webhooks", tags=["webhooks"], dependencies=[Depends(require_roles("admin"))])


class WebhookCreate(BaseModel):
    """A receiver to register."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=1, max_length=500, description="http(s) URL receiving signed POSTs.")
    event_types: list[str] = Field(
        default_factory=list, description="case.created, case.changed; empty: all."
    )


class WebhookRead(BaseModel):
    """A receiver as listed (without its secret)."""

    id: int
    name: str
    url: str
    event_types: list[str]
    created_at: datetime
    disabled_at: datetime | None


class WebhookCreated(WebhookRead):
    """A new receiver with its signing secret, shown only in this answer."""

    secret: str


class DeliveryRead(BaseModel):
    """One line of the delivery log."""

    id: int
    event_id: str
    event_type: str
    key: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None


def _read(subscription: WebhookSubscription) -> dict:
    return {k: getattr(subscription, k) for k in WebhookRead.model_fields}


def _require(session: Session, subscription_id: int) -> WebhookSubscription:
    if not 0 < subscription_id < 2**63:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such webhook receiver")
    subscription = service.get(session, subscription_id)
    if subscription is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such webhook receiver")
    return subscription


@router.get("", response_model=list[WebhookRead])
def list_webhooks(session: Session = Depends(get_db)) -> list[dict]:
    """List the receivers."""
    return [_read(s) for s in service.get_all(session)]


@router.post("", response_model=WebhookCreated, status_code=status.HTTP_201_CREATED)
def create_webhook(data: WebhookCreate, session: Session = Depends(get_db)) -> dict:
    """Register a receiver; the answer carries the secret its signatures are made with."""
    try:
        subscription = service.register(session, data.name, data.url, data.event_types)
    except service.WebhookError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    session.commit()
    return {**_read(subscription), "secret": subscription.secret}


@router.post("/{subscription_id}/disable", response_model=WebhookRead)
def disable_webhook(subscription_id: int, session: Session = Depends(get_db)) -> dict:
    """Stop sending to a receiver."""
    subscription = _require(session, subscription_id)
    service.disable(session, subscription)
    session.commit()
    return _read(subscription)


@router.get("/{subscription_id}/deliveries", response_model=list[DeliveryRead])
def list_deliveries(subscription_id: int, limit: int = 100, session: Session = Depends(get_db)) -> list:
    """Return the receiver's newest deliveries: status, attempts, last answer."""
    _require(session, subscription_id)
    return service.deliveries(session, subscription_id, max(1, min(limit, 1000)))
