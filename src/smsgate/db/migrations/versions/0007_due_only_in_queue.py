"""messages: due_at only while in the queue, the claim index over due_at, room on each page:
a message's finish becomes a HOT update (PostgreSQL)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 14:00:00

Every message already out of the queue is rewritten once (its due_at cleared): on a large
table, run the upgrade at a quiet hour.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

QUEUE = "status IN ('scheduled', 'queued', 'sending')"
DUE = sa.text("due_at IS NOT NULL")
OUT_OF_QUEUE = (
    "UPDATE messages SET due_at = NULL WHERE status NOT IN ('scheduled', 'queued', 'sending')"
)


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("due_at", existing_type=sa.DateTime(timezone=True), nullable=True)
    op.execute(OUT_OF_QUEUE)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_claimable_due")
        batch_op.create_index(
            "ix_messages_claimable_due",
            ["priority", "due_at"],
            unique=False,
            postgresql_where=DUE,
            sqlite_where=DUE,
        )
        batch_op.create_check_constraint(
            "ck_messages_due_in_queue", sa.text(f"(due_at IS NOT NULL) = ({QUEUE})")
        )
    if op.get_bind().dialect.name == "postgresql":
        # Pages already full keep their rows; the setting applies to pages filled from now.
        op.execute("ALTER TABLE messages SET (fillfactor = 60)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE messages RESET (fillfactor)")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint("ck_messages_due_in_queue", type_="check")
        batch_op.drop_index("ix_messages_claimable_due")
        batch_op.create_index(
            "ix_messages_claimable_due",
            ["priority", "due_at"],
            unique=False,
            postgresql_where=sa.text(QUEUE),
            sqlite_where=sa.text(QUEUE),
        )
    op.execute("UPDATE messages SET due_at = updated_at WHERE due_at IS NULL")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("due_at", existing_type=sa.DateTime(timezone=True), nullable=False)
