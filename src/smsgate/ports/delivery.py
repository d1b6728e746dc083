"""Ports of delivery: links and routes, the queue as dispatchers claim and update it, parts and
their receipts, inbound messages (MO), and the webhook outbox."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from smsgate.domain.inbound import InboundMessage, InboxFilter
from smsgate.domain.links import Link, LinkSettings
from smsgate.domain.messages import MessageStatus
from smsgate.domain.routing import Route


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


class Claimed(NamedTuple):
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


class MessageState(NamedTuple):
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


class PartRecord(NamedTuple):
    message_id: int
    seq: int
    link_id: int
    carrier_key: str


class PartReceipt(NamedTuple):
    """A delivery receipt, reduced to what matching needs."""

    link_id: int
    carrier_key: str
    status: MessageStatus  # a final part status (domain.delivery.PART_FINAL_STATUSES)
    error_code: str | None


class Matching(NamedTuple):
    """What applying a batch of receipts to submitted parts did."""

    matched: builtins.list[tuple[int, int, int, PartReceipt]]  # (message, seq, segments, receipt)
    unmatched: builtins.list[PartReceipt]
    # The single-part messages the store moved from submitted to their receipt's status on the
    # way, as they were, by id (it may finish none: the service finishes the others).
    finished: dict[int, MessageState]
    # The accounts of `finished` that have a webhook URL, when the store looked them up in
    # the same statement (None: not looked up).
    webhooks: frozenset[int] | None = None


class MessageUpdate(NamedTuple):
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
    async def record_submits(
        self, updates: Sequence[MessageUpdate], parts: Sequence[PartRecord], now: datetime
    ) -> tuple[int, builtins.list[PartReceipt]]:
        """Move the messages of `updates` still sending to submitted (with the update's link
        and carrier id), and record the submitted `parts` of those (replacing the parts of an
        earlier try): how many moved, and the kept receipts taken for their keys (receipts
        that came before their submit's outcome)."""
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
        message of the account due before `until`, to be due (and scheduled: validity counts
        from there) at `until`; how many moved."""
        ...

    async def queue_counts(self) -> dict[str, int]: ...


class Receipts(Protocol):
    async def add_parts(
        self, parts: Sequence[PartRecord], now: datetime, replacing: Sequence[int] = ()
    ) -> builtins.list[PartReceipt]:
        """Record submitted parts (`replacing`: messages whose earlier parts are dropped);
        take and return the kept receipts for their keys (receipts that came first)."""
        ...

    async def match_parts(self, receipts: Sequence[PartReceipt], now: datetime) -> Matching:
        """Apply receipts to submitted parts (the newest part of a key, once per key)."""
        ...

    async def part_statuses(self, message_ids: Sequence[int]) -> dict[int, dict[int, str]]: ...
    async def keep_receipts(
        self, receipts: Sequence[PartReceipt], now: datetime, expires_at: datetime
    ) -> None: ...
    async def take_matchable_for(
        self, keys: Sequence[tuple[int, str]]
    ) -> builtins.list[PartReceipt]:
        """Kept receipts for these (link id, carrier key) whose part is submitted now."""
        ...

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
