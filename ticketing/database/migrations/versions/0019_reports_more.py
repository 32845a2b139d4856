"""Reports: a small partial index over the audit entries the casework figures read (returns and granted
extensions), so a year's report finds them without scanning every case event.

Revision ID: 0019_reports_more
Revises: 0021_caller_flags
Create Date: 2026-12-02 07:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_reports_more"
down_revision = "0021_caller_flags"
branch_labels = None
depends_on = None

WORKFLOW = sa.text("action IN ('return', 'approve-extension')")


def upgrade() -> None:
    op.create_index("ix_case_events_workflow", "case_events", ["case_id", "id", "action"],
                    postgresql_where=WORKFLOW, sqlite_where=WORKFLOW)


def downgrade() -> None:
    op.drop_index("ix_case_events_workflow", table_name="case_events")
