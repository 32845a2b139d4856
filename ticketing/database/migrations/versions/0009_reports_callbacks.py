"""Callbacks (回访): a task per resolved case and the do-not-call list.

Revision ID: 0009_reports_callbacks
Revises: 0013_webhooks
Create Date: 2026-12-02 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_reports_callbacks"
down_revision = "0013_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_result", sa.String(length=32), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("rating", sa.String(length=16), nullable=True),
        sa.Column("rated_by", sa.String(length=100), nullable=False),
        sa.Column("comment_path", sa.String(length=500), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_callback_tasks_case_id_cases"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_tasks")),
    )
    op.create_index(op.f("ix_callback_tasks_case_id"), "callback_tasks", ["case_id"])
    op.create_index(op.f("ix_callback_tasks_status"), "callback_tasks", ["status"])
    op.create_index(op.f("ix_callback_tasks_next_attempt_at"), "callback_tasks", ["next_attempt_at"])
    op.create_table(
        "callback_do_not_call",
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_callback_do_not_call")),
    )


def downgrade() -> None:
    op.drop_table("callback_do_not_call")
    op.drop_index(op.f("ix_callback_tasks_next_attempt_at"), table_name="callback_tasks")
    op.drop_index(op.f("ix_callback_tasks_status"), table_name="callback_tasks")
    op.drop_index(op.f("ix_callback_tasks_case_id"), table_name="callback_tasks")
    op.drop_table("callback_tasks")
