"""Users and API tokens: create, look up, authenticate. Functions flush; callers commit."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.bureau.models import Bureau
from ticketing.database.types import utcnow
from ticketing.user import security
from ticketing.user.models import ROLES, ApiToken, User

TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


class UserError(ValueError):
    """A user or token request that cannot be honoured (unknown role, bureau, duplicate name...)."""


def get_by_username(session: Session, username: str) -> User | None:
    """Return the user with this username, or None."""
    return session.scalars(select(User).where(User.username == username)).first()


def get_all(session: Session) -> list[User]:
    """Return every user ordered by username."""
    return list(session.scalars(select(User).order_by(User.username)))


def create(
    session: Session,
    username: str,
    role: str,
    *,
    bureau_code: str | None = None,
    display_name: str = "",
    password: str | None = None,
    extension: str | None = None,
) -> User:
    """Create a user; bureau users must name their bureau, other roles must not."""
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if get_by_username(session, username):
        raise UserError(f"user {username!r} already exists")
    bureau = _bureau_for(session, role, bureau_code)
    user = User(
        username=username,
        role=role,
        bureau_id=bureau.id if bureau else None,
        display_name=display_name or username,
        extension=extension,
        active=True,
        password_hash=security.hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    return user


def _bureau_for(session: Session, role: str, bureau_code: str | None) -> Bureau | None:
    if role != "bureau":
        if bureau_code:
            raise UserError(f"only bureau users belong to a bureau (role {role!r} given --bureau)")
        return None
    if not bureau_code:
        raise UserError("a bureau user needs a bureau code")
    bureau = session.scalars(select(Bureau).where(Bureau.code == bureau_code)).first()
    if bureau is None:
        raise UserError(f"unknown bureau {bureau_code!r}")
    return bureau


def create_token(session: Session, user: User, name: str = "default", days: float | None = None) -> str:
    """Create an API token for `user` valid for `days` (None: no expiry); return the token itself.

    Only the token's hash is stored.
    """
    token = security.new_token()
    session.add(
        ApiToken(
            user_id=user.id,
            name=name,
            token_hash=security.token_hash(token),
            prefix=security.token_prefix(token),
            expires_at=utcnow() + timedelta(days=days) if days else None,
        )
    )
    session.flush()
    return token


class TokenExpired(Exception):
    """A bearer token past its expiry time."""


def authenticate_token(session: Session, token: str) -> ApiToken | None:
    """Return a valid, unrevoked token of an active user and note its use; None otherwise.

    Raises TokenExpired for a token past its expiry.
    """
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == security.token_hash(token))).first()
    if row is None or row.revoked or not row.user.active:
        return None
    now = utcnow()
    if row.expires_at is not None and row.expires_at <= now:
        raise TokenExpired(row.prefix)
    # Throttled so that concurrent requests with one token do not all queue on the token row's lock.
    if row.last_used_at is None or now - row.last_used_at > TOKEN_TOUCH_INTERVAL:
        row.last_used_at = now
    return row


# Verified tokens per process: token hash -> (monotonic expiry, user as loaded then). A hit skips the
# database; a token revoked or a user deactivated by another process stops working within this time.
TOKEN_CACHE_SECONDS = 30.0
_verified: dict[str, tuple[float, datetime | None, User]] = {}


def cached_token_user(token: str) -> User | None:
    """The user of a token verified within TOKEN_CACHE_SECONDS in this process, or None."""
    hit = _verified.get(security.token_hash(token))
    if hit is None or hit[0] < time.monotonic() or (hit[1] is not None and hit[1] <= utcnow()):
        return None
    return hit[2]


def remember_token(token: str, user: User, expires_at: datetime | None = None) -> None:
    """Keep a verified token's user (its columns and bureau are loaded; it is read, never changed)."""
    if len(_verified) > 10_000:
        _verified.clear()
    _verified[security.token_hash(token)] = (time.monotonic() + TOKEN_CACHE_SECONDS, expires_at, user)


def forget_tokens() -> None:
    """Drop every verified token (a revocation or user change in this process takes effect at once)."""
    _verified.clear()


def revoke_token(session: Session, prefix: str) -> int:
    """Revoke every token starting with `prefix`; return how many."""
    forget_tokens()
    rows = list(
        session.scalars(select(ApiToken).where(ApiToken.prefix == prefix, ApiToken.revoked.is_(False)))
    )
    for row in rows:
        row.revoked = True
    session.flush()
    return len(rows)
