from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from smsgate.bootstrap import Gateway
from smsgate.db.engine import create_engine
from smsgate.db.migrate import pending, upgrade
from smsgate.db.tables import metadata
from tests.conftest import PG_URL


def _diff(connection: Any) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return list(compare_metadata(context, metadata))


async def test_migrations_on_empty_sqlite_match_the_tables(tmp_path: Any) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    assert await pending(engine)
    await upgrade(engine)
    await upgrade(engine)  # a second run changes nothing
    assert not await pending(engine)
    async with engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
    await engine.dispose()


async def test_migrated_database_of_this_run_matches_the_tables(gateway: Gateway) -> None:
    # On PostgreSQL the suite's schema comes from the migrations; on SQLite from create_all.
    async with gateway.store.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []


async def test_0007_clears_due_at_of_messages_out_of_the_queue(tmp_path: Any) -> None:
    """due_at is set exactly while a message is in the queue (scheduled, queued, sending):
    the claim index is over it, and a finish touches no indexed column."""
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    await upgrade(engine, "0006")
    statuses = ["queued", "delivered", "paused", "sending", "scheduled", "cancelled"]
    async with engine.begin() as conn:
        for n, status in enumerate(statuses, start=1):
            await conn.exec_driver_sql(
                "INSERT INTO messages (id, batch_id, account_id, recipient, region, segments,"
                " price_micros, status, due_at, created_at, updated_at) VALUES (?, 1, 1,"
                " '+33612345678', 'FR', 1, 0, ?, '2026-11-22 10:00:00', '2026-11-22 10:00:00',"
                " '2026-11-22 10:00:00')",
                (n, status),
            )
    await upgrade(engine)
    async with engine.connect() as conn:
        rows = await conn.exec_driver_sql("SELECT status, due_at IS NOT NULL FROM messages")
        due = dict(rows.all())
        with pytest.raises(sa.exc.IntegrityError):  # the table keeps it so
            await conn.exec_driver_sql("UPDATE messages SET status = 'delivered' WHERE id = 1")
    await engine.dispose()
    assert due == {
        "queued": 1,
        "sending": 1,
        "scheduled": 1,
        "delivered": 0,
        "paused": 0,
        "cancelled": 0,
    }


@pytest.mark.skipif(not PG_URL, reason="the claim's function is PostgreSQL's")
async def test_a_schema_made_by_create_all_has_the_claim_function(gateway: Gateway) -> None:
    """Migration 0008's function comes with the tables too (a schema made by create_all,
    then stamped): without it, every claim would fail."""
    async with gateway.store.engine.connect() as conn:
        await conn.exec_driver_sql("CREATE SCHEMA probe")
        await conn.exec_driver_sql("SET LOCAL search_path TO probe")
        await conn.run_sync(metadata.create_all)
        found = await conn.scalar(
            sa.text(
                "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                " WHERE p.proname = 'smsgate_due_messages' AND n.nspname = 'probe'"
            )
        )
        await conn.rollback()
    assert found == 1
