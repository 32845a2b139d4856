"""HTTP routes of users: who am I, and (admins) list and create users and their tokens."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy.orm import Session

from ticketing.database.deps import get_db
from ticketing.user import service
from ticketing.user.deps import current_user, require_roles
from ticketing.user.models import User
from ticketing.user.schemas import TokenCreate, TokenCreated, UserCreate, UserRead

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
def create_token(username: str, data: TokenCreate, session: Session = Depends(get_db)) -> TokenCreated:
    """Create an API token for a user (admins only); the token is shown once."""
    user = service.get_by_username(session, username)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"user {username!r} not found")
    token = service.create_token(session, user, data.name)
    session.commit()
    return TokenCreated(token=token, name=data.name, username=username)
