"""The operations journal: who did what, when, step by step, with which result.

Synchronous (services call it through `asyncio.to_thread`). Every write goes through `redact`:
values under keys that look secret are replaced, and any value handed to `register_secret` is
masked wherever it appears later (parameters, events, errors, results), so the journal never
stores a secret even when a caller forgets.
"""

from __future__ import annotations

import builtins
import os
import socket
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from proximity_tui.errors import NotFoundError
from proximity_tui.secret_names import is_secret_name
from proximity_tui.services import log_redaction
from proximity_tui.store import journal_rows
from proximity_tui.store import repositories as repo
from proximity_tui.store.db import Database
from proximity_tui.store.models import EVENT_LEVELS, FINISHED_STATUSES, Operation, OperationEvent

MASK = "***"
#: Shorter registered values are not masked: masking "ab" everywhere would garble every message.
MIN_SECRET_LENGTH = 4
#: Longer messages are cut: one runaway log line must not bloat the database.
MAX_TEXT = 20_000


@dataclass(frozen=True)
class EventRecord:
    id: int
    operation_id: int
    ts: datetime
    step: str | None
    level: str
    kind: str
    message: str
    progress: float | None


@dataclass(frozen=True)
class OperationRecord:
    id: int
    kind: str
    app_id: str | None
    hostname: str | None
    user_id: int | None
    username: str | None
    parameters: dict[str, Any]
    status: str
    step: str | None
    started_at: datetime
    finished_at: datetime | None
    error: str | None
    result: dict[str, Any] | None
    pid: int | None
    host: str | None
    events: tuple[EventRecord, ...] = ()

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    def as_dict(self, *, events: bool = False) -> dict[str, Any]:
        """Plain JSON-ready data (times as ISO 8601 UTC)."""
        out = {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "app_id": self.app_id,
            "hostname": self.hostname,
            "user": self.username,
            "step": self.step,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "error": self.error,
            "parameters": self.parameters,
            "result": self.result,
            "pid": self.pid,
            "host": self.host,
        }
        if events:
            out["events"] = [
                {
                    "ts": _iso(e.ts),
                    "step": e.step,
                    "level": e.level,
                    "kind": e.kind,
                    "message": e.message,
                    "progress": e.progress,
                }
                for e in self.events
            ]
        return out


class Journal:
    """Records operations and their events in the database."""

    def __init__(self, db: Database, *, pid: int | None = None, host: str | None = None) -> None:
        self.db = db
        self.pid = os.getpid() if pid is None else pid
        self.host = socket.gethostname() if host is None else host
        self._secrets: list[str] = []
        self._lock = threading.Lock()

    # --- secrets ------------------------------------------------------------------------------

    def register_secret(self, value: str | None) -> None:
        """Mask `value` in everything written from now on (a generated password, a token...)."""
        if not value or len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            if value not in self._secrets:
                # Longest first, so that a secret containing another is masked whole.
                self._secrets = sorted([*self._secrets, value], key=len, reverse=True)
        log_redaction.register(value)  # and in every log record of this process

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def redact(self, value: Any) -> Any:
        """A copy of `value` with secret-looking keys and registered secret values masked."""
        if isinstance(value, Mapping):
            return {
                str(k): (MASK if is_secret_name(k) and v not in (None, "") else self.redact(v))
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.redact(v) for v in value]
        if isinstance(value, str):
            return self.mask(value)
        return value

    def _text(self, text: str | None) -> str | None:
        if text is None:
            return None
        text = self.mask(str(text))
        if len(text) > MAX_TEXT:
            text = text[:MAX_TEXT] + " ... (truncated)"
        return text

    # --- writing ------------------------------------------------------------------------------

    def start(
        self,
        kind: str,
        *,
        app_id: str | None = None,
        hostname: str | None = None,
        user_id: int | None = None,
        parameters: Mapping[str, Any] | None = None,
        step: str | None = None,
        session: Session | None = None,
    ) -> int:
        """Record a new `running` operation owned by this process; returns its id.

        Pass `session` to write inside the caller's transaction instead of a new one.
        """
        fields: dict[str, Any] = {
            "app_id": app_id, "hostname": hostname, "user_id": user_id,
            "parameters": self.redact(dict(parameters or {})), "step": step,
            "pid": self.pid, "host": self.host,
        }  # fmt: skip
        if session is None:
            with self.db.raw_write() as conn:
                return journal_rows.add_operation(conn, self.db.codec, kind, **fields)
        op = repo.create_operation(session, kind, **fields)
        session.flush()
        return op.id

    def event(
        self,
        op_id: int,
        step: str | None,
        message: str,
        *,
        level: str = "info",
        kind: str = "log",
        progress: float | None = None,
        session: Session | None = None,
    ) -> None:
        """One step-log line. A `step_started` event also becomes the operation's current step."""
        item = {
            "step": step,
            "message": message,
            "level": level,
            "kind": kind,
            "progress": progress,
        }
        self.events(op_id, [item], session=session)

    def events(
        self,
        op_id: int,
        items: Iterable[Mapping[str, Any]],
        *,
        session: Session | None = None,
    ) -> int:
        """Several events in one transaction: mappings with step, message and optionally level,
        kind, progress, ts. Returns how many were written."""
        rows = self._rows(items)
        if session is None:
            with self.db.raw_write() as conn:
                return journal_rows.add_events(conn, self.db.codec, op_id, rows)
        count = repo.add_operation_events(session, op_id, rows)
        started = [r["step"] for r in rows if r.get("kind") == "step_started" and r.get("step")]
        if started:
            repo.set_operation_step(session, op_id, started[-1])
        session.flush()
        return count

    def _rows(self, items: Iterable[Mapping[str, Any]]) -> builtins.list[dict[str, Any]]:
        """Events as written: level checked, message masked and cut."""
        rows = []
        for item in items:
            level = item.get("level", "info")
            if level not in EVENT_LEVELS:
                raise ValueError(f"unknown event level {level!r}")
            row = dict(item)
            row["message"] = self._text(item.get("message", "")) or ""
            rows.append(row)
        return rows

    def finish(
        self,
        op_id: int,
        status: str,
        *,
        error: str | None = None,
        result: Mapping[str, Any] | None = None,
        step: str | None = None,
        events: Iterable[Mapping[str, Any]] = (),
        session: Session | None = None,
    ) -> bool:
        """Close a running operation. False (and nothing changed) if it was already finished,
        so that crash recovery never overwrites an outcome a live owner wrote. `events` (the
        operation's last ones, as `events()` takes them) are written in the same transaction,
        whatever the outcome."""
        if status not in FINISHED_STATUSES:
            raise ValueError(f"{status!r} is not a final status ({', '.join(FINISHED_STATUSES)})")
        error = self._text(error)
        events = self._rows(events)
        redacted = self.redact(dict(result)) if result is not None else None
        if session is None:
            with self.db.raw_write() as conn:
                done = journal_rows.finish(
                    conn, self.db.codec, op_id, status, error=error, result=redacted, step=step
                )
                if not done and not journal_rows.exists(conn, op_id):
                    raise NotFoundError("operation", op_id)
                journal_rows.add_events(conn, self.db.codec, op_id, events)
                return done
        op = session.get(Operation, op_id)
        if op is None:
            raise NotFoundError("operation", op_id)
        done = op.status == "running"
        if done:
            repo.finish_operation(session, op_id, status, error=error, result=redacted, step=step)
        repo.add_operation_events(session, op_id, events)
        session.flush()
        return done

    def save_state(self, op_id: int, state: Mapping[str, Any]) -> None:
        """Keep a running operation's resumable state (`result["state"]`), for crash recovery.

        Written before each risky action, so a later process knows what to undo."""
        with self.db.raw_write() as conn:
            self.save_state_in(conn, op_id, state)

    def save_state_in(self, conn: sqlite3.Connection, op_id: int, state: Mapping[str, Any]) -> None:
        """`save_state` inside a transaction the caller holds (`Database.raw_write`): the state
        commits, or not, with the caller's own write (`OperationContext.save_state_with`)."""
        if not journal_rows.set_state(conn, self.db.codec, op_id, self.redact(dict(state))):
            raise NotFoundError("operation", op_id)

    # --- reading ------------------------------------------------------------------------------

    def list(
        self,
        *,
        limit: int | None = 50,
        kind: str | None = None,
        status: str | Iterable[str] | None = None,
        app_id: str | None = None,
        before_id: int | None = None,
    ) -> list[OperationRecord]:
        """Operations newest first, without their events."""
        with self.db.session(readonly=True) as s:
            ops = repo.list_operations(
                s, limit=limit, kind=kind, status=status, app_id=app_id, before_id=before_id
            )
            return [_record(op) for op in ops]

    def get(self, op_id: int, *, events: bool = True) -> OperationRecord:
        """One operation with all its events (or none, for a quick look at its outcome)."""
        with self.db.session(readonly=True) as s:
            op = repo.get_operation(s, op_id, events=events)
            if op is None:
                raise NotFoundError("operation", op_id)
            return _record(op, op.events if events else ())

    def events_after(self, op_id: int, after_id: int | None = None) -> builtins.list[EventRecord]:
        """The events newer than `after_id` (for a screen that tails a running operation)."""
        with self.db.session(readonly=True) as s:
            return [_event(e) for e in repo.list_operation_events(s, op_id, after_id=after_id)]

    def running(self) -> builtins.list[OperationRecord]:
        with self.db.session(readonly=True) as s:
            return [_record(op) for op in repo.running_operations(s)]

    def claim(self, op_id: int, dead_pid: int | None) -> bool:
        """Take over a running operation of a dead process, so that this process alone resolves
        it (two commands started at once after a crash both see it orphaned). One UPDATE that
        only matches while the dead owner still holds it: False when another process won."""
        with self.db.session() as s:
            done = s.execute(
                update(Operation)
                .where(
                    Operation.id == op_id,
                    Operation.status == "running",
                    Operation.pid == dead_pid,
                )
                .values(pid=self.pid, host=self.host)
            )
            return repo.rowcount(done) == 1

    def orphaned(self) -> builtins.list[OperationRecord]:
        """Running operations whose owner process is gone (recorded on this host, pid not alive).

        Operations owned by another host are never reported: we cannot see its processes.
        """
        return [
            op
            for op in self.running()
            if op.host == self.host and op.pid is not None and not _alive(op.pid)
        ]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.isoformat()


def _event(e: OperationEvent) -> EventRecord:
    return EventRecord(
        id=e.id,
        operation_id=e.operation_id,
        ts=e.ts,
        step=e.step,
        level=e.level,
        kind=e.kind,
        message=e.message,
        progress=e.progress,
    )


def _record(op: Operation, events: Iterable[OperationEvent] = ()) -> OperationRecord:
    return OperationRecord(
        id=op.id,
        kind=op.kind,
        app_id=op.app_id,
        hostname=op.hostname,
        user_id=op.user_id,
        username=op.user.username if op.user is not None else None,
        parameters=dict(op.parameters or {}),
        status=op.status,
        step=op.step,
        started_at=op.started_at,
        finished_at=op.finished_at,
        error=op.error,
        result=dict(op.result) if op.result is not None else None,
        pid=op.pid,
        host=op.host,
        events=tuple(_event(e) for e in events),
    )
