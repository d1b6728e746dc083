"""The contracts services need from the outside world; adapters in db/ implement them.

A `Store` hands out transactions; everything a use case reads and writes goes through one.
The repository Protocols and the records they exchange live in submodules by concern
(accounts, delivery, campaigns); every name is importable from `smsgate.ports` itself.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from smsgate.ports.accounts import (
    Accounts,
    ApiKeyRecord,
    Batches,
    Blacklist,
    Ledger,
    LedgerEntry,
    Prices,
    Screenings,
    StoredCredentials,
)
from smsgate.ports.campaigns import Campaigns, Contacts, FanOut, FanOutResult, ScreenedGroup
from smsgate.ports.delivery import (
    BatchContent,
    Claimed,
    Delivery,
    InboundPart,
    Inbox,
    Links,
    Matching,
    MessageState,
    MessageUpdate,
    NewInbound,
    Outbox,
    OutboxEvent,
    OutboxItem,
    PartReceipt,
    PartRecord,
    Receipts,
)

__all__ = [
    "Accounts",
    "ApiKeyRecord",
    "BatchContent",
    "Batches",
    "Blacklist",
    "Campaigns",
    "Claimed",
    "Clock",
    "Contacts",
    "Delivery",
    "FanOut",
    "FanOutResult",
    "InboundPart",
    "Inbox",
    "Ledger",
    "LedgerEntry",
    "Links",
    "Matching",
    "MessageState",
    "MessageUpdate",
    "NewInbound",
    "Outbox",
    "OutboxEvent",
    "OutboxItem",
    "PartReceipt",
    "PartRecord",
    "Prices",
    "Receipts",
    "ScreenedGroup",
    "Screenings",
    "SecretHasher",
    "Store",
    "StoredCredentials",
    "Transaction",
]


class Clock(Protocol):
    def now(self) -> datetime: ...


class Transaction(Protocol):
    @property
    def accounts(self) -> Accounts: ...
    @property
    def ledger(self) -> Ledger: ...
    @property
    def screenings(self) -> Screenings: ...
    @property
    def blacklist(self) -> Blacklist: ...
    @property
    def batches(self) -> Batches: ...
    @property
    def prices(self) -> Prices: ...
    @property
    def inbox(self) -> Inbox: ...
    @property
    def links(self) -> Links: ...
    @property
    def delivery(self) -> Delivery: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def receipts(self) -> Receipts: ...
    @property
    def contacts(self) -> Contacts: ...
    @property
    def campaigns(self) -> Campaigns: ...


class Store(Protocol):
    def transaction(
        self, *, write: bool = False, autocommit: bool = False
    ) -> AbstractAsyncContextManager[Transaction]:
        """One transaction; `write=True` takes the write lock up front where there is one.

        `autocommit=True` says the caller needs no atomicity across repository calls and
        makes only calls that are atomic alone (such as Batches.queue): a database that can
        then run each statement in its own implicit transaction does (PostgreSQL), so a row
        lock lasts one statement, never a round trip to this process. Others ignore it.
        """
        ...

    async def close(self) -> None: ...


class SecretHasher(Protocol):
    """Slow password hashing (argon2 in production, cheap in tests)."""

    def hash(self, secret: str) -> str: ...
    def verify(self, hashed: str, secret: str) -> bool: ...
