"""smsgate_due_messages(): the claim's choice of due messages, with the sort planned out, so
that a claim is one statement outside any transaction block (PostgreSQL)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 15:00:00

The claim takes the first rows of the claim index, in its order, never every due row sorted
(db/delivery.py says why). It did so with `SET LOCAL enable_sort = off` before its UPDATE:
two round trips more (BEGIN and the SET), each waiting on the dispatcher's busy event loop.
A function carries the setting itself, for the statement it runs, and the claim's UPDATE
then runs alone, committing by itself. (tables.DUE_MESSAGES_FUNCTION makes the same function
for a schema made by create_all; this copy stays as it was applied.)
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CREATE = """
CREATE FUNCTION smsgate_due_messages(due timestamptz, wanted integer)
RETURNS SETOF bigint
LANGUAGE sql VOLATILE
SET enable_sort = off
AS $$
    SELECT id FROM messages WHERE due_at <= due
    ORDER BY priority, due_at
    LIMIT wanted
    FOR UPDATE SKIP LOCKED
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION smsgate_due_messages(timestamptz, integer)")
