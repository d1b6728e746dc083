"""Where SQLite and PostgreSQL differ, as named functions; nothing else checks the dialect."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def is_postgresql(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


async def plan_each_time(conn: AsyncConnection) -> None:
    """Plan this transaction's statements for their values (PostgreSQL): a prepared statement
    otherwise gets a generic plan after five runs, made while a table being filled was small
    (a scan of the whole table per run once it is not). SQLite plans each time anyway."""
    if is_postgresql(conn):
        await conn.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))


def lock_rows(conn: AsyncConnection, query: sa.Select[Any]) -> sa.Select[Any]:
    """Lock the selected rows until commit (SQLite: the write transaction locks already)."""
    return query.with_for_update() if is_postgresql(conn) else query


def in_param(postgresql_: bool, column: Any, name: str, element: Any = sa.String) -> Any:
    """`column IN :name` for a statement built once: the list is bound at execution (on
    PostgreSQL `= ANY(:name)` as an array of `element`, elsewhere an expanding IN)."""
    if postgresql_:
        return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(element)))
    return column.in_(sa.bindparam(name, expanding=True))


class PerDialect:
    """A statement built once per dialect, on first use: executing the same object again
    skips SQLAlchemy's statement construction and cache-key work (about 0.1-0.3 ms a
    statement on the send path)."""

    def __init__(self, build: Any) -> None:
        self._build = build
        self._built: dict[bool, Any] = {}

    def __call__(self, conn: AsyncConnection) -> Any:
        postgresql_ = is_postgresql(conn)
        statement = self._built.get(postgresql_)
        if statement is None:
            statement = self._built[postgresql_] = self._build(postgresql_)
        return statement


_ARRAY_CAST = re.compile(r"CAST\(:(\w+) AS (\w+)\[\]\)")
_ARRAY_ELEMENTS: dict[str, Any] = {
    "text": sa.Text,
    "bigint": sa.BigInteger,
    "integer": sa.Integer,
    "boolean": sa.Boolean,
    "timestamptz": sa.DateTime(timezone=True),
}


def typed_arrays(statement: sa.TextClause) -> sa.TextClause:
    """Give each `CAST(:name AS type[])` parameter of a PostgreSQL statement its array type.

    Untyped, SQLAlchemy looks at every element of the list to guess one, on every execution
    (about 0.1 ms for a hundred-element list)."""
    return statement.bindparams(
        *(
            sa.bindparam(name, type_=postgresql.ARRAY(_ARRAY_ELEMENTS[element]))
            for name, element in dict(_ARRAY_CAST.findall(statement.text)).items()
        )
    )


def in_values(conn: AsyncConnection, column: Any, values: Sequence[str] | Sequence[int]) -> Any:
    """`column IN values`; on PostgreSQL `= ANY(array)`, one prepared statement for any count."""
    if is_postgresql(conn):
        element: Any = sa.BigInteger if values and isinstance(values[0], int) else sa.String
        return column == sa.any_(sa.literal(list(values), postgresql.ARRAY(element)))
    return column.in_(list(values))


def upsert_add(
    conn: AsyncConnection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    column: str,
) -> sa.Insert:
    """INSERT rows, or add their `column` to the existing row with the same keys."""
    module: Any = postgresql if is_postgresql(conn) else sqlite
    statement = module.insert(table).values(list(rows))
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=list(keys),
        set_={column: table.c[column] + statement.excluded[column]},
    )


def insert_ignore(conn: AsyncConnection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> Any:
    """INSERT rows, skipping those whose key exists already."""
    module: Any = postgresql if is_postgresql(conn) else sqlite
    return module.insert(table).values(list(rows)).on_conflict_do_nothing()


def utf16_units(conn: AsyncConnection, text: Any) -> Any:
    """The UTF-16 code units of a text expression: characters, plus one per character past
    U+FFFF (a surrogate pair). SQLite has no regular expressions: db/engine.py registers
    `smsgate_utf16_units` on every SQLite connection."""
    if is_postgresql(conn):
        astral = sa.func.regexp_replace(text, "[^\\U00010000-\\U0010FFFF]", "", "g")
        return sa.func.char_length(text) + sa.func.char_length(astral)
    return sa.func.smsgate_utf16_units(text)


def is_unique_violation(exc: BaseException) -> bool:
    """Whether a driver error is a unique-constraint violation, on either database."""
    text = f"{type(exc.__cause__ or exc).__name__} {exc}".lower()
    return "unique" in text or "uniqueviolation" in text
