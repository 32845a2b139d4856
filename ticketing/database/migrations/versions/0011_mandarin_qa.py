"""Quality review: call transcripts (both sides) and checklist scores.

Revision ID: 0011_mandarin_qa
Revises: 0010_open311
Create Date: 2026-12-02 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_mandarin_qa"
down_revision = "0010_open311"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_transcripts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("engine", sa.String(length=20), nullable=False),
        sa.Column("recording", sa.String(length=500), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_call_transcripts_call_id_calls"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_transcripts")),
        sa.UniqueConstraint("call_id", "side", name=op.f("uq_call_transcripts_call_id")),
    )
    op.create_index(op.f("ix_call_transcripts_call_id"), "call_transcripts", ["call_id"], unique=False)
    op.create_table(
        "qa_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=True),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("max_score", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_qa_scores_call_id_calls"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_scores")),
        sa.UniqueConstraint("call_id", "item", name=op.f("uq_qa_scores_call_id")),
    )
    op.create_index(op.f("ix_qa_scores_call_id"), "qa_scores", ["call_id"], unique=False)
    op.create_index(op.f("ix_qa_scores_agent"), "qa_scores", ["agent"], unique=False)
    op.create_index(op.f("ix_qa_scores_scored_at"), "qa_scores", ["scored_at"], unique=False)


def downgrade() -> None:
    op.drop_table("qa_scores")
    op.drop_table("call_transcripts")
