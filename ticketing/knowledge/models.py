"""Tables of the knowledge base: articles and every version of each (who changed what, when)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing.bureau.models import Bureau, Category
from ticketing.database.core import Base
from ticketing.database.types import UTCDateTime, utcnow


class Article(Base):
    """A question residents ask and the answer agents give (知识条目), kept by the centre or one bureau."""

    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    question: Mapped[str] = mapped_column(String(300))
    answer: Mapped[str] = mapped_column(Text)
    bureau_id: Mapped[int | None] = mapped_column(ForeignKey("bureaus.id"), index=True)  # None: the centre
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    review_by: Mapped[date | None] = mapped_column(Date)
    retired: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    bureau: Mapped[Bureau | None] = relationship(lazy="joined")
    category: Mapped[Category | None] = relationship(lazy="joined")


class ArticleVersion(Base):
    """One saved version of an article: its content then, who saved it, when and why (append-only)."""

    __tablename__ = "kb_article_versions"
    __table_args__ = (
        UniqueConstraint("article_id", "version", name="uq_kb_article_versions_article_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(300), default="")
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
