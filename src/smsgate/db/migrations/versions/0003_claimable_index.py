"""the queue's claim index: partial, on due_at, over claimable statuses only

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CLAIMABLE = sa.text("status IN ('scheduled', 'queued', 'sending')")


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_status_due")
        batch_op.create_index(
            "ix_messages_claimable_due",
            ["due_at"],
            unique=False,
            postgresql_where=CLAIMABLE,
            sqlite_where=CLAIMABLE,
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_claimable_due")
        batch_op.create_index("ix_messages_status_due", ["status", "due_at"], unique=False)
