"""HTTP routes listing bureaus, streets (with communities) and categories."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from ticketing.bureau import service
from ticketing.bureau.schemas import BureauRead, CategoryRead, CommunityRead, StreetRead
from ticketing.database.deps import get_db
from ticketing.user.deps import current_user

router = APIRouter(tags=["organisation"], dependencies=[Depends(current_user)])


@router.get("/bureaus", response_model=list[BureauRead])
def list_bureaus(session: Session = Depends(get_db)) -> list[BureauRead]:
    """Return every bureau: departments, street offices and the centre."""
    return [
        BureauRead(code=b.code, name_zh=b.name_zh, name_en=b.name_en, kind=b.kind)
        for b in service.all_bureaus(session)
    ]


@router.get("/streets", response_model=list[StreetRead])
def list_streets(session: Session = Depends(get_db)) -> list[StreetRead]:
    """Return every street with its office bureau and communities."""
    return [
        StreetRead(
            code=s.code,
            name_zh=s.name_zh,
            name_en=s.name_en,
            bureau=s.bureau.code if s.bureau else None,
            communities=[
                CommunityRead(code=c.code, name_zh=c.name_zh, name_en=c.name_en) for c in s.communities
            ],
        )
        for s in service.all_streets(session)
    ]


@router.get("/categories", response_model=list[CategoryRead])
def list_categories(session: Session = Depends(get_db)) -> list[CategoryRead]:
    """Return every category with its default bureau, SLA classes and keywords."""
    return [
        CategoryRead(
            code=c.code,
            name_zh=c.name_zh,
            name_en=c.name_en,
            parent=c.parent.code if c.parent else None,
            default_bureau=c.default_bureau.code if c.default_bureau else None,
            sla_class=c.sla_class,
            dispatch_class=c.dispatch_class,
            keywords=list(c.keywords),
        )
        for c in service.all_categories(session)
    ]
