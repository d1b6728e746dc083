"""Schema migrations (Alembic, shipped in the package) applied on smsgate's own engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database to `revision` (the latest by default)."""

    def run(connection: Any) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def pending(engine: AsyncEngine) -> bool:
    """Whether the database is behind the latest migration."""

    def current(connection: Any) -> bool:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        return MigrationContext.configure(connection).get_current_revision() != head

    async with engine.connect() as conn:
        return bool(await conn.run_sync(current))


async def autogenerate(engine: AsyncEngine, message: str) -> None:
    """Write a new migration from the difference between the tables and the database."""

    def run(connection: Any) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def stamp(engine: AsyncEngine, revision: str = "head") -> None:
    """Record `revision` as applied without running it (a schema made by create_all)."""

    def run(connection: Any) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.stamp(config, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)
