"""The SQL `Store`: one AsyncConnection per transaction, repositories bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from smsgate import errors
from smsgate.db import dialects
from smsgate.db.batches import SqlBatches
from smsgate.db.campaigns import SqlCampaigns
from smsgate.db.contacts import SqlContacts
from smsgate.db.delivery import SqlDelivery
from smsgate.db.engine import WRITE_OPTION, create_engine
from smsgate.db.inbox import SqlInbox
from smsgate.db.links import SqlLinks
from smsgate.db.outbox import SqlOutbox
from smsgate.db.receipts import SqlReceipts
from smsgate.db.repositories import (
    SqlAccounts,
    SqlBlacklist,
    SqlLedger,
    SqlPrices,
    SqlScreenings,
)


class SqlTransaction:
    def __init__(self, conn: AsyncConnection) -> None:
        self.accounts = SqlAccounts(conn)
        self.ledger = SqlLedger(conn)
        self.screenings = SqlScreenings(conn)
        self.blacklist = SqlBlacklist(conn)
        self.batches = SqlBatches(conn)
        self.prices = SqlPrices(conn)
        self.inbox = SqlInbox(conn)
        self.links = SqlLinks(conn)
        self.delivery = SqlDelivery(conn)
        self.outbox = SqlOutbox(conn)
        self.receipts = SqlReceipts(conn)
        self.campaigns = SqlCampaigns(conn)
        self.contacts = SqlContacts(conn)


class SqlStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> SqlStore:
        return cls(create_engine(url))

    @asynccontextmanager
    async def transaction(self, *, write: bool = False) -> AsyncIterator[SqlTransaction]:
        async with self.engine.connect() as conn:
            if write:
                await conn.execution_options(**{WRITE_OPTION: True})
            try:
                async with conn.begin():
                    yield SqlTransaction(conn)
            except IntegrityError as exc:
                if dialects.is_unique_violation(exc):
                    raise errors.Conflict("the object exists already") from exc
                raise

    async def close(self) -> None:
        await self.engine.dispose()
