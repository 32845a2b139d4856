"""Pydantic shapes of users and tokens in the API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["agent", "supervisor", "bureau", "admin", "qa"]


class UserCreate(BaseModel):
    """A new user; bureau users name their bureau."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Role
    bureau: str | None = None
    display_name: str = Field("", max_length=200)
    password: str | None = Field(None, min_length=8, max_length=200)
    extension: str | None = Field(None, max_length=32)


class UserRead(BaseModel):
    """A user as others see them."""

    username: str
    display_name: str
    role: str
    bureau: str | None
    extension: str | None
    active: bool
    locked_until: datetime | None = None  # locked after too many failed logins until then


class PasswordChange(BaseModel):
    """A new console password for the user in the path."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=8, max_length=200)


class TokenCreate(BaseModel):
    """Name of a new token for the user in the path."""

    name: str = Field("api", min_length=1, max_length=100)
    days: float | None = Field(None, gt=0, le=3650, description="Valid for this many days "
                               "(default HOTLINE_TOKEN_DAYS).")


class TokenCreated(BaseModel):
    """A freshly created token: shown once, store it now."""

    token: str
    name: str
    username: str
    expires_at: datetime | None
