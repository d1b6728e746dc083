"""parts leave half of each page free: a receipt's update of its part fits on the part's own
page, a HOT update that writes no index entry (PostgreSQL)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 11:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Pages already full keep their rows; the setting applies to pages filled from now.
        op.execute("ALTER TABLE parts SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE parts RESET (fillfactor)")
