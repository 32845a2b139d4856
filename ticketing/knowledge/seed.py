"""Add a district's sample knowledge articles (knowledge.yaml beside its data) that do not exist yet."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.case.permissions import Actor
from ticketing.knowledge import service
from ticketing.knowledge.models import Article
from ticketing.knowledge.schemas import ArticleWrite

FILE = "knowledge.yaml"
REVIEW_BY = date(2027, 6, 30)  # the sample's articles are due for review by then unless they say otherwise


def seed_articles(session: Session, directory: Path | None, actor: str = "seed") -> int:
    """Add the articles of DIRECTORY/knowledge.yaml whose code is new; return how many were added."""
    path = Path(directory or ".") / FILE
    if directory is None or not path.exists():
        return 0
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))["articles"]
    known = set(session.scalars(select(Article.code)))
    added = 0
    for row in rows:
        if row["code"] in known:
            continue
        data = ArticleWrite(review_by=row.pop("review_by", REVIEW_BY), note="示例 sample", **row)
        service.save(session, data, Actor(name=actor, role="admin"))
        added += 1
    return added
