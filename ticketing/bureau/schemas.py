"""Pydantic shapes of the district's organisation as the API returns it."""

from __future__ import annotations

from pydantic import BaseModel


class BureauRead(BaseModel):
    """A bureau."""

    code: str
    name_zh: str
    name_en: str
    kind: str


class CommunityRead(BaseModel):
    """A community of a street."""

    code: str
    name_zh: str
    name_en: str


class StreetRead(BaseModel):
    """A street with its office and communities."""

    code: str
    name_zh: str
    name_en: str
    bureau: str | None
    communities: list[CommunityRead]


class CategoryRead(BaseModel):
    """A category with its default bureau and SLA classes."""

    code: str
    name_zh: str
    name_en: str
    parent: str | None
    default_bureau: str | None
    sla_class: str
    dispatch_class: str
    keywords: list[str]
