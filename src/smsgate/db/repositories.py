"""Repositories: SQL in, domain objects out. Each works inside the caller's transaction."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate import errors
from smsgate.db import dialects
from smsgate.db import tables as t
from smsgate.domain.accounts import Account, AccountStatus, Line, Service
from smsgate.domain.hours import SendingHours
from smsgate.domain.pricing import PriceTable
from smsgate.domain.recipients import Screening
from smsgate.ports import ApiKeyRecord, LedgerEntry, StoredCredentials

DAY_REGION = "*"  # usage row counting every region, for the daily limit


def _account(row: sa.Row[Any]) -> Account:
    allowed = row.allowed_countries
    return Account(
        id=row.id,
        username=row.username,
        email=row.email,
        status=AccountStatus(row.status),
        balance_micros=row.balance_micros,
        expires_at=row.expires_at,
        services=frozenset(Service(s) for s in row.services),
        default_country=row.default_country,
        allowed_senders=frozenset(row.allowed_senders),
        daily_limit=row.daily_limit,
        allowed_countries=None if allowed is None else frozenset(allowed),
        country_monthly_limits=dict(row.country_monthly_limits),
        flood_limit_24h=row.flood_limit_24h,
        web_service_enabled=row.web_service_enabled,
        filtered_words=tuple(row.filtered_words),
        webhook_url=row.webhook_url,
        created_at=row.created_at,
        webhook_secret=row.webhook_secret,
        marketing_hours=None
        if row.marketing_hours is None
        else SendingHours.from_json(row.marketing_hours),
    )


ACCOUNT_COLUMNS = [c for c in t.accounts.c if c.name != "password_hash"]
# The balance moves only through the ledger; the id never changes.
UPDATABLE_ACCOUNT_FIELDS = {c.name for c in ACCOUNT_COLUMNS} - {"id", "balance_micros"}


# Statements of the send path, built once (see dialects.PerDialect).
_ACCOUNT_BY_ID = sa.select(*ACCOUNT_COLUMNS).where(t.accounts.c.id == sa.bindparam("account_id"))
_ALL_PRICES = sa.select(t.prices)
_KEY_FIELDS = [c.name for c in t.api_keys.c]
# An API key and its account in one round trip (key columns prefixed: both have `id`).
_KEY_WITH_ACCOUNT = (
    sa.select(*[c.label(f"key_{c.name}") for c in t.api_keys.c], *ACCOUNT_COLUMNS)
    .select_from(t.api_keys.join(t.accounts, t.accounts.c.id == t.api_keys.c.account_id))
    .where(t.api_keys.c.prefix == sa.bindparam("prefix"))
)


def _listed(postgresql_: bool) -> Any:
    """The wanted numbers on the account's or the global blacklist (True), or npai (False):
    one round trip for both lists."""
    return sa.union_all(
        sa.select(t.blacklist.c.number, sa.true()).where(
            t.blacklist.c.account_id == sa.bindparam("account_id"),
            dialects.in_param(postgresql_, t.blacklist.c.number, "numbers"),
        ),
        sa.select(t.global_blacklist.c.number, sa.true()).where(
            dialects.in_param(postgresql_, t.global_blacklist.c.number, "numbers")
        ),
        sa.select(t.npai.c.number, sa.false()).where(
            dialects.in_param(postgresql_, t.npai.c.number, "numbers")
        ),
    )


_LISTED = dialects.PerDialect(_listed)


class SqlAccounts:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, account: Account, password_hash: str) -> int:
        result = await self._conn.execute(
            t.accounts.insert().returning(t.accounts.c.id),
            {
                "username": account.username,
                "email": account.email,
                "password_hash": password_hash,
                "status": str(account.status),
                "balance_micros": 0,
                "expires_at": account.expires_at,
                "services": sorted(str(s) for s in account.services),
                "default_country": account.default_country,
                "allowed_senders": sorted(account.allowed_senders),
                "daily_limit": account.daily_limit,
                "allowed_countries": None
                if account.allowed_countries is None
                else sorted(account.allowed_countries),
                "country_monthly_limits": dict(account.country_monthly_limits),
                "flood_limit_24h": account.flood_limit_24h,
                "web_service_enabled": account.web_service_enabled,
                "filtered_words": list(account.filtered_words),
                "webhook_url": account.webhook_url,
                "marketing_hours": None
                if account.marketing_hours is None
                else account.marketing_hours.as_json(),
                "created_at": account.created_at,
            },
        )
        return int(result.scalar_one())

    async def get(self, account_id: int, *, lock: bool = False) -> Account | None:
        query = _ACCOUNT_BY_ID
        if lock:
            query = dialects.lock_rows(self._conn, query)
        row = (await self._conn.execute(query, {"account_id": account_id})).first()
        return None if row is None else _account(row)

    async def get_by_username(self, username: str) -> Account | None:
        query = sa.select(*ACCOUNT_COLUMNS).where(t.accounts.c.username == username)
        row = (await self._conn.execute(query)).first()
        return None if row is None else _account(row)

    async def list(self) -> list[Account]:
        query = sa.select(*ACCOUNT_COLUMNS).order_by(t.accounts.c.id)
        return [_account(row) for row in await self._conn.execute(query)]

    async def credentials(self, username: str) -> StoredCredentials | None:
        query = sa.select(t.accounts.c.id, t.accounts.c.password_hash).where(
            t.accounts.c.username == username
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else StoredCredentials(row.id, row.password_hash)

    async def update(self, account_id: int, **fields: object) -> None:
        unknown = set(fields) - UPDATABLE_ACCOUNT_FIELDS
        if unknown:
            raise ValueError(f"cannot update account fields {sorted(unknown)}")
        await self._conn.execute(
            t.accounts.update().where(t.accounts.c.id == account_id).values(**fields)
        )

    async def set_status(self, account_id: int, status: AccountStatus) -> None:
        await self.update(account_id, status=str(status))

    async def add_key(
        self, account_id: int, prefix: str, secret_hash: str, label: str | None, now: datetime
    ) -> int:
        result = await self._conn.execute(
            t.api_keys.insert().returning(t.api_keys.c.id),
            {
                "account_id": account_id,
                "prefix": prefix,
                "secret_hash": secret_hash,
                "label": label,
                "created_at": now,
            },
        )
        return int(result.scalar_one())

    async def key_with_account(self, prefix: str) -> tuple[ApiKeyRecord, Account] | None:
        row = (await self._conn.execute(_KEY_WITH_ACCOUNT, {"prefix": prefix})).first()
        if row is None:
            return None
        values = row._asdict()
        key = ApiKeyRecord(**{name: values[f"key_{name}"] for name in _KEY_FIELDS})
        return key, _account(row)

    async def keys(self, account_id: int) -> builtins.list[ApiKeyRecord]:
        query = (
            sa.select(t.api_keys)
            .where(t.api_keys.c.account_id == account_id)
            .order_by(t.api_keys.c.id)
        )
        return [ApiKeyRecord(**row._asdict()) for row in await self._conn.execute(query)]

    async def revoke_key(self, account_id: int, key_id: int, now: datetime) -> bool:
        result = await self._conn.execute(
            t.api_keys.update()
            .where(
                t.api_keys.c.id == key_id,
                t.api_keys.c.account_id == account_id,
                t.api_keys.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return bool(result.rowcount)

    async def add_line(self, account_id: int, number: str, active: bool) -> None:
        existing = (
            await self._conn.execute(
                sa.select(t.lines.c.account_id).where(t.lines.c.number == number)
            )
        ).first()
        if existing is None:
            await self._conn.execute(
                t.lines.insert(), {"number": number, "account_id": account_id, "active": active}
            )
        elif existing.account_id == account_id:
            await self._conn.execute(
                t.lines.update().where(t.lines.c.number == number).values(active=active)
            )
        else:
            raise errors.Conflict(f"the number {number} belongs to another account")

    async def line(self, account_id: int, number: str) -> Line | None:
        query = sa.select(t.lines.c.number, t.lines.c.active).where(
            t.lines.c.number == number, t.lines.c.account_id == account_id
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else Line(row.number, row.active)

    async def lines(self, account_id: int) -> builtins.list[Line]:
        query = (
            sa.select(t.lines.c.number, t.lines.c.active)
            .where(t.lines.c.account_id == account_id)
            .order_by(t.lines.c.number)
        )
        return [Line(row.number, row.active) for row in await self._conn.execute(query)]


class SqlLedger:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def debit(
        self, account_id: int, amount_micros: int, batch_id: int | None, now: datetime
    ) -> int | None:
        """Take `amount_micros` if the balance covers it; the new balance, or None."""
        result = await self._conn.execute(
            t.accounts.update()
            .where(t.accounts.c.id == account_id, t.accounts.c.balance_micros >= amount_micros)
            .values(balance_micros=t.accounts.c.balance_micros - amount_micros)
            .returning(t.accounts.c.balance_micros)
        )
        balance = result.scalar_one_or_none()
        if balance is None:
            return None
        await self._conn.execute(
            t.ledger.insert(),
            {
                "account_id": account_id,
                "amount_micros": -amount_micros,
                "kind": "charge" if batch_id is not None else "adjustment",
                "balance_after_micros": balance,
                "batch_id": batch_id,
                "note": None,
                "created_at": now,
            },
        )
        return int(balance)

    async def credit(
        self,
        account_id: int,
        amount_micros: int,
        kind: str,
        note: str | None,
        now: datetime,
        batch_id: int | None = None,
    ) -> int:
        result = await self._conn.execute(
            t.accounts.update()
            .where(t.accounts.c.id == account_id)
            .values(balance_micros=t.accounts.c.balance_micros + amount_micros)
            .returning(t.accounts.c.balance_micros)
        )
        balance = int(result.scalar_one())
        await self._conn.execute(
            t.ledger.insert(),
            {
                "account_id": account_id,
                "amount_micros": amount_micros,
                "kind": kind,
                "balance_after_micros": balance,
                "batch_id": batch_id,
                "note": note,
                "created_at": now,
            },
        )
        return balance

    async def entries(self, account_id: int) -> list[LedgerEntry]:
        query = (
            sa.select(t.ledger).where(t.ledger.c.account_id == account_id).order_by(t.ledger.c.id)
        )
        return [LedgerEntry(**row._asdict()) for row in await self._conn.execute(query)]

    async def charge_of(self, account_id: int, batch_id: int) -> LedgerEntry | None:
        query = sa.select(t.ledger).where(
            t.ledger.c.account_id == account_id,
            t.ledger.c.batch_id == batch_id,
            t.ledger.c.kind == "charge",
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else LedgerEntry(**row._asdict())

    async def total(self, account_id: int) -> int:
        query = sa.select(sa.func.coalesce(sa.func.sum(t.ledger.c.amount_micros), 0)).where(
            t.ledger.c.account_id == account_id
        )
        return int((await self._conn.execute(query)).scalar_one())


class SqlScreenings:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def screening(
        self, account: Account, numbers: Sequence[str], since: datetime, day: date
    ) -> Screening:
        # Without numbers (a campaign's launch screens its audience in SQL), only the usage
        # counters below are read.
        wanted = sorted(set(numbers))
        blacklisted: frozenset[str] = frozenset()
        npai: frozenset[str] = frozenset()
        sent_24h: dict[str, int] = {}
        if wanted:
            blacklisted, npai, sent_24h = await self._about_numbers(account, wanted, since)
        sent_today, sent_month = 0, {}
        if account.daily_limit is not None or account.country_monthly_limits:
            rows = await self._conn.execute(
                sa.select(t.usage.c.period, t.usage.c.region, t.usage.c.count).where(
                    t.usage.c.account_id == account.id,
                    t.usage.c.period.in_([day.isoformat(), day.isoformat()[:7]]),
                )
            )
            for period, region, count in rows:
                if len(period) == 10 and region == DAY_REGION:
                    sent_today = int(count)
                elif len(period) == 7:
                    sent_month[region] = int(count)
        return Screening(
            blacklisted=blacklisted,
            npai=npai,
            sent_24h=sent_24h,
            sent_today=sent_today,
            sent_this_month=sent_month,
        )

    async def _about_numbers(
        self, account: Account, wanted: Sequence[str], since: datetime
    ) -> tuple[frozenset[str], frozenset[str], dict[str, int]]:
        """Blacklisted and npai numbers among `wanted`, and their sends in the last 24 h."""
        listed = await self._conn.execute(
            _LISTED(self._conn), {"account_id": account.id, "numbers": list(wanted)}
        )
        found = listed.all()
        blacklisted = frozenset(number for number, is_blacklisted in found if is_blacklisted)
        npai = frozenset(number for number, is_blacklisted in found if not is_blacklisted)
        sent_24h: dict[str, int] = {}
        if account.flood_limit_24h is not None:
            rows = await self._conn.execute(
                sa.select(t.messages.c.recipient, sa.func.count())
                .where(
                    t.messages.c.account_id == account.id,
                    dialects.in_values(self._conn, t.messages.c.recipient, wanted),
                    t.messages.c.created_at > since,
                )
                .group_by(t.messages.c.recipient)
            )
            sent_24h = {row[0]: int(row[1]) for row in rows}
        return blacklisted, npai, sent_24h

    async def record_usage(self, account_id: int, day: date, by_region: Mapping[str, int]) -> None:
        rows = [
            {"account_id": account_id, "period": period, "region": region, "count": count}
            for period, region, count in usage_rows(day, by_region)
        ]
        await self._conn.execute(
            dialects.upsert_add(
                self._conn, t.usage, rows, ["account_id", "period", "region"], "count"
            )
        )


def usage_rows(day: date, by_region: Mapping[str, int]) -> list[tuple[str, str, int]]:
    """(period, region, count) to add: the day's row for every country together, the
    month's one per country (what the daily and monthly limits read)."""
    month = day.isoformat()[:7]
    return [(day.isoformat(), DAY_REGION, sum(by_region.values()))] + [
        (month, region, count) for region, count in sorted(by_region.items())
    ]


class SqlBlacklist:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    def _table(self, account_id: int | None) -> tuple[sa.Table, list[Any]]:
        if account_id is None:
            return t.global_blacklist, []
        return t.blacklist, [t.blacklist.c.account_id == account_id]

    async def add(self, account_id: int | None, numbers: Sequence[str], now: datetime) -> int:
        table, _ = self._table(account_id)
        owner = {} if account_id is None else {"account_id": account_id}
        rows = [{**owner, "number": n, "created_at": now} for n in sorted(set(numbers))]
        if not rows:
            return 0
        result = await self._conn.execute(dialects.insert_ignore(self._conn, table, rows))
        return int(result.rowcount)

    async def remove(self, account_id: int | None, numbers: Sequence[str]) -> int:
        table, where = self._table(account_id)
        result = await self._conn.execute(
            table.delete().where(table.c.number.in_(list(numbers)), *where)
        )
        return int(result.rowcount)

    async def list(self, account_id: int | None) -> list[str]:
        table, where = self._table(account_id)
        query = sa.select(table.c.number).where(*where).order_by(table.c.number)
        return list((await self._conn.execute(query)).scalars())


class SqlPrices:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def table(self) -> PriceTable:
        rows = await self._conn.execute(_ALL_PRICES)
        return PriceTable({(Service(r.service), r.region): r.price_micros for r in rows})

    async def set(self, service: Service, region: str, price_micros: int) -> None:
        row = {"service": str(service), "region": region, "price_micros": price_micros}
        await self._conn.execute(
            t.prices.delete().where(
                t.prices.c.service == row["service"], t.prices.c.region == region
            )
        )
        await self._conn.execute(t.prices.insert(), row)
