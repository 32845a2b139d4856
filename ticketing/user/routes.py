"""HTTP routes of users: who am I, and (admins) list and create users and their tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from sqlalchemy.orm import Session

from ticketing.database.deps import get_db
from ticketing.database.types import utcnow
from ticketing.user import accounts, service
from ticketing.user.deps import current_user, require_roles
from ticketing.user.models import User
from ticketing.user.schemas import PasswordChange, TokenCreate, TokenCreated, UserCreate, UserRead

router = APIRouter(tags=["users"])


def to_read(user: User) -> UserRead:
    """Return the public form of a user."""
    return UserRead(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        bureau=user.bureau.code if user.bureau else None,
        extension=user.extension,
        active=user.active,
        locked_until=user.locked_until if user.locked_until and user.locked_until > utcnow() else None,
    )


@router.get("/me", response_model=UserRead)
def me(user: User = Depends(current_user)) -> UserRead:
    """Return the user owning the token."""
    return to_read(user)


@router.get(
    "/users", response_model=list[UserRead], dependencies=[Depends(require_roles("admin", "supervisor"))]
)
def list_users(session: Session = Depends(get_db)) -> list[UserRead]:
    """Return every user."""
    return [to_read(user) for user in service.get_all(session)]


@router.post(
    "/users",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_roles("admin"))],
)
def create_user(data: UserCreate, session: Session = Depends(get_db)) -> UserRead:
    """Create a user (admins only)."""
    user = service.create(
        session,
        data.username,
        data.role,
        bureau_code=data.bureau,
        display_name=data.display_name,
        password=data.password,
        extension=data.extension,
    )
    session.commit()
    return to_read(user)


@router.post(
    "/users/{username}/tokens",
    response_model=TokenCreated,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_roles("admin"))],
)
def create_token(username: str, data: TokenCreate, request: Request,
                 session: Session = Depends(get_db)) -> TokenCreated:
    """Create an API token for a user (admins only); the token is shown once and expires."""
    user = _user(session, username)
    days = data.days or request.app.state.settings.token_days or None
    token = service.create_token(session, user, data.name, days=days)
    session.commit()
    expires_at = utcnow() + timedelta(days=days) if days else None
    return TokenCreated(token=token, name=data.name, username=username, expires_at=expires_at)


@router.put("/users/{username}/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(username: str, data: PasswordChange, session: Session = Depends(get_db),
                    admin: User = Depends(require_roles("admin"))) -> Response:
    """Set a user's console password (admins only, audited); their open console sessions close."""
    accounts.change_password(session, _user(session, username), data.password, utcnow(),
                             actor=(admin.username, admin.role))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/users/{username}/{change}", response_model=UserRead)
def change_account(username: str, change: Literal["activate", "deactivate", "unlock"],
                   session: Session = Depends(get_db),
                   admin: User = Depends(require_roles("admin"))) -> UserRead:
    """Activate, deactivate or unlock a user (admins only, audited; nobody deactivates themselves)."""
    user = _user(session, username)
    actor = (admin.username, admin.role)
    if change == "unlock":
        accounts.unlock(session, user, utcnow(), actor=actor)
    elif change == "deactivate" and user.id == admin.id:
        raise service.UserError("you cannot deactivate your own account")
    else:
        accounts.set_active(session, user, change == "activate", utcnow(), actor=actor)
    session.commit()
    return to_read(user)


def _user(session: Session, username: str) -> User:
    user = service.get_by_username(session, username)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"user {username!r} not found")
    return user
