"""Accounts (tenants) and the rules that decide whether one may send now.

Invariants: the balance is never negative; an account's settings are read together, so a
request is judged against one consistent view of them.
"""

from __future__ import annotations

import re
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


def check_words(account: Account, text: str) -> None:
    """Refuse a text holding one of the account's filtered words."""
    word = find_filtered_word(account, text)
    if word is not None:
        raise errors.FilteredContent("the text contains a filtered word", word=word)


def find_filtered_word(account: Account, text: str) -> str | None:
    """The first of the account's filtered words found in the text (case-insensitive)."""
    if not account.filtered_words:
        return None
    folded = text.casefold()
    for word in account.filtered_words:
        if word and word.casefold() in folded:
            return word
    return None


_COUNTRY = re.compile(r"[A-Z]{2}")


def _limit(name: str, value: object, minimum: int) -> None:
    if value is not None and (
        not isinstance(value, int) or isinstance(value, bool) or value < minimum
    ):
        raise errors.InvalidRequest(f"{name} must be a whole number >= {minimum}, or none")


def _countries(name: str, values: object) -> None:
    if not isinstance(values, list | tuple | frozenset | set) or not all(
        isinstance(v, str) and _COUNTRY.fullmatch(v) for v in values
    ):
        raise errors.InvalidRequest(f"{name} must be two-letter ISO country codes")


def check_settings(fields: Mapping[str, object]) -> None:
    """Refuse settings an account cannot hold, whoever asks (CLI, admin API, tests): limits
    that are not counts, countries that are not ISO codes, a webhook that is not http(s),
    unreadable marketing hours, or a field that is not a setting."""
    for name, value in fields.items():
        if name == "daily_limit":
            _limit(name, value, 0)
        elif name == "flood_limit_24h":
            _limit(name, value, 1)
        elif name in ("allowed_countries", "default_country"):
            if value is not None:
                _countries(name, [value] if name == "default_country" else value)
        elif name == "country_monthly_limits":
            if not isinstance(value, Mapping):
                raise errors.InvalidRequest("country_monthly_limits must map countries to counts")
            _countries(name, list(value))
            for count in value.values():
                _limit(name, count, 0)
        elif name == "web_service_enabled":
            if not isinstance(value, bool):
                raise errors.InvalidRequest("web_service_enabled must be true or false")
        elif name == "filtered_words":
            if not isinstance(value, list | tuple) or not all(
                isinstance(w, str) and w.strip() for w in value
            ):
                raise errors.InvalidRequest("filtered_words must be non-empty words")
        elif name == "webhook_url":
            if value is not None and (
                not isinstance(value, str) or not value.startswith(("http://", "https://"))
            ):
                raise errors.InvalidRequest("webhook_url must be an http(s):// URL, or none")
        elif name == "services":
            known = {str(s) for s in Service}
            if not isinstance(value, list | tuple) or not value or not set(value) <= known:
                raise errors.InvalidRequest(f"services must be some of {sorted(known)}")
        elif name == "marketing_hours":
            if value is not None:
                if not isinstance(value, Mapping):
                    raise errors.InvalidRequest("marketing_hours must be {start, end, ...}")
                SendingHours.from_json(value)
        elif name != "webhook_secret":
            raise errors.InvalidRequest(f"{name} is not an account setting")
