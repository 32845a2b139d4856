"""Knowledge base: articles and their versions.

Revision ID: 0014_desk_knowledge
Revises: 0004_scale
Create Date: 2026-12-02 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_desk_knowledge"
down_revision = "0004_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("bureau_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("review_by", sa.Date(), nullable=True),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["bureau_id"], ["bureaus.id"], name=op.f("fk_kb_articles_bureau_id_bureaus")),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"],
                                name=op.f("fk_kb_articles_category_id_categories")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_articles")),
        sa.UniqueConstraint("code", name=op.f("uq_kb_articles_code")),
    )
    op.create_index(op.f("ix_kb_articles_bureau_id"), "kb_articles", ["bureau_id"])
    op.create_table(
        "kb_article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["kb_articles.id"],
                                name=op.f("fk_kb_article_versions_article_id_kb_articles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_article_versions")),
        sa.UniqueConstraint("article_id", "version", name="uq_kb_article_versions_article_version"),
    )
    op.create_index(op.f("ix_kb_article_versions_article_id"), "kb_article_versions", ["article_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_kb_article_versions_article_id"), table_name="kb_article_versions")
    op.drop_table("kb_article_versions")
    op.drop_index(op.f("ix_kb_articles_bureau_id"), table_name="kb_articles")
    op.drop_table("kb_articles")
