"""Contact lists and contacts: set-based writes (an import chunk is one upsert of contacts and
one insert of memberships), keyset pages for reads. Every statement is scoped by account."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.db import dialects
from smsgate.db import tables as t
from smsgate.domain.contacts import Contact, ContactList, MemberFilter, NewContact

c = t.contacts.c
m = t.list_members.c
cl = t.contact_lists.c

# PostgreSQL: the chunk as one array per column, one prepared statement whatever its size.
_PG_UPSERT_CONTACTS = dialects.typed_arrays(
    sa.text(
        """
    INSERT INTO contacts (account_id, number, region, name, fields, gsm7, created_at)
    SELECT :account_id, v.number, v.region, v.name, CAST(v.fields AS json), v.gsm7, :created_at
    FROM unnest(
        CAST(:numbers AS text[]), CAST(:regions AS text[]), CAST(:names AS text[]),
        CAST(:fields AS text[]), CAST(:gsm7 AS boolean[])
    ) AS v(number, region, name, fields, gsm7)
    ON CONFLICT (account_id, number) DO UPDATE
        SET name = EXCLUDED.name, fields = EXCLUDED.fields, gsm7 = EXCLUDED.gsm7
    RETURNING id, number
    """
    )
).bindparams(sa.bindparam("created_at", type_=t.UtcDateTime))

_PG_ADD_MEMBERS = dialects.typed_arrays(
    sa.text(
        """
    INSERT INTO list_members (list_id, contact_id)
    SELECT :list_id, v.id FROM unnest(CAST(:ids AS bigint[])) AS v(id)
    ON CONFLICT DO NOTHING
    RETURNING contact_id
    """
    )
)

# The custom field names of a list's contacts, from the JSON objects themselves.
_PG_FIELD_NAMES = sa.text(
    """
    SELECT DISTINCT k.key FROM list_members m
    JOIN contacts c ON c.id = m.contact_id
    CROSS JOIN LATERAL json_object_keys(c.fields) AS k(key)
    WHERE m.list_id = :list_id
        AND EXISTS (
            SELECT 1 FROM contact_lists l WHERE l.id = :list_id AND l.account_id = :account_id
        )
    ORDER BY k.key
    """
)
_SQLITE_FIELD_NAMES = sa.text(
    """
    SELECT DISTINCT j.key FROM list_members m
    JOIN contacts c ON c.id = m.contact_id, json_each(c.fields) AS j
    WHERE m.list_id = :list_id
        AND EXISTS (
            SELECT 1 FROM contact_lists l WHERE l.id = :list_id AND l.account_id = :account_id
        )
    ORDER BY j.key
    """
)

_CONTACT_COLUMNS: list[Any] = [c.id, c.number, c.region, c.name, c.fields, c.gsm7, c.created_at]
_OPTED_OUT = sa.or_(
    sa.exists().where(t.blacklist.c.account_id == c.account_id, t.blacklist.c.number == c.number),
    sa.exists().where(t.global_blacklist.c.number == c.number),
).label("opted_out")
_LIST_SIZE = (
    sa.select(sa.func.count())
    .select_from(t.list_members)
    .where(m.list_id == cl.id)
    .scalar_subquery()
    .label("size")
)
_LIST_COLUMNS: list[Any] = [cl.id, cl.account_id, cl.name, cl.created_at, _LIST_SIZE]
_MEMBER_COLUMNS = [*_CONTACT_COLUMNS, _OPTED_OUT]


def _contact(row: sa.Row[Any]) -> Contact:
    # By position: an import reads thousands of these per chunk.
    cells: tuple[Any, ...] = tuple(row)
    id_, number, region, name, fields, gsm7, created_at, *opted_out = cells
    return Contact(
        id_, number, region, name, dict(fields or {}), bool(gsm7), created_at, any(opted_out)
    )


def _contact_list(row: sa.Row[Any]) -> ContactList:
    return ContactList(row.id, row.account_id, row.name, row.created_at, int(row.size))


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlContacts:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    # --- lists --------------------------------------------------------------------------

    async def add_list(self, account_id: int, name: str, now: datetime) -> ContactList:
        result = await self._conn.execute(
            t.contact_lists.insert().returning(cl.id),
            {"account_id": account_id, "name": name, "created_at": now},
        )
        return ContactList(int(result.scalar_one()), account_id, name, now, 0)

    async def lists(self, account_id: int) -> builtins.list[ContactList]:
        query = sa.select(*_LIST_COLUMNS).where(cl.account_id == account_id).order_by(cl.name)
        return [_contact_list(row) for row in await self._conn.execute(query)]

    async def get_list(self, account_id: int, list_id: int) -> ContactList | None:
        return await self._one_list(cl.account_id == account_id, cl.id == list_id)

    async def list_named(self, account_id: int, name: str) -> ContactList | None:
        return await self._one_list(cl.account_id == account_id, cl.name == name)

    async def has_list(self, account_id: int, list_id: int, *, lock: bool = False) -> bool:
        query = sa.select(cl.id).where(cl.account_id == account_id, cl.id == list_id)
        if lock:
            query = dialects.lock_rows(self._conn, query)
        return (await self._conn.execute(query)).first() is not None

    async def _one_list(self, *where: Any) -> ContactList | None:
        query = sa.select(*_LIST_COLUMNS).where(*where)
        row = (await self._conn.execute(query)).first()
        return None if row is None else _contact_list(row)

    async def delete_list(self, account_id: int, list_id: int) -> bool:
        # Memberships go with the list (ON DELETE CASCADE); contacts stay.
        result = await self._conn.execute(
            t.contact_lists.delete().where(cl.account_id == account_id, cl.id == list_id)
        )
        return bool(result.rowcount)

    # --- contacts -----------------------------------------------------------------------

    async def find(self, account_id: int, numbers: Sequence[str]) -> dict[str, Contact]:
        if not numbers:
            return {}
        await dialects.plan_each_time(self._conn)
        query = sa.select(*_CONTACT_COLUMNS).where(
            c.account_id == account_id, dialects.in_values(self._conn, c.number, list(numbers))
        )
        return {row.number: _contact(row) for row in await self._conn.execute(query)}

    async def upsert(
        self, account_id: int, contacts: Sequence[NewContact], now: datetime
    ) -> dict[str, int]:
        if not contacts:
            return {}
        if dialects.is_postgresql(self._conn):
            result = await self._conn.execute(
                _PG_UPSERT_CONTACTS,
                {
                    "account_id": account_id,
                    "numbers": [x.number for x in contacts],
                    "regions": [x.region for x in contacts],
                    "names": [x.name for x in contacts],
                    "fields": [orjson.dumps(dict(x.fields)).decode() for x in contacts],
                    "gsm7": [x.gsm7 for x in contacts],
                    "created_at": now,
                },
            )
            return {row.number: int(row.id) for row in result}
        insert = sqlite.insert(t.contacts)
        statement = insert.on_conflict_do_update(
            index_elements=["account_id", "number"],
            set_={
                "name": insert.excluded.name,
                "fields": insert.excluded.fields,
                "gsm7": insert.excluded.gsm7,
            },
        ).returning(c.id, c.number)
        rows = [
            {
                "account_id": account_id,
                "number": x.number,
                "region": x.region,
                "name": x.name,
                "fields": dict(x.fields),
                "gsm7": x.gsm7,
                "created_at": now,
            }
            for x in contacts
        ]
        return {row.number: int(row.id) for row in await self._conn.execute(statement, rows)}

    async def add_members(self, list_id: int, contact_ids: Sequence[int]) -> set[int]:
        if not contact_ids:
            return set()
        if dialects.is_postgresql(self._conn):
            result = await self._conn.execute(
                _PG_ADD_MEMBERS, {"list_id": list_id, "ids": list(contact_ids)}
            )
            return {int(i) for i in result.scalars()}
        statement = sqlite.insert(t.list_members).on_conflict_do_nothing().returning(m.contact_id)
        rows = [{"list_id": list_id, "contact_id": i} for i in contact_ids]
        return {int(i) for i in (await self._conn.execute(statement, rows)).scalars()}

    async def remove_members(self, account_id: int, list_id: int, numbers: Sequence[str]) -> int:
        if not numbers:
            return 0
        ids = sa.select(c.id).where(
            c.account_id == account_id, dialects.in_values(self._conn, c.number, list(numbers))
        )
        result = await self._conn.execute(
            t.list_members.delete().where(m.list_id == list_id, m.contact_id.in_(ids))
        )
        return int(result.rowcount)

    async def members(
        self, account_id: int, list_id: int, query: MemberFilter
    ) -> builtins.list[Contact]:
        # A list holds its account's contacts only: checking the list once (a one-time filter)
        # keeps the tenant out of the join's estimates.
        owned = sa.exists().where(cl.id == list_id, cl.account_id == account_id)
        where = [m.list_id == list_id, owned]
        if query.after_id is not None:
            # On both sides of the join, so that neither index scan starts from the first id.
            where.extend((m.contact_id > query.after_id, c.id > query.after_id))
        searches = []
        if query.number_prefix:
            searches.append(c.number.like(_like_escaped(query.number_prefix) + "%", escape="\\"))
        if query.name_part:
            pattern = "%" + _like_escaped(query.name_part) + "%"
            searches.append(c.name.ilike(pattern, escape="\\"))
        if searches:
            where.append(sa.or_(*searches))
        await dialects.plan_each_time(self._conn)
        select = (
            sa.select(*_MEMBER_COLUMNS)
            .select_from(t.list_members.join(t.contacts, c.id == m.contact_id))
            .where(*where)
            .order_by(m.contact_id)
            .limit(query.limit)
        )
        return [_contact(row) for row in await self._conn.execute(select)]

    async def refresh_statistics(self) -> None:
        if dialects.is_postgresql(self._conn):
            await self._conn.execute(sa.text("ANALYZE contacts, list_members"))

    async def field_names(self, account_id: int, list_id: int) -> builtins.list[str]:
        query = _PG_FIELD_NAMES if dialects.is_postgresql(self._conn) else _SQLITE_FIELD_NAMES
        result = await self._conn.execute(query, {"list_id": list_id, "account_id": account_id})
        return [str(name) for name in result.scalars()]
