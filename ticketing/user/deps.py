"""Authentication dependencies: bearer token -> user, and role checks."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from ticketing.user import service
from ticketing.user.models import User

bearer = HTTPBearer(auto_error=False, description="API token created with `hotline tokens create NAME`.")


async def current_user(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> User:
    """Return the user owning the request's bearer token, or answer 401.

    Async: a token verified within TOKEN_CACHE_SECONDS is answered on the event loop without a thread
    hop; only a miss reads the database, in the thread pool, in a session of its own. Not the request's
    `get_db` session: a route that needs none (case intake opens its own in its one thread-pool call)
    then pays for no generator dependency (docs/operations.md).
    """
    if credentials is None:
        raise _unauthorised("missing bearer token (send 'Authorization: Bearer <token>')")
    user = service.cached_token_user(credentials.credentials)
    if user is not None:
        return user
    return await run_in_threadpool(_verify, request.app.state.session_factory, credentials.credentials)


def _verify(factory: sessionmaker[Session], token: str) -> User:
    """Check a token in the database (a cache miss), remember its user and return it, or raise 401."""
    with factory() as session:
        try:
            row = service.authenticate_token(session, token)
        except service.TokenExpired as err:
            raise _unauthorised("token expired: ask an administrator for a new one") from err
        if row is None:
            raise _unauthorised("invalid or revoked token")
        user, expires_at = row.user, row.expires_at
        if session.dirty:  # the token's last-used time was refreshed
            session.commit()
        # Out of this session, so that its close never expires what other requests read.
        for loaded in (user, user.bureau):
            if loaded is not None:
                session.expunge(loaded)
    service.remember_token(token, user, expires_at)
    return user


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def require_roles(*roles: str) -> Callable[[User], User]:
    """Dependency accepting only users whose role is one of `roles`."""

    async def check(user: User = Depends(current_user)) -> User:  # async: no thread hop for a comparison
        if user.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role {user.role!r} may not do this (needs {' or '.join(roles)})",
            )
        return user

    return check
