"""Console: agent presence (state, phone, queues, holding tab).

Revision ID: 0003_console
Revises: 0001_initial
Create Date: 2026-11-26 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_console"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_agent_presence",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("interface", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("tab", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_console_agent_presence_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_console_agent_presence")),
    )
    op.create_index(op.f("ix_console_agent_presence_interface"), "console_agent_presence", ["interface"])


def downgrade() -> None:
    op.drop_index(op.f("ix_console_agent_presence_interface"), table_name="console_agent_presence")
    op.drop_table("console_agent_presence")
