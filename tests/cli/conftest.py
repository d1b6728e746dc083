"""Every CLI test runs against the test database, PostgreSQL reset to empty tables first."""

from __future__ import annotations

import asyncio
import os

import pytest
import sqlalchemy as sa

from smsgate.db.engine import create_engine
from smsgate.db.migrate import upgrade
from smsgate.db.tables import metadata

PG_URL = os.environ.get("SMSGATE_TEST_DATABASE_URL")


async def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        names = ", ".join(t.name for t in metadata.sorted_tables)
        async with engine.begin() as conn:
            await conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(autouse=True)
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("SMSGATE_CONFIG", raising=False)
    monkeypatch.setenv("SMSGATE_DATABASE_URL", database_url)
    if PG_URL:
        asyncio.run(reset_postgres(PG_URL))
    return database_url
