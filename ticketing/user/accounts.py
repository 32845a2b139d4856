"""Console logins with throttling and lockout, and the administration of accounts.

Every attempt is a `LoginAttempt` row (never the password) and a log line. A user whose failures since
their last success reach `max_user_failures` within the window is locked for `lockout`; an address with
`max_address_failures` failures in the window is refused before any password is checked. Unknown
usernames count and lock like real ones, so the answers do not tell which accounts exist.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ticketing.audit import service as audit_service
from ticketing.user import security
from ticketing.user import service as users
from ticketing.user.models import ConsoleSession, LoginAttempt, User
from ticketing.user.policy import LoginPolicy

log = logging.getLogger(__name__)
# A real argon2 hash, verified when the username is unknown so both paths take the same time.
_DUMMY_HASH = security.hash_password(secrets.token_hex(8))
MIN_PASSWORD = 8


class LoginRefused(Exception):
    """A login that does not open a session; `reason` is failed, locked or throttled."""

    def __init__(self, reason: str, username: str) -> None:
        super().__init__(f"login {reason} for {username!r}")
        self.reason = reason


def login(session: Session, username: str, password: str, address: str, policy: LoginPolicy,
          now: datetime) -> User:
    """Return the user whose password matches; record the attempt; raise LoginRefused otherwise."""
    name = username.strip()[:64]
    if _failures(session, LoginAttempt.address, address, now - policy.window) >= policy.max_address_failures:
        _refuse(session, name, address, "throttled", now)
    user = users.get_by_username(session, name)
    if _is_locked(session, user, name, policy, now):
        security.verify_password(_DUMMY_HASH, password)
        _refuse(session, name, address, "locked", now)
    if user is None or not user.active:
        security.verify_password(_DUMMY_HASH, password)
        _refuse(session, name, address, "unknown-user" if user is None else "inactive", now, policy, user)
    if not security.verify_password(user.password_hash, password):
        _refuse(session, name, address, "wrong-password", now, policy, user)
    user.locked_until = None
    _note(session, name, address, "ok", now)
    return user


def _is_locked(session: Session, user: User | None, name: str, policy: LoginPolicy, now: datetime) -> bool:
    if user is not None:
        return user.locked_until is not None and user.locked_until > now
    return _user_failures(session, name, now - policy.window) >= policy.max_user_failures


def _refuse(session: Session, name: str, address: str, outcome: str, now: datetime,
            policy: LoginPolicy | None = None, user: User | None = None):
    _note(session, name, address, outcome, now)
    failures = _user_failures(session, name, now - policy.window) if policy else 0
    log.warning("login refused: user=%s address=%s outcome=%s failures=%d", name, address, outcome, failures)
    reason = {"locked": "locked", "throttled": "throttled"}.get(outcome, "failed")
    if policy and failures >= policy.max_user_failures:
        reason = "locked"
        if user is not None and (user.locked_until is None or user.locked_until <= now):
            user.locked_until = now + policy.lockout
            log.warning("account %s locked until %s after %d failed logins", name, user.locked_until,
                        failures)
    session.flush()
    raise LoginRefused(reason, name)


def _note(session: Session, name: str, address: str, outcome: str, now: datetime) -> None:
    session.add(LoginAttempt(at=now, username=name, address=address[:64], outcome=outcome,
                             succeeded=outcome in ("ok", "unlocked")))


def _user_failures(session: Session, name: str, since: datetime) -> int:
    """Failures of a username in the window and after its last success or unlock."""
    last_ok = session.scalar(select(func.max(LoginAttempt.at)).where(LoginAttempt.username == name,
                                                                   LoginAttempt.succeeded.is_(True)))
    return _failures(session, LoginAttempt.username, name, max(since, last_ok) if last_ok else since)


def _failures(session: Session, column, value: str, since: datetime) -> int:
    session.flush()
    return session.scalar(select(func.count()).select_from(LoginAttempt).where(
        column == value, LoginAttempt.at > since, LoginAttempt.succeeded.is_(False))) or 0


# --- administration (CLI and admin API) -------------------------------------------------------------

def change_password(session: Session, user: User, password: str, now: datetime,
                    actor: tuple[str, str] | None = None) -> None:
    """Set a new password and close the user's console sessions (`actor`: who, role, for the audit)."""
    if len(password) < MIN_PASSWORD:
        raise users.UserError(f"a password needs at least {MIN_PASSWORD} characters")
    user.password_hash = security.hash_password(password)
    user.password_changed_at = now
    _close_sessions(session, user)
    _audit(session, actor, "user-password", user)


def set_active(session: Session, user: User, active: bool, now: datetime,
               actor: tuple[str, str] | None = None) -> None:
    """Activate or deactivate a user; a deactivated user's sessions close and tokens stop working."""
    user.active = active
    if not active:
        _close_sessions(session, user)
    _audit(session, actor, "user-activate" if active else "user-deactivate", user)


def unlock(session: Session, user: User, now: datetime, actor: tuple[str, str] | None = None) -> None:
    """Lift a lockout and forget the failures that caused it."""
    user.locked_until = None
    _note(session, user.username, "-", "unlocked", now)
    _audit(session, actor, "user-unlock", user)


def _close_sessions(session: Session, user: User) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user.id))
    users.forget_tokens()


def _audit(session: Session, actor: tuple[str, str] | None, action: str, user: User) -> None:
    who, role = actor or ("(command line)", "admin")
    log.info("%s by %s: %s", action, who, user.username)
    audit_service.record(session, who, role, action, None, target=user.username)
