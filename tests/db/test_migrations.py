from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from smsgate.bootstrap import Gateway
from smsgate.db.engine import create_engine
from smsgate.db.migrate import pending, upgrade
from smsgate.db.tables import metadata


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
