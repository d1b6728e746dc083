"""Accounts (tenants) and the rules that decide whether one may send now.

Invariants: the balance is never negative; an account's settings are read together, so a
request is judged against one consistent view of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from smsgate import errors
from smsgate.domain.hours import SendingHours


class AccountStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"
    INACTIVE = "inactive"


class Service(StrEnum):
    SMS = "sms"
    MMS = "mms"


@dataclass(frozen=True, slots=True)
class Line:
    """A number the account owns: a sender for its messages and a destination for inbound."""

    number: str
    active: bool


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    email: str | None
    status: AccountStatus
    balance_micros: int
    expires_at: datetime | None = None
    services: frozenset[Service] = frozenset({Service.SMS})
    default_country: str | None = None
    allowed_senders: frozenset[str] = frozenset()
    daily_limit: int | None = None
    allowed_countries: frozenset[str] | None = None  # None: every country
    country_monthly_limits: Mapping[str, int] = field(default_factory=dict)
    flood_limit_24h: int | None = None  # messages per recipient per rolling 24 h
    web_service_enabled: bool = True
    filtered_words: tuple[str, ...] = ()
    webhook_url: str | None = None
    created_at: datetime | None = None
    marketing_hours: SendingHours | None = None  # None: marketing may go out at any time
    # HMAC key of webhook signatures, generated with the first webhook URL (kept out of reprs).
    webhook_secret: str | None = field(default=None, repr=False)


def check_may_send(account: Account, service: Service, now: datetime) -> None:
    """Raise the precise refusal when the account may not send `service` at `now`."""
    check_active(account, now)
    if service not in account.services:
        raise errors.ServiceNotEnabled(f"{service} is not enabled for this account")


def check_active(account: Account, now: datetime) -> None:
    if account.status is AccountStatus.BLOCKED:
        raise errors.AccountBlocked("the account is blocked")
    if account.status is AccountStatus.INACTIVE:
        raise errors.AccountInactive("the account is inactive")
    if account.expires_at is not None and account.expires_at <= now:
        raise errors.AccountExpired("the account has expired")


def check_web_service(account: Account) -> None:
    if not account.web_service_enabled:
        raise errors.WebServiceDisabled("web service access is disabled for this account")


def check_sender(account: Account, sender: str | None, line: Line | None) -> None:
    """A sender must be one of the account's sender ids or one of its active lines.

    `line` is the account's line whose number equals `sender`, if any. An empty sender uses
    the route's default and is always allowed.
    """
    if not sender:
        return
    if sender in account.allowed_senders:
        return
    if line is not None:
        if not line.active:
            raise errors.SenderLineInactive(f"the line {sender} is inactive", sender=sender)
        return
    raise errors.SenderNotAllowed(f"sender {sender!r} is not allowed", sender=sender)


def find_filtered_word(account: Account, text: str) -> str | None:
    """The first of the account's filtered words found in the text (case-insensitive)."""
    if not account.filtered_words:
        return None
    folded = text.casefold()
    for word in account.filtered_words:
        if word and word.casefold() in folded:
            return word
    return None
