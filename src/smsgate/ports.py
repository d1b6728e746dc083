"""The contracts services need from the outside world; adapters in db/ implement them.

A `Store` hands out transactions; everything a use case reads and writes goes through one.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from smsgate.domain.accounts import Account, AccountStatus, Line, Service
from smsgate.domain.batches import Batch, Message, MessageFilter, NewBatch, NewMessage
from smsgate.domain.campaigns import Campaign, CampaignStatus, NewCampaign
from smsgate.domain.contacts import Contact, ContactList, MemberFilter, NewContact
from smsgate.domain.inbound import InboundMessage, InboxFilter
from smsgate.domain.links import Link, LinkSettings
from smsgate.domain.messages import MessageStatus
from smsgate.domain.pricing import PriceTable
from smsgate.domain.recipients import Screening
from smsgate.domain.routing import Route


class Clock(Protocol):
    def now(self) -> datetime: ...


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
    async def key_by_prefix(self, prefix: str) -> ApiKeyRecord | None: ...
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
    async def add_messages(
        self,
        batch: NewBatch,
        batch_id: int,
        messages: Sequence[NewMessage],
        status: str,
    ) -> list[int]: ...
    async def get(self, account_id: int, batch_id: int) -> Batch | None: ...
    async def by_idempotency_key(self, account_id: int, key: str) -> Batch | None: ...
    async def message(self, account_id: int, message_id: int) -> Message | None: ...
    async def messages(self, account_id: int, query: MessageFilter) -> list[Message]: ...
    async def messages_of_batch(self, account_id: int, batch_id: int) -> list[Message]: ...
    async def status_counts(self, account_id: int, batch_id: int) -> dict[str, int]: ...
    async def cancel_pending(
        self, account_id: int, batch_id: int, now: datetime
    ) -> list[tuple[int, int]]:
        """Cancel the batch's messages no dispatcher has claimed; their (id, price_micros)."""
        ...


class Prices(Protocol):
    async def table(self) -> PriceTable: ...
    async def set(self, service: Service, region: str, price_micros: int) -> None: ...


@dataclass(frozen=True, slots=True)
class NewInbound:
    account_id: int
    link_id: int | None
    sender: str
    recipient: str
    text: str
    parts: int
    opt_out: bool
    received_at: datetime


@dataclass(frozen=True, slots=True)
class InboundPart:
    link_id: int
    sender: str
    recipient: str
    reference: int
    total: int
    seq: int
    text: str
    received_at: datetime


class Inbox(Protocol):
    async def add(self, message: NewInbound) -> int: ...
    async def list(self, account_id: int, query: InboxFilter) -> builtins.list[InboundMessage]: ...
    async def count(self, account_id: int, is_read: bool | None = None) -> int: ...
    async def mark_read(self, account_id: int, ids: Sequence[int]) -> int: ...
    async def line_owner(self, number: str) -> int | None:
        """The account owning the active line `number`, if any."""
        ...

    async def add_part(self, part: InboundPart) -> builtins.list[InboundPart] | None:
        """Keep one part of a concatenated MO; return every part once all have come."""
        ...


class Links(Protocol):
    async def add(self, settings: LinkSettings, now: datetime) -> int: ...
    async def get(self, link_id: int) -> Link | None: ...
    async def by_name(self, name: str) -> Link | None: ...
    async def list(self) -> builtins.list[Link]: ...
    async def remove(self, link_id: int) -> bool: ...
    async def set_enabled(self, link_id: int, enabled: bool) -> bool: ...
    async def add_route(self, route: Route, now: datetime) -> int: ...
    async def routes(self) -> builtins.list[Route]: ...
    async def remove_route(self, route_id: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message a dispatcher took under a lease."""

    id: int
    batch_id: int
    account_id: int
    recipient: str
    region: str
    segments: int
    price_micros: int
    attempts: int  # claims so far, this one included
    created_at: datetime
    scheduled_at: datetime | None
    priority: int = 0  # 0 transactional, 1 marketing
    text: str | None = None  # a personalised text; None: the batch's


@dataclass(frozen=True, slots=True)
class BatchContent:
    """What every message of a batch shares: immutable once the batch exists."""

    id: int
    account_id: int
    service: str
    text: str
    sender: str | None
    encoding: str
    flash: bool


@dataclass(frozen=True, slots=True)
class MessageState:
    """A message's row as the delivery bookkeeping needs it (read under a lock)."""

    id: int
    batch_id: int
    account_id: int
    status: MessageStatus
    segments: int
    price_micros: int
    recipient: str
    reference: str | None
    attempts: int
    created_at: datetime
    scheduled_at: datetime | None


@dataclass(frozen=True, slots=True)
class PartRecord:
    message_id: int
    seq: int
    link_id: int
    carrier_key: str


@dataclass(frozen=True, slots=True)
class PartReceipt:
    """A delivery receipt, reduced to what matching needs."""

    link_id: int
    carrier_key: str
    status: MessageStatus  # a final part status (domain.delivery.PART_FINAL_STATUSES)
    error_code: str | None


@dataclass(frozen=True, slots=True)
class MessageUpdate:
    id: int
    status: MessageStatus
    error_code: str | None = None
    due_at: datetime | None = None  # for a retry: when it may be claimed again
    attempts: int | None = None
    link_id: int | None = None
    carrier_message_id: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    account_id: int
    event: str
    body: str  # JSON


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    account_id: int
    event: str
    body: str
    attempts: int
    url: str | None
    secret: str | None


class Delivery(Protocol):
    async def claim(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> builtins.list[Claimed]: ...
    async def overdue(self, cutoff: datetime, limit: int) -> builtins.list[int]: ...
    async def batch_contents(self, batch_ids: Sequence[int]) -> dict[int, BatchContent]: ...
    async def lock_messages(self, ids: Sequence[int]) -> dict[int, MessageState]: ...
    async def update_messages(self, updates: Sequence[MessageUpdate], now: datetime) -> None: ...
    async def submit_sending(
        self, updates: Sequence[MessageUpdate], now: datetime
    ) -> dict[int, int]:
        """Apply `updates` to the messages still sending; their ids -> attempts."""
        ...

    async def finish_submitted(
        self, updates: Sequence[MessageUpdate], now: datetime
    ) -> builtins.list[MessageState]:
        """Move submitted messages to their final status; returns the rows changed, as they
        were (status submitted): the others were final already."""
        ...

    async def mark_npai(self, numbers: Sequence[str], reason: str, now: datetime) -> None: ...
    async def hold_marketing(
        self, account_id: int, claimed: Sequence[int], until: datetime, now: datetime
    ) -> int:
        """Put `claimed` (marketing, sending) back in the queue, and every unclaimed marketing
        message of the account due before `until`, to be due at `until`; how many moved."""
        ...

    async def queue_counts(self) -> dict[str, int]: ...


class Receipts(Protocol):
    async def add_parts(
        self, parts: Sequence[PartRecord], now: datetime, replacing: Sequence[int] = ()
    ) -> None:
        """Record submitted parts; `replacing`: messages whose earlier parts are dropped."""
        ...

    async def match_parts(
        self, receipts: Sequence[PartReceipt], now: datetime
    ) -> tuple[builtins.list[tuple[int, int, int, PartReceipt]], builtins.list[PartReceipt]]:
        """Apply receipts to submitted parts: (message_id, seq, segments, receipt) matched,
        and the receipts that matched nothing."""
        ...

    async def part_statuses(self, message_ids: Sequence[int]) -> dict[int, dict[int, str]]: ...
    async def keep_receipts(
        self, receipts: Sequence[PartReceipt], now: datetime, expires_at: datetime
    ) -> None: ...
    async def take_kept_receipts(
        self, keys: Sequence[tuple[int, str]]
    ) -> builtins.list[PartReceipt]: ...
    async def take_matchable_receipts(self, limit: int) -> builtins.list[PartReceipt]:
        """Kept receipts whose part has been recorded since (another dispatcher's submit)."""
        ...

    async def drop_expired_receipts(self, now: datetime) -> int: ...


class Outbox(Protocol):
    async def webhook_targets(self, account_ids: Sequence[int]) -> set[int]:
        """The accounts among `account_ids` that have a webhook URL."""
        ...

    async def add_events(self, events: Sequence[OutboxEvent], now: datetime) -> None: ...
    async def due_events(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> builtins.list[OutboxItem]: ...
    async def finish_event(
        self, event_id: int, status: str, attempts: int, next_at: datetime, error: str | None
    ) -> None: ...


# --- Campaigns -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FanOut:
    """What a launch needs to screen and write the messages."""

    campaign: Campaign
    account: Account
    since_24h: datetime
    sent_today: int
    sent_this_month: dict[str, int]
    segments: int | None  # every message's segments; None: personalised, counted per message
    ucs2: bool  # the template itself needs UCS-2 (or the caller forced it)
    default_price_micros: int  # per segment, where no region price applies


@dataclass(frozen=True, slots=True)
class ScreenedGroup:
    verdict: str
    region: str
    segments: int
    count: int


@dataclass(frozen=True, slots=True)
class FanOutResult:
    """A launch's audience counted by verdict, and the messages it wrote."""

    groups: Sequence[ScreenedGroup]
    messages: int
    cost_micros: int
    by_region: Mapping[str, int]


class Campaigns(Protocol):
    async def add(self, campaign: NewCampaign) -> int: ...
    async def get(
        self, account_id: int, campaign_id: int, *, lock: bool = False
    ) -> Campaign | None: ...
    async def list(
        self, account_id: int, limit: int, before_id: int | None = None
    ) -> builtins.list[Campaign]: ...
    async def set_status(
        self, campaign_id: int, status: CampaignStatus, now: datetime, batch_id: int | None = None
    ) -> None: ...
    async def owned_lists(self, account_id: int, list_ids: Sequence[int]) -> set[int]: ...
    async def listed(self, campaign: Campaign) -> int:
        """Audience entries before deduplication: list memberships plus explicit numbers."""
        ...

    async def screen(self, plan: FanOut) -> builtins.list[ScreenedGroup]:
        """The audience's recipients counted by (verdict, region, segments)."""
        ...

    async def fan_out(
        self, plan: FanOut, batch_id: int, status: MessageStatus, due_at: datetime, now: datetime
    ) -> FanOutResult:
        """Write one message per accepted recipient of the audience (set-based)."""
        ...

    async def finish_batch(
        self, batch_id: int, total: int, verdicts: dict[str, int], segments: int, cost: int
    ) -> None: ...
    async def hold(self, batch_id: int, now: datetime) -> int: ...
    async def release(self, batch_id: int, now: datetime) -> int: ...
    async def pending(self, batch_id: int) -> int: ...


class Contacts(Protocol):
    """Contact lists and their contacts; every read and write is scoped by account."""

    async def add_list(self, account_id: int, name: str, now: datetime) -> ContactList: ...
    async def lists(self, account_id: int) -> builtins.list[ContactList]: ...
    async def get_list(self, account_id: int, list_id: int) -> ContactList | None: ...
    async def list_named(self, account_id: int, name: str) -> ContactList | None: ...
    async def has_list(self, account_id: int, list_id: int, *, lock: bool = False) -> bool:
        """Whether the account has the list; `lock`: locked until commit, so that it stays."""
        ...

    async def delete_list(self, account_id: int, list_id: int) -> bool:
        """Delete the list and its memberships; its contacts stay."""
        ...

    async def find(self, account_id: int, numbers: Sequence[str]) -> dict[str, Contact]:
        """The account's contacts among `numbers`, by number."""
        ...

    async def upsert(
        self, account_id: int, contacts: Sequence[NewContact], now: datetime
    ) -> dict[str, int]:
        """Insert the contacts, or overwrite the details of those known: number -> id."""
        ...

    async def add_members(self, list_id: int, contact_ids: Sequence[int]) -> set[int]:
        """Add contacts to a list; the ids that were not in it already."""
        ...

    async def remove_members(
        self, account_id: int, list_id: int, numbers: Sequence[str]
    ) -> int: ...
    async def members(
        self, account_id: int, list_id: int, query: MemberFilter
    ) -> builtins.list[Contact]:
        """A page of the list's contacts by id, each with whether it is opted out."""
        ...

    async def refresh_statistics(self) -> None:
        """After a bulk import: let the query planner see the tables' new sizes."""
        ...

    async def field_names(self, account_id: int, list_id: int) -> builtins.list[str]:
        """Every custom field name the list's contacts have, sorted."""
        ...


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
    def transaction(self, *, write: bool = False) -> AbstractAsyncContextManager[Transaction]:
        """One transaction; `write=True` takes the write lock up front where there is one."""
        ...

    async def close(self) -> None: ...


class SecretHasher(Protocol):
    """Slow password hashing (argon2 in production, cheap in tests)."""

    def hash(self, secret: str) -> str: ...
    def verify(self, hashed: str, secret: str) -> bool: ...
