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

from sqlalchemy import Column, Table
from sqlalchemy.engine import Dialect

Processor = Callable[[Any], Any]


class Codec:
    """Column values as SQLite stores them, by the columns' bind processors for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._tables: dict[Table, dict[str, _Column]] = {}

    def _columns(self, table: Table) -> dict[str, _Column]:
        found = self._tables.get(table)
        if found is None:
            found = self._tables[table] = {c.key: _Column(c, self.dialect) for c in table.c}
        return found

    def bind(self, table: Table, key: str, value: Any) -> Any:
        """`value` as the ORM would bind it for the column `key` of `table` (None stays NULL)."""
        return self._columns(table)[key].bind(value)

    def result(self, table: Table, key: str, value: Any) -> Any:
        """A stored value of the column `key` as the ORM would load it (None stays None)."""
        return self._columns(table)[key].load(value)

    def row(
        self, table: Table, values: Mapping[str, Any], *, onupdate: bool = False
    ) -> tuple[tuple[str, ...], list[Any]]:
        """The columns a write of `values` sets (those given, and the defaults the ORM adds:
        insert defaults, or with `onupdate` update defaults) and their bound values."""
        cols = self._columns(table)
        unknown = [k for k in values if k not in cols]
        if unknown:
            raise ValueError(f"no column {', '.join(sorted(unknown))} in {table.name}")
        full = dict(values)
        for key, col in cols.items():
            default = col.onupdate if onupdate else col.default
            if default is not None and key not in full:
                full[key] = default()
        return tuple(full), [cols[k].bind(v) for k, v in full.items()]


class _Column:
    """One column's bind processor and defaults (callables), found once per dialect."""

    def __init__(self, column: Column[Any], dialect: Dialect) -> None:
        impl = column.type.dialect_impl(dialect)
        self.proc = impl.bind_processor(dialect)
        self.result = impl.result_processor(dialect, None)
        self.default = _default(column.default)
        self.onupdate = _default(column.onupdate)

    def bind(self, value: Any) -> Any:
        if value is None or self.proc is None:
            return value
        return self.proc(value)

    def load(self, value: Any) -> Any:
        if value is None or self.result is None:
            return value
        return self.result(value)


def _default(default: Any) -> Callable[[], Any] | None:
    """A column default as a function of nothing (SQLAlchemy wraps callables to take its
    execution context, which none of ours reads); None for none or a server-side one."""
    if default is None or not hasattr(default, "arg"):
        return None
    arg = default.arg
    if getattr(default, "is_callable", False):
        return lambda: arg(None)
    return lambda: arg


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
