"""Tables of the district's organisation: bureaus, streets, communities, categories and routing rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing.database.core import Base


class Bureau(Base):
    """A department or street office that handles cases (承办单位)."""

    __tablename__ = "bureaus"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20), default="department")  # department / street / centre
    matters: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Street(Base):
    """A street (街道) of the district; its office is also a bureau."""

    __tablename__ = "streets"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    bureau_id: Mapped[int | None] = mapped_column(ForeignKey("bureaus.id"))

    bureau: Mapped[Bureau | None] = relationship(lazy="joined")
    communities: Mapped[list[Community]] = relationship(back_populates="street", order_by="Community.code")


class Community(Base):
    """A community (社区) inside a street."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)

    street: Mapped[Street] = relationship(back_populates="communities")


class Category(Base):
    """A kind of matter with its default bureau and service-level classes."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    default_bureau_id: Mapped[int | None] = mapped_column(ForeignKey("bureaus.id"))
    sla_class: Mapped[str] = mapped_column(String(32))
    dispatch_class: Mapped[str] = mapped_column(String(32), default="general")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Category | None] = relationship(remote_side="Category.id", lazy="joined", join_depth=1)
    default_bureau: Mapped[Bureau | None] = relationship(lazy="joined")


class RoutingRule(Base):
    """Copy of one routing rule from the data file, kept for reference and audit."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    bureau_code: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
