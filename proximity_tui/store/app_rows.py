"""The `apps` table's hot reads and writes in plain SQL (`plain_sql`): the ones every deploy
makes (its hostname checked twice, its row reserved, then recorded as running). Writers take a
connection inside `BEGIN IMMEDIATE` (`Database.raw_write`) and do not commit; each does what its
`repositories` namesake does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table

from proximity_tui.store import plain_sql
from proximity_tui.store.models import App
from proximity_tui.store.plain_sql import Codec

APPS = cast(Table, App.__table__)


#: An app row with its owner's name, as `repositories.get_app` loads it (owner joined).
_GET = (
    "SELECT {cols}, users.username FROM apps LEFT JOIN users ON users.id = apps.owner_id "
    "WHERE apps.id = ?"
)


def get(conn: sqlite3.Connection, codec: Codec, app_id: str) -> dict[str, Any] | None:
    """The app's columns as the ORM loads them (times aware UTC, JSON decoded) and `owner`
    (the owner's username, or None); None when there is no such app."""
    keys = [c.key for c in APPS.c]
    cols = ", ".join(f"apps.{APPS.c[k].name}" for k in keys)
    row = conn.execute(_GET.format(cols=cols), (app_id,)).fetchone()  # noqa: S608 - names only
    if row is None:
        return None
    out = {k: codec.result(APPS, k, v) for k, v in zip(keys, row, strict=False)}
    out["owner"] = row[-1]
    return out


def hostname_taken(conn: sqlite3.Connection, hostname: str) -> bool:
    row = conn.execute("SELECT 1 FROM apps WHERE hostname = ? LIMIT 1", (hostname,)).fetchone()
    return row is not None


def vmid_taken(conn: sqlite3.Connection, vmid: int) -> bool:
    return (
        conn.execute("SELECT 1 FROM apps WHERE lxc_id = ? LIMIT 1", (vmid,)).fetchone() is not None
    )


def config_and_environment(
    conn: sqlite3.Connection, app_id: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The app's `config` and `environment` (None when there is no such app)."""
    row = conn.execute("SELECT config, environment FROM apps WHERE id = ?", (app_id,)).fetchone()
    if row is None:
        return None
    return plain_sql.loads(row[0]) or {}, plain_sql.loads(row[1]) or {}


def add_app(conn: sqlite3.Connection, codec: Codec, fields: Mapping[str, Any]) -> None:
    """Insert an app row, its defaults (times, empty JSON) filled in as the ORM fills them."""
    plain_sql.insert(conn, codec, APPS, fields)


def set_status(
    conn: sqlite3.Connection,
    codec: Codec,
    app_id: str,
    status: str,
    *,
    reason: str | None = None,
    config: Mapping[str, Any] | None = None,
    **columns: Any,
) -> bool:
    """Change the status (`reason` kept in `config` as `status_reason`, or dropped), merge
    `config` into the stored one, set other `columns` and `updated_at`; False when there is no
    such app."""
    row = conn.execute("SELECT config FROM apps WHERE id = ?", (app_id,)).fetchone()
    if row is None:
        return False
    merged = dict(plain_sql.loads(row[0]) or {})
    if reason is None:
        merged.pop("status_reason", None)
    else:
        merged["status_reason"] = reason
    merged.update(config or {})
    return plain_sql.update(
        conn, codec, APPS, app_id, {**columns, "status": status, "config": merged}
    )
