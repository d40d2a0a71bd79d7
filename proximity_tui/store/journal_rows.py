"""The journal's hot writes in plain SQL (`plain_sql`): operations and their events.

A deploy writes the journal at every step boundary, before the step runs (so that a crash names
the step it happened in), and saves its resumable state before each side effect: about twenty
small transactions a deploy. Each function takes a connection inside an open `BEGIN IMMEDIATE`
(`Database.raw_write`) and does not commit; each writes what its `repositories` namesake writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any, cast

from sqlalchemy import Table

from proximity_tui.store import plain_sql
from proximity_tui.store.models import FINISHED_STATUSES, Operation, OperationEvent, utcnow
from proximity_tui.store.plain_sql import Codec

OPERATIONS = cast(Table, Operation.__table__)
EVENTS = cast(Table, OperationEvent.__table__)
#: NULL arguments keep the column as it is (`repositories.finish_operation` sets only what it
#: is given); only a running operation is finished.
FINISH = (
    "UPDATE operations SET status = ?, finished_at = ?, error = coalesce(?, error), "
    "result = coalesce(?, result), step = coalesce(?, step) WHERE id = ? AND status = 'running'"
)


def add_events(
    conn: sqlite3.Connection, codec: Codec, op_id: int, events: Iterable[Mapping[str, Any]]
) -> int:
    """Insert events (as `repositories.add_operation_events`); a `step_started` among them
    becomes the operation's current step (the last one wins). Returns how many were written."""
    now = utcnow()
    rows: list[Mapping[str, Any]] = []
    step = None
    for e in events:
        row = {
            "operation_id": op_id,
            "ts": e.get("ts") or now,
            "step": e.get("step"),
            "level": e.get("level", "info"),
            "kind": e.get("kind", "log"),
            "message": e.get("message", ""),
            "progress": e.get("progress"),
        }
        rows.append(row)
        if row["kind"] == "step_started" and row["step"]:
            step = row["step"]
    plain_sql.insert_many(conn, codec, EVENTS, rows)
    if step is not None:
        conn.execute("UPDATE operations SET step = ? WHERE id = ?", (step, op_id))
    return len(rows)


def add_operation(
    conn: sqlite3.Connection, codec: Codec, kind: str, *, status: str = "running", **fields: Any
) -> int:
    """A new operation row (as `repositories.create_operation`: app_id, hostname, user_id,
    parameters, step, pid, host); its id."""
    started = utcnow()
    values = {"kind": kind, "status": status, "started_at": started, **fields}
    if status in FINISHED_STATUSES:
        values["finished_at"] = started
    return plain_sql.insert(conn, codec, OPERATIONS, values)


def exists(conn: sqlite3.Connection, op_id: int) -> bool:
    return conn.execute("SELECT 1 FROM operations WHERE id = ?", (op_id,)).fetchone() is not None


def set_state(conn: sqlite3.Connection, codec: Codec, op_id: int, state: Mapping[str, Any]) -> bool:
    """`result["state"] = state`, the rest of `result` kept; False when there is no such row."""
    row = conn.execute("SELECT result FROM operations WHERE id = ?", (op_id,)).fetchone()
    if row is None:
        return False
    result = {**(plain_sql.loads(row[0]) or {}), "state": dict(state)}
    return plain_sql.update(conn, codec, OPERATIONS, op_id, {"result": result})


def finish(
    conn: sqlite3.Connection,
    codec: Codec,
    op_id: int,
    status: str,
    *,
    error: str | None,
    result: Mapping[str, Any] | None,
    step: str | None,
) -> bool:
    """Close a running operation (as `repositories.finish_operation`); False when it is not
    running (it may not exist: the caller tells the two apart with `exists`)."""
    params = (
        status,
        codec.bind(OPERATIONS, "finished_at", utcnow()),
        error,
        codec.bind(OPERATIONS, "result", dict(result) if result is not None else None),
        step,
        op_id,
    )
    return conn.execute(FINISH, params).rowcount == 1
