"""Survey comments transcribed: the text of the resident's spoken 回访 comment beside its audio.

Revision ID: 0022_speech_more
Revises: 0023_scale_more
Create Date: 2026-12-02 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_speech_more"
down_revision = "0023_scale_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("callback_tasks", sa.Column("comment_text", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("callback_tasks", "comment_text")
