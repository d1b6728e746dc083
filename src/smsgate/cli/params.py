"""Parameter types: command-line strings read into domain values, refused with a clear reason.

Settings that may be switched off accept `none`, read as `CLEAR`, because an option left out
is already None.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import Enum
from typing import Any

import click

from smsgate.domain.accounts import Service
from smsgate.domain.money import parse_credits

COUNTRY_PATTERN = re.compile(r"^[A-Za-z]{2}$")
CLEAR_WORDS = frozenset({"none", "off"})


class Cleared(Enum):
    CLEAR = "clear"


CLEAR = Cleared.CLEAR


class CreditsType(click.ParamType[int]):
    """An amount of credits with up to 6 decimals ("12.5", "-3"), read as micro-credits."""

    name = "credits"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_credits(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class CountryType(click.ParamType[str | Cleared]):
    """A two-letter ISO country code, upper-cased; `none` clears when `clearable`."""

    name = "country"

    def __init__(self, *, clearable: bool = False) -> None:
        self.clearable = clearable

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> str | Cleared:
        text = str(value).strip()
        if self.clearable and text.lower() in CLEAR_WORDS:
            return CLEAR
        if not COUNTRY_PATTERN.match(text):
            self.fail(f"not a two-letter ISO country code: {text!r}", param, ctx)
        return text.upper()


class CountryListType(click.ParamType[list[str] | Cleared]):
    """Comma-separated country codes ("IR,FR"), or `all` for every country (None)."""

    name = "countries"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> list[str] | Cleared:
        text = str(value).strip()
        if text.lower() == "all":
            return CLEAR
        codes = [part.strip() for part in text.split(",") if part.strip()]
        wrong = [code for code in codes if not COUNTRY_PATTERN.match(code)]
        if not codes or wrong:
            self.fail(f"expected country codes such as IR,FR or 'all', got {text!r}", param, ctx)
        return sorted({code.upper() for code in codes})


class CountryLimitType(click.ParamType[tuple[str, int] | Cleared]):
    """A monthly limit for one country ("FR=500"), or `none` to drop every country limit."""

    name = "CC=N"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, int] | Cleared:
        text = str(value).strip()
        if text.lower() in CLEAR_WORDS:
            return CLEAR
        code, _, count = text.partition("=")
        if not COUNTRY_PATTERN.match(code.strip()) or not count.strip().isdigit():
            self.fail(f"expected CC=N such as FR=500, got {text!r}", param, ctx)
        return code.strip().upper(), int(count)


class LimitType(click.ParamType[int | Cleared]):
    """A count of messages (0 or more), or `none` for no limit."""

    name = "count"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> int | Cleared:
        text = str(value).strip()
        if text.lower() in CLEAR_WORDS:
            return CLEAR
        if not text.isdigit():
            self.fail(f"expected a whole number or 'none', got {text!r}", param, ctx)
        return int(text)


class ServicesType(click.ParamType[frozenset[Service]]):
    """Comma-separated services: sms, mms or both."""

    name = "services"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> frozenset[Service]:
        if isinstance(value, frozenset):
            return value
        names = [part.strip().lower() for part in str(value).split(",") if part.strip()]
        known = {str(service) for service in Service}
        wrong = [name for name in names if name not in known]
        if not names or wrong:
            self.fail(f"expected services among {', '.join(sorted(known))}", param, ctx)
        return frozenset(Service(name) for name in names)


class TimeType(click.ParamType[datetime]):
    """An ISO 8601 time with an offset ("2026-12-01T09:00:00+01:00" or "...Z")."""

    name = "iso8601"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            when = value
        else:
            try:
                when = datetime.fromisoformat(str(value).strip())
            except ValueError:
                self.fail(f"not an ISO 8601 time: {value!r}", param, ctx)
        if when.tzinfo is None or when.utcoffset() is None:
            self.fail("the time needs an offset, e.g. 2026-12-01T09:00:00+00:00", param, ctx)
        return when


CREDITS = CreditsType()
COUNTRY = CountryType()
SERVICES = ServicesType()
TIME = TimeType()
