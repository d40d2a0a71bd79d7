"""Plain SQL on a pooled sqlite3 connection, storing what the ORM would store.

An ORM session costs about 1 ms of CPU (session, unit of work, statement cache lookups, events)
around a small write SQLite does in 40 microseconds, and a Core statement still about 1 ms when it
is built per call. A deploy writes the journal at every step boundary and its app row twice, so
those few hot reads and writes (`journal_rows`, `app_rows`) are plain SQL: the statements are
built from the tables' own column names, and every value goes through its column's own
SQLAlchemy bind processor (times as naive UTC text, mappings as JSON), with the columns'
defaults, so the file holds the same text either way (`tests/unit/store/test_journal.py`).
Connections come from `Database.raw_write()` (inside `BEGIN IMMEDIATE`) and `raw_read()`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Table
from sqlalchemy.engine import Dialect

Processor = Callable[[Any], Any]


class Codec:
    """Column values as SQLite stores them, by the columns' bind processors for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._procs: dict[ColumnElement[Any], Processor | None] = {}

    def bind(self, column: ColumnElement[Any], value: Any) -> Any:
        """`value` as the ORM would bind it (None stays NULL)."""
        if value is None:
            return None
        try:
            proc = self._procs[column]
        except KeyError:
            proc = self._procs[column] = column.type.dialect_impl(self.dialect).bind_processor(
                self.dialect
            )
        return proc(value) if proc is not None else value

    def row(
        self, table: Table, values: Mapping[str, Any], *, onupdate: bool = False
    ) -> tuple[tuple[str, ...], list[Any]]:
        """The columns a write of `values` sets (those given, and the defaults the ORM adds:
        insert defaults, or with `onupdate` update defaults) and their bound values."""
        unknown = set(values) - set(table.c.keys())
        if unknown:
            raise ValueError(f"no column {', '.join(sorted(unknown))} in {table.name}")
        full = dict(values)
        for column in table.c:
            default = column.onupdate if onupdate else column.default
            if column.key in full or default is None or not hasattr(default, "arg"):
                continue
            arg = default.arg
            full[column.key] = arg(None) if getattr(default, "is_callable", False) else arg
        return tuple(full), [self.bind(table.c[k], v) for k, v in full.items()]


# Only the schema's own table and column names go into the text (`table.c[k]` raises for any
# other key, and `Codec.row` refuses one); every value is a `?` parameter.


@cache
def insert_sql(table: Table, cols: tuple[str, ...]) -> str:
    names = ", ".join(table.c[k].name for k in cols)
    marks = ", ".join("?" * len(cols))
    return f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608


@cache
def update_sql(table: Table, cols: tuple[str, ...], where: str) -> str:
    sets = ", ".join(f"{table.c[k].name} = ?" for k in cols)
    return f"UPDATE {table.name} SET {sets} WHERE {table.c[where].name} = ?"  # noqa: S608


def insert(conn: sqlite3.Connection, codec: Codec, table: Table, values: Mapping[str, Any]) -> int:
    """One row, its defaults filled in as the ORM fills them; its rowid."""
    cols, params = codec.row(table, values)
    return int(conn.execute(insert_sql(table, cols), params).lastrowid or 0)


def insert_many(
    conn: sqlite3.Connection, codec: Codec, table: Table, rows: list[Mapping[str, Any]]
) -> int:
    """Rows that all give the same columns, in one executemany; how many."""
    if not rows:
        return 0
    bound = [codec.row(table, r) for r in rows]
    conn.executemany(insert_sql(table, bound[0][0]), [params for _cols, params in bound])
    return len(bound)


def update(
    conn: sqlite3.Connection,
    codec: Codec,
    table: Table,
    key: Any,
    values: Mapping[str, Any],
    *,
    where: str = "id",
) -> bool:
    """Set `values` (and the columns' update defaults) on the row whose `where` column is
    `key`; False when there is none."""
    cols, params = codec.row(table, values, onupdate=True)
    return conn.execute(update_sql(table, cols, where), [*params, key]).rowcount == 1


def loads(text: str | None) -> Any:
    """A JSON column's value (SQLAlchemy's default deserializer)."""
    return None if text is None else json.loads(text)
