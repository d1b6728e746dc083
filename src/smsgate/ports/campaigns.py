"""Ports of campaigns: contact lists and their contacts, campaigns, and a launch's set-based
fan-out (FanOut in, FanOutResult out)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from smsgate.domain.accounts import Account
from smsgate.domain.campaigns import Campaign, CampaignStatus, NewCampaign
from smsgate.domain.contacts import Contact, ContactList, MemberFilter, NewContact
from smsgate.domain.messages import MessageStatus


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
