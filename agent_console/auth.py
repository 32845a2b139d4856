"""Console logins: argon2 password check, server-side sessions keyed by the cookie token's SHA-256, CSRF."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from agent_console.config import ConsoleSettings
from ticketing.user import accounts
from ticketing.user.models import ConsoleSession, User
from ticketing.user.policy import LoginPolicy

TOUCH_EVERY = timedelta(seconds=60)


class LoginFailed(Exception):
    """No session opened; `reason` is login_failed, login_locked or login_throttled (message keys)."""

    def __init__(self, reason: str = "login_failed") -> None:
        super().__init__(reason)
        self.reason = reason


class NotLoggedIn(Exception):
    """No valid session; `expired` tells a timed-out session from a missing or unknown one."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("session expired" if expired else "not logged in")
        self.expired = expired


@dataclass(frozen=True)
class Viewer:
    """The logged-in user of one request."""

    session_id: str
    user_id: int
    username: str
    display_name: str
    role: str
    bureau_id: int | None
    extension: str | None
    csrf_token: str


def session_id_for(token: str) -> str:
    """Return the database id of the session a cookie token opens."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_expired(row_expires_at: datetime, last_seen_at: datetime, now: datetime, idle: timedelta) -> bool:
    """Tell whether a session is past its absolute lifetime or unused for longer than `idle`."""
    return now >= row_expires_at or now - last_seen_at >= idle


def csrf_matches(expected: str, given: str | None) -> bool:
    """Compare a submitted CSRF token with the session's in constant time."""
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def login(session: Session, username: str, password: str, settings: ConsoleSettings,
          now: datetime, address: str = "-", policy: LoginPolicy | None = None) -> str:
    """Check the password (throttled, see ticketing.user.accounts) and open a session; return its token.

    Only the cookie token's hash is stored. The attempt is recorded in `session` even when refused, so
    commit it before answering.
    """
    try:
        user = accounts.login(session, username, password, address, policy or LoginPolicy(), now)
    except accounts.LoginRefused as err:
        raise LoginFailed(f"login_{err.reason}") from err
    token = secrets.token_urlsafe(32)
    session.add(ConsoleSession(id=session_id_for(token), user_id=user.id,
                               csrf_token=secrets.token_urlsafe(32),
                               created_at=now, last_seen_at=now, data={},
                               expires_at=now + timedelta(hours=settings.session_hours)))
    session.flush()
    return token


def load(session: Session, token: str | None, settings: ConsoleSettings, now: datetime) -> Viewer:
    """Return the viewer of a cookie token, noting its use; raise NotLoggedIn when invalid or expired."""
    if not token:
        raise NotLoggedIn()
    row = session.get(ConsoleSession, session_id_for(token))
    if row is None:
        raise NotLoggedIn()
    if is_expired(row.expires_at, row.last_seen_at, now, timedelta(minutes=settings.idle_minutes)):
        session.delete(row)
        session.flush()
        raise NotLoggedIn(expired=True)
    if not row.user.active:
        raise NotLoggedIn()
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return _viewer(row, row.user)


def _viewer(row: ConsoleSession, user: User) -> Viewer:
    return Viewer(session_id=row.id, user_id=user.id, username=user.username,
                  display_name=user.display_name or user.username, role=user.role, bureau_id=user.bureau_id,
                  extension=user.extension, csrf_token=row.csrf_token)


def logout(session: Session, token: str | None) -> None:
    """Close the session of a cookie token (nothing happens for an unknown token)."""
    if token:
        session.execute(delete(ConsoleSession).where(ConsoleSession.id == session_id_for(token)))


def purge_expired(session: Session, now: datetime) -> int:
    """Delete sessions past their absolute lifetime; return how many."""
    result = session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now))
    return result.rowcount or 0
