"""Bureau workspace and deadline supervision: due instants of the running stage, notices, supervision
orders (督办单), assisting bureaus (协办), community hand-off, uploaded attachments, access audit trail.

Revision ID: 0012_bureaus
Revises: 0011_mandarin_qa
Create Date: 2026-12-02 03:21:23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_bureaus"
down_revision = "0011_mandarin_qa"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("case_number", sa.String(length=32), nullable=True),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_audit")),
    )
    with op.batch_alter_table("access_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_audit_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_audit_case_number"), ["case_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_audit_username"), ["username"], unique=False)

    op.create_table(
        "case_assists",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("bureau_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["bureau_id"], ["bureaus.id"], name=op.f("fk_case_assists_bureau_id_bureaus")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_assists_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", "bureau_id", name=op.f("pk_case_assists")),
    )
    with op.batch_alter_table("case_assists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_assists_bureau_id"), ["bureau_id"], unique=False)

    op.create_table(
        "case_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("bureau_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("sla_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bureau_id"], ["bureaus.id"], name=op.f("fk_case_notices_bureau_id_bureaus")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_notices_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notices")),
        sa.UniqueConstraint("case_id", "sla_key", "kind", name="uq_case_notices_case_id_key_kind"),
    )
    with op.batch_alter_table("case_notices", schema=None) as batch_op:
        batch_op.create_index("ix_case_notices_bureau_id_id", ["bureau_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_notices_case_id"), ["case_id"], unique=False)

    op.create_table(
        "supervision_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("bureau_id", sa.Integer(), nullable=True),
        sa.Column("ordered_by", sa.String(length=100), nullable=False),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("answer_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.String(length=100), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["bureau_id"], ["bureaus.id"], name=op.f("fk_supervision_orders_bureau_id_bureaus")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_supervision_orders_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_orders")),
    )
    with op.batch_alter_table("supervision_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supervision_orders_bureau_id"), ["bureau_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_supervision_orders_case_id"), ["case_id"], unique=False)

    with op.batch_alter_table("case_attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("content_type", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("size_bytes", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("uploaded_by", sa.String(length=100), nullable=False, server_default="")
        )

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_community_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("supervised_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sla_stage", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("sla_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("sla_remind_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sla_next_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("sla_next_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_cases_sla_due_at_id", ["sla_due_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_sla_next_at"), ["sla_next_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_sla_remind_at"), ["sla_remind_at"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_assigned_community_id_communities"),
            "communities",
            ["assigned_community_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cases_assigned_community_id_communities"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_cases_sla_remind_at"))
        batch_op.drop_index(batch_op.f("ix_cases_sla_next_at"))
        batch_op.drop_index("ix_cases_sla_due_at_id")
        batch_op.drop_column("sla_next_at")
        batch_op.drop_column("sla_next_kind")
        batch_op.drop_column("sla_due_at")
        batch_op.drop_column("sla_remind_at")
        batch_op.drop_column("sla_key")
        batch_op.drop_column("sla_stage")
        batch_op.drop_column("supervised_at")
        batch_op.drop_column("assigned_community_id")

    with op.batch_alter_table("case_attachments", schema=None) as batch_op:
        batch_op.drop_column("uploaded_by")
        batch_op.drop_column("size_bytes")
        batch_op.drop_column("content_type")
        batch_op.drop_column("name")

    with op.batch_alter_table("supervision_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_orders_case_id"))
        batch_op.drop_index(batch_op.f("ix_supervision_orders_bureau_id"))

    op.drop_table("supervision_orders")
    with op.batch_alter_table("case_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_notices_case_id"))
        batch_op.drop_index("ix_case_notices_bureau_id_id")

    op.drop_table("case_notices")
    with op.batch_alter_table("case_assists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_assists_bureau_id"))

    op.drop_table("case_assists")
    with op.batch_alter_table("access_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_audit_username"))
        batch_op.drop_index(batch_op.f("ix_access_audit_case_number"))
        batch_op.drop_index(batch_op.f("ix_access_audit_at"))

    op.drop_table("access_audit")
