"""Ports of an account's side: credentials and API keys, the ledger, screening data, blacklists,
prices, and batches as sending writes and reads them."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from smsgate.domain.accounts import Account, AccountStatus, Line, Service
from smsgate.domain.batches import Batch, Message, MessageFilter, NewBatch, NewMessage
from smsgate.domain.pricing import PriceTable
from smsgate.domain.recipients import Screening


@dataclass(frozen=True, slots=True)
class QueuedBatch:
    """A batch written with its messages and charged for: what Batches.queue answers."""

    batch_id: int
    message_ids: list[int]  # in the order of the messages given
    balance_micros: int  # after the charge


@dataclass(frozen=True, slots=True)
class StoredCredentials:
    account_id: int
    password_hash: str


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: int
    account_id: int
    prefix: str
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None
    label: str | None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: int
    account_id: int
    amount_micros: int
    kind: str
    balance_after_micros: int
    batch_id: int | None
    note: str | None
    created_at: datetime


class Accounts(Protocol):
    async def add(self, account: Account, password_hash: str) -> int: ...
    async def get(self, account_id: int, *, lock: bool = False) -> Account | None: ...
    async def get_by_username(self, username: str) -> Account | None: ...
    async def list(self) -> list[Account]: ...
    async def credentials(self, username: str) -> StoredCredentials | None: ...
    async def update(self, account_id: int, **fields: object) -> None: ...
    async def set_status(self, account_id: int, status: AccountStatus) -> None: ...
    async def add_key(
        self, account_id: int, prefix: str, secret_hash: str, label: str | None, now: datetime
    ) -> int: ...
    async def key_with_account(self, prefix: str) -> tuple[ApiKeyRecord, Account] | None: ...
    async def keys(self, account_id: int) -> builtins.list[ApiKeyRecord]: ...
    async def revoke_key(self, account_id: int, key_id: int, now: datetime) -> bool: ...
    async def add_line(self, account_id: int, number: str, active: bool) -> None: ...
    async def line(self, account_id: int, number: str) -> Line | None: ...
    async def lines(self, account_id: int) -> builtins.list[Line]: ...


class Ledger(Protocol):
    async def debit(
        self, account_id: int, amount_micros: int, batch_id: int | None, now: datetime
    ) -> int | None: ...
    async def credit(
        self,
        account_id: int,
        amount_micros: int,
        kind: str,
        note: str | None,
        now: datetime,
        batch_id: int | None = None,
    ) -> int: ...
    async def entries(self, account_id: int) -> list[LedgerEntry]: ...
    async def charge_of(self, account_id: int, batch_id: int) -> LedgerEntry | None: ...
    async def total(self, account_id: int) -> int: ...


class Screenings(Protocol):
    async def screening(
        self,
        account: Account,
        numbers: Sequence[str],
        since: datetime,
        day: date,
    ) -> Screening: ...
    async def record_usage(
        self, account_id: int, day: date, by_region: Mapping[str, int]
    ) -> None: ...


class Blacklist(Protocol):
    async def add(self, account_id: int | None, numbers: Sequence[str], now: datetime) -> int: ...
    async def remove(self, account_id: int | None, numbers: Sequence[str]) -> int: ...
    async def list(self, account_id: int | None) -> list[str]: ...


class Batches(Protocol):
    async def add(self, batch: NewBatch) -> int: ...
    async def queue(
        self, batch: NewBatch, messages: Sequence[NewMessage], status: str
    ) -> QueuedBatch | None:
        """The batch, its messages, the charge (cost_micros) and the usage counters, all
        written or none: None when the balance does not cover the cost."""
        ...

    async def get(self, account_id: int, batch_id: int) -> Batch | None: ...
    async def by_idempotency_key(self, account_id: int, key: str) -> Batch | None: ...
    async def message(self, account_id: int, message_id: int) -> Message | None: ...
    async def messages(self, account_id: int, query: MessageFilter) -> list[Message]: ...
    async def messages_of_batch(self, account_id: int, batch_id: int) -> list[Message]: ...
    async def status_counts(self, account_id: int, batch_id: int) -> dict[str, int]: ...
    async def cancel_pending(
        self, account_id: int, batch_id: int, now: datetime
    ) -> tuple[int, int]:
        """Cancel the batch's messages no dispatcher has claimed: (how many, total price)."""
        ...


class Prices(Protocol):
    async def table(self) -> PriceTable: ...
    async def set(self, service: Service, region: str, price_micros: int) -> None: ...
