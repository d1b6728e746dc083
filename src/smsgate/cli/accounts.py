"""`smsgate accounts ...`: create, inspect, block, expire and configure accounts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

import click

from smsgate import errors
from smsgate.cli import output as out
from smsgate.cli.params import (
    CLEAR,
    COUNTRY,
    CREDITS,
    SERVICES,
    TIME,
    Cleared,
    CountryLimitType,
    CountryListType,
    CountryType,
    LimitType,
)
from smsgate.cli.runtime import CliContext
from smsgate.domain.accounts import Account, AccountStatus, Service
from smsgate.domain.hours import SendingHours
from smsgate.domain.money import format_credits
from smsgate.services.accounts import NewAccount


def account_json(account: Account) -> dict[str, Any]:
    allowed = account.allowed_countries
    hours = account.marketing_hours
    return {
        "id": account.id,
        "username": account.username,
        "email": account.email,
        "status": str(account.status),
        "balance": format_credits(account.balance_micros),
        "services": sorted(str(s) for s in account.services),
        "default_country": account.default_country,
        "allowed_senders": sorted(account.allowed_senders),
        "daily_limit": account.daily_limit,
        "flood_limit_24h": account.flood_limit_24h,
        "allowed_countries": None if allowed is None else sorted(allowed),
        "country_monthly_limits": dict(sorted(account.country_monthly_limits.items())),
        "web_service_enabled": account.web_service_enabled,
        "filtered_words": list(account.filtered_words),
        "webhook_url": account.webhook_url,
        "webhook_secret": account.webhook_secret,
        "marketing_hours": None if hours is None else hours.as_json(),
        "expires_at": out.iso(account.expires_at),
        "created_at": out.iso(account.created_at),
    }


def limit_text(limit: int | None) -> str:
    return "none" if limit is None else str(limit)


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS_PATTERN = re.compile(r"^(\d{1,2}:\d{2})-(\d{1,2}:\d{2})$")
DAYS_PATTERN = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?$")


def hours_text(hours: SendingHours | None) -> str:
    """`08:00-20:00 Europe/Paris mon-sat`, as --marketing-hours reads it; `any time` if none."""
    if hours is None:
        return "any time"
    days = ",".join(DAYS[d] for d in sorted(hours.days))
    return f"{hours.start:%H:%M}-{hours.end:%H:%M} {hours.zone} {days}"


def read_days(text: str) -> frozenset[int]:
    """`mon-sat`, `sat,sun`, `fri-mon` (wrapping), `mon-fri,sun`; ValueError otherwise."""
    days: set[int] = set()
    for part in text.lower().split(","):
        found = DAYS_PATTERN.match(part.strip())
        if found is None:
            raise ValueError(part)
        first = DAYS.index(found.group(1))
        last = DAYS.index(found.group(3) or found.group(1))
        days.update((first + step) % 7 for step in range((last - first) % 7 + 1))
    return frozenset(days)


class MarketingHoursType(click.ParamType[SendingHours | Cleared]):
    """`HH:MM-HH:MM [TIMEZONE] [DAYS]` ("08:00-20:00 Europe/Paris mon-sat"), or `none`."""

    name = "hours"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> SendingHours | Cleared:
        words = str(value).split()
        if [w.lower() for w in words] in (["none"], ["off"]):
            return CLEAR
        found = HOURS_PATTERN.match(words[0]) if words else None
        if found is None or len(words) > 3:
            self.fail(
                f"expected e.g. '08:00-20:00 Europe/Paris mon-sat', got {value!r}", param, ctx
            )
        zone, days = "UTC", frozenset(range(7))
        try:
            for word in words[1:]:
                if DAYS_PATTERN.match(word.lower().split(",")[0]):
                    days = read_days(word)
                else:
                    zone = word
            start, end = (time.fromisoformat(found.group(i).zfill(5)) for i in (1, 2))
            return SendingHours(start, end, zone, days)
        except ValueError:
            self.fail(f"unreadable hours or days in {value!r}", param, ctx)
        except errors.InvalidRequest as exc:  # start after end, unknown zone
            self.fail(exc.message, param, ctx)


def echo_account(account: Account) -> None:
    allowed = account.allowed_countries
    out.echo_fields(
        [
            ("username", out.heading(account.username)),
            ("id", str(account.id)),
            ("status", out.status_colour(str(account.status))),
            ("balance", out.credits(account.balance_micros)),
            ("email", out.shown(account.email)),
            ("services", out.shown(sorted(str(s) for s in account.services))),
            ("default country", out.shown(account.default_country)),
            ("senders", out.shown(sorted(account.allowed_senders))),
            ("daily limit", limit_text(account.daily_limit)),
            ("flood limit (24 h)", limit_text(account.flood_limit_24h)),
            ("allowed countries", "all" if allowed is None else out.shown(sorted(allowed))),
            (
                "monthly country limits",
                out.shown(dict(sorted(account.country_monthly_limits.items()))),
            ),
            ("web service", "on" if account.web_service_enabled else out.bad("off")),
            ("filtered words", out.shown(account.filtered_words)),
            ("webhook URL", out.shown(account.webhook_url)),
            ("webhook secret", out.shown(account.webhook_secret)),
            ("marketing hours", hours_text(account.marketing_hours)),
            ("expires", out.shown_time(account.expires_at)),
            ("created", out.shown_time(account.created_at)),
        ]
    )


@click.group()
def accounts() -> None:
    """Create and manage accounts (tenants)."""


@accounts.command()
@click.argument("username")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 6 characters; asked for when left out.",
)
@click.option("--email")
@click.option("--credit", "credit_micros", type=CREDITS, default=0, help="Opening credit.")
@click.option("--country", type=COUNTRY, help="Default country for national numbers.")
@click.option(
    "--services", type=SERVICES, default="sms", show_default=True, help="Comma-separated: sms, mms."
)
@out.json_option
@click.pass_obj
def create(
    obj: CliContext,
    username: str,
    password: str,
    email: str | None,
    credit_micros: int,
    country: str | None,
    services: frozenset[Service],
    as_json: bool,
) -> None:
    """Create an account with its first API key."""
    new = NewAccount(username, password, email, credit_micros, country, services)
    account, issued = obj.run(lambda gw: gw.accounts.create(new))
    if as_json:
        out.echo_json(account_json(account) | {"api_key": issued.key, "api_key_id": issued.id})
        return
    click.echo(f"created account {out.heading(account.username)} (id {account.id})")
    out.echo_fields(
        [
            ("balance", out.credits(account.balance_micros)),
            ("services", out.shown(sorted(str(s) for s in account.services))),
            ("API key", out.secret(issued.key)),
        ],
        indent=2,
    )
    click.echo("The API key is shown only now; keep it somewhere safe.")


@accounts.command(name="list")
@out.json_option
@click.pass_obj
def list_accounts(obj: CliContext, as_json: bool) -> None:
    """List every account."""
    found = obj.run(lambda gw: gw.accounts.list())
    if as_json:
        out.echo_json([account_json(a) for a in found])
        return
    if not found:
        click.echo("no accounts yet; create one with `smsgate accounts create`")
        return
    rows = [
        [
            str(a.id),
            a.username,
            str(a.status),
            format_credits(a.balance_micros),
            out.shown(a.default_country),
            ",".join(sorted(str(s) for s in a.services)),
            out.shown_time(a.expires_at),
        ]
        for a in found
    ]
    out.echo_table(
        ["ID", "USERNAME", "STATUS", "BALANCE", "COUNTRY", "SERVICES", "EXPIRES"],
        rows,
        right=(0, 3),
        colour=lambda column, text: out.status_colour(text) if column == 2 else text,
    )


@accounts.command()
@click.argument("username")
@out.json_option
@click.pass_obj
def show(obj: CliContext, username: str, as_json: bool) -> None:
    """Show one account and its settings."""
    account = obj.run(lambda gw: gw.accounts.get(username))
    if as_json:
        out.echo_json(account_json(account))
    else:
        echo_account(account)


def _set_status(obj: CliContext, username: str, status: AccountStatus, as_json: bool) -> None:
    account = obj.run(lambda gw: gw.accounts.set_status(username, status))
    if as_json:
        out.echo_json(account_json(account))
    else:
        click.echo(f"{account.username} is now {out.status_colour(str(account.status))}")


@accounts.command()
@click.argument("username")
@out.json_option
@click.pass_obj
def block(obj: CliContext, username: str, as_json: bool) -> None:
    """Block an account: it can neither send nor use the APIs."""
    _set_status(obj, username, AccountStatus.BLOCKED, as_json)


@accounts.command()
@click.argument("username")
@out.json_option
@click.pass_obj
def unblock(obj: CliContext, username: str, as_json: bool) -> None:
    """Make an account active again."""
    _set_status(obj, username, AccountStatus.ACTIVE, as_json)


@accounts.command()
@click.argument("username")
@click.option("--at", "when", type=TIME, help="ISO 8601 time with an offset; default: now.")
@out.json_option
@click.pass_obj
def expire(obj: CliContext, username: str, when: datetime | None, as_json: bool) -> None:
    """Set the time an account expires (now by default)."""
    account = obj.run(lambda gw: gw.accounts.expire(username, when))
    if as_json:
        out.echo_json(account_json(account))
    else:
        click.echo(f"{account.username} expires at {out.shown_time(account.expires_at)}")


def _settings_fields(
    daily_limit: int | Cleared | None,
    flood_limit: int | Cleared | None,
    allowed_countries: list[str] | Cleared | None,
    country_limits: Sequence[tuple[str, int] | Cleared],
    web_service: str | None,
    filtered_words: str | None,
    webhook_url: str | None,
    country: str | Cleared | None,
    services: frozenset[Service] | None,
) -> dict[str, object]:
    """The given options as account columns; `none` (CLEAR) stores NULL or empty."""
    fields: dict[str, object] = {}
    if daily_limit is not None:
        fields["daily_limit"] = None if daily_limit is CLEAR else daily_limit
    if flood_limit is not None:
        fields["flood_limit_24h"] = None if flood_limit is CLEAR else flood_limit
    if allowed_countries is not None:
        fields["allowed_countries"] = None if allowed_countries is CLEAR else allowed_countries
    if country_limits:
        if CLEAR in country_limits and len(country_limits) > 1:
            raise click.BadParameter("'none' goes alone", param_hint="--country-limit")
        limits = [item for item in country_limits if isinstance(item, tuple)]
        fields["country_monthly_limits"] = dict(sorted(limits))
    if web_service is not None:
        fields["web_service_enabled"] = web_service == "on"
    if filtered_words is not None:
        words = [w.strip() for w in filtered_words.split(",") if w.strip()]
        fields["filtered_words"] = [] if [w.lower() for w in words] == ["none"] else words
    if webhook_url is not None:
        url = webhook_url.strip()
        if url.lower() in ("", "none", "off"):
            fields["webhook_url"] = None
        elif not url.startswith(("http://", "https://")):
            raise click.BadParameter("expected an http(s):// URL", param_hint="--webhook-url")
        else:
            fields["webhook_url"] = url
    if country is not None:
        fields["default_country"] = None if country is CLEAR else country
    if services is not None:
        fields["services"] = sorted(str(s) for s in services)
    return fields


@accounts.command(name="set")
@click.argument("username")
@click.option("--daily-limit", type=LimitType(), help="Messages per day, or 'none'.")
@click.option("--flood-limit", type=LimitType(), help="Messages per recipient per 24 h, or 'none'.")
@click.option(
    "--allowed-countries",
    type=CountryListType(),
    help="Destination countries, e.g. IR,FR, or 'all'.",
)
@click.option(
    "--country-limit",
    "country_limits",
    type=CountryLimitType(),
    multiple=True,
    help="Monthly limit per country, e.g. FR=500 (repeat; replaces all), or 'none'.",
)
@click.option("--web-service", type=click.Choice(["on", "off"]), help="API access.")
@click.option(
    "--filtered-words", metavar="WORDS", help="Comma-separated words refused in texts, or 'none'."
)
@click.option("--webhook-url", metavar="URL", help="Where delivery reports go, or 'none'.")
@click.option(
    "--country",
    type=CountryType(clearable=True),
    help="Default country for national numbers, or 'none'.",
)
@click.option("--services", type=SERVICES, help="Comma-separated: sms, mms.")
@click.option(
    "--marketing-hours",
    type=MarketingHoursType(),
    help="When marketing may go out, e.g. '08:00-20:00 Europe/Paris mon-sat', or 'none'.",
)
@out.json_option
@click.pass_obj
def set_settings(
    obj: CliContext,
    username: str,
    daily_limit: int | Cleared | None,
    flood_limit: int | Cleared | None,
    allowed_countries: list[str] | Cleared | None,
    country_limits: tuple[tuple[str, int] | Cleared, ...],
    web_service: str | None,
    filtered_words: str | None,
    webhook_url: str | None,
    country: str | Cleared | None,
    services: frozenset[Service] | None,
    marketing_hours: SendingHours | Cleared | None,
    as_json: bool,
) -> None:
    """Change an account's limits, countries, words, webhook, hours and switches."""
    fields = _settings_fields(
        daily_limit,
        flood_limit,
        allowed_countries,
        country_limits,
        web_service,
        filtered_words,
        webhook_url,
        country,
        services,
    )
    if marketing_hours is not None:
        hours = None if marketing_hours is CLEAR else marketing_hours
        fields["marketing_hours"] = None if hours is None else hours.as_json()
    if not fields:
        raise click.UsageError("nothing to change: give at least one option (see --help)")
    account = obj.run(lambda gw: gw.accounts.update_settings(username, **fields))
    if as_json:
        out.echo_json(account_json(account))
    else:
        echo_account(account)
