"""The login throttling and lockout rules, as data (HOTLINE_LOGIN_* settings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class LoginPolicy:
    """How many failures lock an account or refuse an address, and for how long."""

    max_user_failures: int = 5
    max_address_failures: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
