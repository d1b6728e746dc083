"""parts without their foreign key to messages: one check and one row lock less per submitted
part on the dispatcher's path (docs/decisions/0006)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 10:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("parts", schema=None) as batch_op:
        batch_op.drop_constraint("fk_parts_message_id_messages", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("parts", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_parts_message_id_messages", "messages", ["message_id"], ["id"]
        )
