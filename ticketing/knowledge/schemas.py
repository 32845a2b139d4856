"""Request and response bodies of the knowledge base."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ticketing.case.schemas import CaseCreate


class ArticleWrite(BaseModel):
    """An article as the centre or a bureau writes it (create, or the full new content of an update)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    question: str = Field(min_length=2, max_length=300)
    answer: str = Field(min_length=2, max_length=4000)
    bureau: str | None = Field(None, description="Bureau code; none: kept by the centre.")
    category: str | None = None
    keywords: list[str] = Field(default_factory=list, max_length=30)
    valid_from: date | None = None
    valid_to: date | None = None
    review_by: date | None = None
    retired: bool = False
    note: str = Field("", max_length=300, description="Why it changed (kept with the version).")

    @model_validator(mode="after")
    def _dates(self) -> ArticleWrite:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        self.keywords = [k.strip() for k in self.keywords if k.strip()]
        return self


class ArticleRead(BaseModel):
    """An article as shown to agents and editors."""

    code: str
    question: str
    answer: str
    bureau: str | None
    bureau_name: str | None
    bureau_name_en: str | None = None
    category: str | None
    keywords: list[str]
    valid_from: date | None
    valid_to: date | None
    review_by: date | None
    retired: bool
    version: int
    updated_by: str
    updated_at: datetime
    score: float | None = None
    matched: list[str] = Field(default_factory=list)


class VersionRead(BaseModel):
    """One version of an article: who saved it, when, why, and its content then."""

    version: int
    changed_by: str
    changed_at: datetime
    note: str
    content: dict


class DirectAnswer(BaseModel):
    """A question answered at once from an article (直接答复): recorded as a closed consultation case."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    article: str
    description: str = Field("", max_length=4000, description="The question; default: the article's.")
    caller_phone: str | None = None
    caller_name: str = Field("", max_length=100)
    street: str | None = None
    linkedid: str | None = None

    def case(self, question: str) -> CaseCreate:
        """Return the intake of the consultation case."""
        return CaseCreate(description=self.description or question, caller_phone=self.caller_phone,
                          caller_name=self.caller_name, street=self.street or None, category="consultation",
                          linkedid=self.linkedid or None)
