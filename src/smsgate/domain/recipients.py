"""Recipient screening: every recipient of a request gets exactly one verdict.

The checks run in a fixed order and the first that fails names the verdict: invalid,
duplicated, blacklisted, npai, not_allowed, flood, country_limit, daily_limit. Limits are
consumed in the order the recipients were given, so the first ones win.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from smsgate.domain.accounts import Account
from smsgate.domain.phones import parse_phone


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    INVALID = "invalid"
    DUPLICATED = "duplicated"
    BLACKLISTED = "blacklisted"
    NPAI = "npai"  # the number is known not to exist
    NOT_ALLOWED = "not_allowed"  # destination country not allowed for the account
    FLOOD = "flood"  # anti-flood: too many messages to this number in 24 h
    COUNTRY_LIMIT = "country_limit"  # monthly limit for the country reached
    DAILY_LIMIT = "daily_limit"  # the account's daily limit reached


class Recipient(NamedTuple):  # tuples: several are made per recipient (decisions/0009)
    """A recipient as the caller gave it, with the caller's own reference."""

    raw: str
    reference: str | None = None


class RecipientVerdict(NamedTuple):
    raw: str
    reference: str | None
    number: str | None  # E.164 when readable
    region: str | None
    verdict: Verdict

    @property
    def accepted(self) -> bool:
        return self.verdict is Verdict.ACCEPTED


@dataclass(frozen=True, slots=True)
class Screening:
    """What the store knows about the candidate numbers and the account's usage."""

    blacklisted: frozenset[str] = frozenset()
    npai: frozenset[str] = frozenset()
    sent_24h: Mapping[str, int] = field(default_factory=dict)  # per number, rolling 24 h
    sent_today: int = 0
    sent_this_month: Mapping[str, int] = field(default_factory=dict)  # per region


def read_recipients(
    recipients: Iterable[Recipient], default_region: str | None
) -> list[RecipientVerdict]:
    """First pass, no store needed: parse, and mark invalid and duplicated recipients."""
    seen: set[str] = set()
    verdicts: list[RecipientVerdict] = []
    for recipient in recipients:
        phone = parse_phone(recipient.raw, default_region)
        if phone is None:
            verdicts.append(
                RecipientVerdict(recipient.raw, recipient.reference, None, None, Verdict.INVALID)
            )
            continue
        verdict = Verdict.DUPLICATED if phone.e164 in seen else Verdict.ACCEPTED
        seen.add(phone.e164)
        verdicts.append(
            RecipientVerdict(recipient.raw, recipient.reference, phone.e164, phone.region, verdict)
        )
    return verdicts


def candidate_numbers(verdicts: Sequence[RecipientVerdict]) -> list[str]:
    """The numbers the second pass needs the store to look up."""
    return [v.number for v in verdicts if v.accepted and v.number is not None]


def screen_recipients(
    verdicts: Sequence[RecipientVerdict], account: Account, screening: Screening
) -> list[RecipientVerdict]:
    """Second pass: blacklist, npai, country, anti-flood, monthly country and daily limits."""
    daily_left = None if account.daily_limit is None else account.daily_limit - screening.sent_today
    month_used = Counter(screening.sent_this_month)
    limits = account.country_monthly_limits
    allowed = account.allowed_countries
    flood = account.flood_limit_24h
    screened: list[RecipientVerdict] = []
    for item in verdicts:
        if not item.accepted:
            screened.append(item)
            continue
        number, region = item.number or "", item.region or ""
        verdict = Verdict.ACCEPTED
        if number in screening.blacklisted:
            verdict = Verdict.BLACKLISTED
        elif number in screening.npai:
            verdict = Verdict.NPAI
        elif allowed is not None and region not in allowed:
            verdict = Verdict.NOT_ALLOWED
        elif flood is not None and screening.sent_24h.get(number, 0) >= flood:
            verdict = Verdict.FLOOD
        elif region in limits and month_used[region] >= limits[region]:
            verdict = Verdict.COUNTRY_LIMIT
        elif daily_left is not None and daily_left <= 0:
            verdict = Verdict.DAILY_LIMIT
        if verdict is Verdict.ACCEPTED:
            month_used[region] += 1
            if daily_left is not None:
                daily_left -= 1
            screened.append(item)
        else:
            screened.append(item._replace(verdict=verdict))
    return screened


def count_verdicts(verdicts: Iterable[RecipientVerdict]) -> dict[Verdict, int]:
    """How many recipients got each verdict; every verdict is present, zeros included."""
    counts = dict.fromkeys(Verdict, 0)
    for item in verdicts:
        counts[item.verdict] += 1
    return counts
