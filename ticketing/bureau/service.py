"""Look up the district's organisation by code. Functions flush only; callers commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.bureau.models import Bureau, Category, Community, Street


def get_bureau(session: Session, code: str) -> Bureau | None:
    """Return the bureau with this code, or None."""
    return session.scalars(select(Bureau).where(Bureau.code == code)).first()


def get_street(session: Session, code: str) -> Street | None:
    """Return the street with this code, or None."""
    return session.scalars(select(Street).where(Street.code == code)).first()


def get_community(session: Session, code: str) -> Community | None:
    """Return the community with this code, or None."""
    return session.scalars(select(Community).where(Community.code == code)).first()


def get_category(session: Session, code: str) -> Category | None:
    """Return the category with this code, or None."""
    return session.scalars(select(Category).where(Category.code == code)).first()


def all_bureaus(session: Session) -> list[Bureau]:
    """Return every bureau, departments first, by code."""
    return list(session.scalars(select(Bureau).order_by(Bureau.kind, Bureau.code)))


def all_streets(session: Session) -> list[Street]:
    """Return every street with its communities."""
    return list(session.scalars(select(Street).order_by(Street.code)).unique())


def all_categories(session: Session) -> list[Category]:
    """Return every category by code."""
    return list(session.scalars(select(Category).order_by(Category.code)).unique())


def street_community(session: Session, bureau_id: int | None, code: str) -> Community | None:
    """Return the community CODE when it lies in the street whose office is the bureau BUREAU_ID."""
    if bureau_id is None:
        return None
    query = (
        select(Community)
        .join(Street, Community.street_id == Street.id)
        .where(Community.code == code, Street.bureau_id == bureau_id)
    )
    return session.scalars(query).first()


def street_communities(session: Session, bureau_id: int | None) -> list[Community]:
    """Return the communities of the street whose office is the bureau BUREAU_ID (none for departments)."""
    if bureau_id is None:
        return []
    query = (
        select(Community)
        .join(Street, Community.street_id == Street.id)
        .where(Street.bureau_id == bureau_id)
        .order_by(Community.code)
    )
    return list(session.scalars(query))
