"""The SQL `Store`: one AsyncConnection per transaction, repositories bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cached_property

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
    """The repositories of one transaction, each made on first use (a send request uses
    four of the thirteen)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    @cached_property
    def accounts(self) -> SqlAccounts:
        return SqlAccounts(self._conn)

    @cached_property
    def ledger(self) -> SqlLedger:
        return SqlLedger(self._conn)

    @cached_property
    def screenings(self) -> SqlScreenings:
        return SqlScreenings(self._conn)

    @cached_property
    def blacklist(self) -> SqlBlacklist:
        return SqlBlacklist(self._conn)

    @cached_property
    def batches(self) -> SqlBatches:
        return SqlBatches(self._conn)

    @cached_property
    def prices(self) -> SqlPrices:
        return SqlPrices(self._conn)

    @cached_property
    def inbox(self) -> SqlInbox:
        return SqlInbox(self._conn)

    @cached_property
    def links(self) -> SqlLinks:
        return SqlLinks(self._conn)

    @cached_property
    def delivery(self) -> SqlDelivery:
        return SqlDelivery(self._conn)

    @cached_property
    def outbox(self) -> SqlOutbox:
        return SqlOutbox(self._conn)

    @cached_property
    def receipts(self) -> SqlReceipts:
        return SqlReceipts(self._conn)

    @cached_property
    def campaigns(self) -> SqlCampaigns:
        return SqlCampaigns(self._conn)

    @cached_property
    def contacts(self) -> SqlContacts:
        return SqlContacts(self._conn)


class SqlStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> SqlStore:
        return cls(create_engine(url))

    @asynccontextmanager
    async def transaction(
        self, *, write: bool = False, autocommit: bool = False
    ) -> AsyncIterator[SqlTransaction]:
        async with self.engine.connect() as conn:
            if write:
                await conn.execution_options(**{WRITE_OPTION: True})
            if autocommit and dialects.is_postgresql(conn):
                # Each statement commits by itself: no BEGIN/COMMIT round trips, and a lock
                # taken by a statement is released when it ends (see Store.transaction).
                await conn.execution_options(isolation_level="AUTOCOMMIT")
            try:
                async with conn.begin():
                    yield SqlTransaction(conn)
            except IntegrityError as exc:
                if dialects.is_unique_violation(exc):
                    raise errors.Conflict("the object exists already") from exc
                raise

    async def close(self) -> None:
        await self.engine.dispose()
