"""Alembic environment: runs on the connection smsgate hands over (see db/migrate.py)."""

from __future__ import annotations

from alembic import context

from smsgate.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `smsgate db upgrade` (smsgate.db.migrate)")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
