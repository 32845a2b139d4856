"""Caller list: numbers a supervisor marked abusive or prank, with reason and expiry; ended rows are kept.

Revision ID: 0021_caller_flags
Revises: 0015_backbone_outbox
Create Date: 2026-12-02 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_caller_flags"
down_revision = "0015_backbone_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "caller_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=100), nullable=True),
        sa.Column("end_note", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caller_flags")),
    )
    op.create_index("ix_caller_flags_phone", "caller_flags", ["phone", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_caller_flags_phone", table_name="caller_flags")
    op.drop_table("caller_flags")
