"""Sending hours: when an account's marketing may go out, in its own time zone.

Time zones are IANA names ("Europe/Paris") or fixed offsets ("+08:00", "UTC+08:00"), as the
vendor APIs give them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smsgate import errors

_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$")


def read_timezone(name: str) -> tzinfo:
    """An IANA zone ("Europe/Paris") or a fixed offset ("+08:00", "UTC+08:00", "UTC")."""
    text = name.strip()
    if text.upper() in ("UTC", "GMT", "Z", ""):
        return UTC
    found = _OFFSET.match(text.upper())
    if found:
        sign, hours, minutes = found.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta > timedelta(hours=14):
            raise errors.InvalidSchedule(f"no such UTC offset: {name!r}")
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise errors.InvalidSchedule(f"unknown time zone: {name!r}") from exc


ALL_DAYS = frozenset(range(7))


@dataclass(frozen=True, slots=True)
class SendingHours:
    """When an account's marketing may go out: local `start` to `end` on `days` (0 = Monday).

    A marketing message due outside them waits for the next opening; transactional ones
    are never held.
    """

    start: time
    end: time
    zone: str = "UTC"
    days: frozenset[int] = ALL_DAYS

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise errors.InvalidRequest("marketing hours must start before they end")
        if not self.days or not self.days <= ALL_DAYS:
            raise errors.InvalidRequest("marketing days are 0 (Monday) to 6 (Sunday)")
        read_timezone(self.zone)

    def allows(self, at: datetime) -> bool:
        local = at.astimezone(read_timezone(self.zone))
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself if marketing may go out then, else the next instant it may (UTC)."""
        if self.allows(at):
            return at
        zone = read_timezone(self.zone)
        local = at.astimezone(zone)
        for ahead in range(8):
            day = local.date() + timedelta(days=ahead)
            if day.weekday() not in self.days:
                continue
            opening = datetime.combine(day, self.start, tzinfo=zone)
            # A wall-clock time that a DST jump skips or repeats: fold=0 takes the first.
            if opening.astimezone(UTC) > at:
                return opening.astimezone(UTC)
        raise AssertionError("a week always holds an opening")  # pragma: no cover

    def as_json(self) -> dict[str, object]:
        return {
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "timezone": self.zone,
            "days": sorted(self.days),
        }

    @classmethod
    def from_json(cls, value: Mapping[str, object]) -> SendingHours:
        try:
            days = value.get("days", sorted(ALL_DAYS))
            if not isinstance(days, list):
                raise TypeError("days")
            return cls(
                start=time.fromisoformat(str(value["start"])),
                end=time.fromisoformat(str(value["end"])),
                zone=str(value.get("timezone", "UTC")),
                days=frozenset(int(d) for d in days),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise errors.InvalidRequest(f"unreadable marketing hours: {value!r}") from exc
