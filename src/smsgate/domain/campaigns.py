"""Campaigns: their status table, schedules in a time zone, marketing hours, personalisation.

A campaign is a draft until launched; launching writes its batch and messages at once (set-
based, db/campaigns.py). Its status then follows its messages: `scheduled` until its time,
`sending` while any message is pending, `done` when none is. `paused` holds its unsent
messages (message status `paused`, never claimed); `cancelled` cancels and refunds them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from smsgate import errors
from smsgate.domain.accounts import Service
from smsgate.domain.hours import read_timezone
from smsgate.domain.messages import MessageKind


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # launched, waiting for its time
    SENDING = "sending"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"


C = CampaignStatus
TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    C.DRAFT: frozenset({C.SCHEDULED, C.SENDING, C.CANCELLED}),
    C.SCHEDULED: frozenset({C.SENDING, C.PAUSED, C.CANCELLED, C.DONE}),
    C.SENDING: frozenset({C.PAUSED, C.CANCELLED, C.DONE}),
    C.PAUSED: frozenset({C.SCHEDULED, C.SENDING, C.CANCELLED, C.DONE}),
    C.DONE: frozenset(),
    C.CANCELLED: frozenset(),
}


def transition(current: CampaignStatus, new: CampaignStatus) -> CampaignStatus:
    """Return `new` if a `current` campaign may become `new`, else raise InvalidTransition."""
    if new not in TRANSITIONS[current]:
        raise errors.InvalidTransition(
            f"a {current} campaign cannot become {new}", current=str(current), new=str(new)
        )
    return new


def status_after(
    stored: CampaignStatus, scheduled_at: datetime | None, now: datetime, pending: int
) -> CampaignStatus:
    """The status a launched campaign shows: its stored one, moved on by time and progress."""
    if stored in (C.DRAFT, C.CANCELLED, C.DONE, C.PAUSED):
        return stored
    if pending == 0:
        return C.DONE
    if stored is C.SCHEDULED and (scheduled_at is None or scheduled_at <= now):
        return C.SENDING
    return stored


def schedule_instant(local: datetime, zone_name: str) -> datetime:
    """The UTC instant of a schedule: a time with an offset as given, a naive one in the zone."""
    if local.tzinfo is None or local.utcoffset() is None:
        local = local.replace(tzinfo=read_timezone(zone_name))
    return local.astimezone(UTC)


# --- Personalisation ------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]{0,63})\}")


def placeholders(text: str) -> list[str]:
    """The contact fields a text uses, `{name}` included, in order of first use."""
    seen: dict[str, None] = {}
    for found in _PLACEHOLDER.finditer(text):
        seen.setdefault(found.group(1), None)
    return list(seen)


def template_pieces(text: str) -> list[tuple[str, bool]]:
    """The text as (literal, False) and (field, True) pieces, for rendering in SQL."""
    pieces: list[tuple[str, bool]] = []
    position = 0
    for found in _PLACEHOLDER.finditer(text):
        if found.start() > position:
            pieces.append((text[position : found.start()], False))
        pieces.append((found.group(1), True))
        position = found.end()
    if position < len(text):
        pieces.append((text[position:], False))
    return pieces


def render(text: str, name: str | None, fields: Mapping[str, str]) -> str:
    """The text for one contact: each `{field}` replaced, missing ones by nothing."""

    def value(found: re.Match[str]) -> str:
        key = found.group(1)
        if key == "name":
            return name or ""
        return fields.get(key, "")

    return _PLACEHOLDER.sub(value, text)


# --- Campaigns ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewCampaign:
    account_id: int
    name: str
    kind: MessageKind
    text: str
    sender: str | None
    force_unicode: bool
    flash: bool
    scheduled_at: datetime | None
    timezone: str
    list_ids: Sequence[int]
    numbers: Sequence[tuple[str, str]]  # (E.164 number, region) given explicitly
    invalid_numbers: Sequence[str]
    created_at: datetime
    service: Service = Service.SMS


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    account_id: int
    name: str
    kind: MessageKind
    status: CampaignStatus
    text: str
    sender: str | None
    force_unicode: bool
    flash: bool
    scheduled_at: datetime | None
    timezone: str
    list_ids: Sequence[int]
    invalid_numbers: Sequence[str]
    batch_id: int | None
    created_at: datetime
    updated_at: datetime
    numbers: int = 0  # how many explicit numbers


@dataclass(frozen=True, slots=True)
class Estimate:
    """A campaign's audience after screening, and what sending it costs."""

    audience: int  # distinct numbers, lists and explicit numbers together
    duplicates: int  # numbers listed more than once (several lists, or list and explicit)
    invalid: int  # explicit numbers that did not parse
    verdicts: Mapping[str, int] = field(default_factory=dict)  # accepted, blacklisted, ...
    segments: int = 0  # over all accepted messages
    cost_micros: int = 0
    by_region: Mapping[str, int] = field(default_factory=dict)  # accepted per region

    @property
    def accepted(self) -> int:
        return self.verdicts.get("accepted", 0)
