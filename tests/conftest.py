"""Shared fixtures: a real database per test (SQLite; PostgreSQL again when
SMSGATE_TEST_DATABASE_URL is set), a gateway on a frozen clock, an in-process HTTP client."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from smsgate.api.app import create_api
from smsgate.bootstrap import Gateway, build_gateway
from smsgate.clock import FrozenClock
from smsgate.db.migrate import upgrade
from smsgate.db.tables import metadata
from smsgate.domain.messages import IN_QUEUE
from smsgate.services.accounts import NewAccount
from smsgate.settings import Settings

PG_URL = os.environ.get("SMSGATE_TEST_DATABASE_URL")


def in_status(status: str) -> dict[str, str | None]:
    """The values that put a message in `status` by hand, as the delivery engine would: out
    of the queue, its due_at is cleared (the table checks it)."""
    if status in IN_QUEUE:
        return {"status": status}
    return {"status": status, "due_at": None}


_pg_migrated = False


class FastHasher:
    """A cheap stand-in for argon2 so tests stay fast (argon2 is tested on its own)."""

    def hash(self, secret: str) -> str:
        import hashlib

        return "fast$" + hashlib.sha256(secret.encode()).hexdigest()

    def verify(self, hashed: str, secret: str) -> bool:
        import hmac

        return hmac.compare_digest(hashed, self.hash(secret))


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    if PG_URL:
        return PG_URL
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))


@pytest.fixture
async def gateway(database_url: str, clock: FrozenClock) -> AsyncIterator[Gateway]:
    global _pg_migrated
    settings = Settings(database_url=database_url)
    gw = build_gateway(settings, clock=clock, hasher=FastHasher())
    if PG_URL:
        if not _pg_migrated:
            async with gw.store.engine.begin() as conn:
                await conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                await conn.execute(sa.text("CREATE SCHEMA public"))
            await upgrade(gw.store.engine)
            _pg_migrated = True
        names = ", ".join(t.name for t in metadata.sorted_tables)
        async with gw.store.engine.begin() as conn:
            await conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        async with gw.store.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
    yield gw
    await gw.close()


@pytest.fixture
async def client(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_api(gateway))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
        yield c


@pytest.fixture
async def api_key(gateway: Gateway) -> str:
    """An active account 'alice' (IR default country, 100 credits) and its API key."""
    _, issued = await gateway.accounts.create(
        NewAccount(username="alice", password="secret-pw", credit_micros=100_000_000, country="IR")
    )
    return issued.key


@pytest.fixture
def auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}
