"""Query functions the services use. Each takes an open `Session` (from `Database.session()`),
so a caller can group several in one transaction; none of them commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, exists, func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from proximity_tui.errors import NotFoundError
from proximity_tui.store.models import (
    FINISHED_STATUSES,
    ROLES,
    App,
    Backup,
    Operation,
    OperationEvent,
    Setting,
    User,
    utcnow,
)

# --- apps ---------------------------------------------------------------------------------------


def get_app(s: Session, app_id: str) -> App | None:
    return s.get(App, app_id)


def get_app_by_hostname(s: Session, hostname: str) -> App | None:
    return s.scalars(select(App).where(App.hostname == hostname)).first()


def get_app_by_lxc_id(s: Session, lxc_id: int) -> App | None:
    return s.scalars(select(App).where(App.lxc_id == lxc_id)).first()


def list_apps(
    s: Session,
    *,
    status: str | Iterable[str] | None = None,
    node: str | None = None,
    owner_id: int | None = None,
) -> list[App]:
    """Apps ordered by hostname; `status` may be one status or several."""
    query = select(App).order_by(App.hostname)
    if status is not None:
        statuses = [status] if isinstance(status, str) else list(status)
        query = query.where(App.status.in_(statuses))
    if node is not None:
        query = query.where(App.node == node)
    if owner_id is not None:
        query = query.where(App.owner_id == owner_id)
    return list(s.scalars(query))


def hostname_taken(s: Session, hostname: str, *, exclude_app_id: str | None = None) -> bool:
    query = select(App.id).where(App.hostname == hostname)
    if exclude_app_id is not None:
        query = query.where(App.id != exclude_app_id)
    return bool(s.scalar(select(exists(query))))


def vmid_taken(s: Session, vmid: int, *, exclude_app_id: str | None = None) -> bool:
    query = select(App.id).where(App.lxc_id == vmid)
    if exclude_app_id is not None:
        query = query.where(App.id != exclude_app_id)
    return bool(s.scalar(select(exists(query))))


def new_app_conflict(s: Session, row: dict[str, Any], held: dict[str, str]) -> str | None:
    """Why an app row rebuilt elsewhere (adopted, imported) cannot go in as it is: its id,
    hostname or vmid is another row's, or its static address (`held`: address -> app id) is
    held; None when it can."""
    if get_app(s, row["id"]) is not None:
        return f"the app {row['id']} exists"
    if hostname_taken(s, row["hostname"]):
        return f"hostname {row['hostname']!r} is another app's"
    if vmid_taken(s, row["lxc_id"]):
        return f"CT {row['lxc_id']} is another app's"
    address = ((row.get("config") or {}).get("network") or {}).get("address")
    if address and str(address) in held:
        return f"address {address} is held by {held[str(address)]}"
    return None


def add_app(s: Session, **fields: Any) -> App:
    """Insert an app and flush, so that a taken hostname, lxc_id or id fails here (ConflictError
    when it leaves `Database.session()`)."""
    app = App(**fields)
    s.add(app)
    s.flush()
    return app


def set_app_status(s: Session, app_id: str, status: str, *, reason: str | None = None) -> App:
    """Change an app's status; `reason` (why it is `error`, say) is kept in `config`."""
    app = s.get(App, app_id)
    if app is None:
        raise NotFoundError("app", app_id)
    app.status = status
    config = dict(app.config or {})
    if reason is None:
        config.pop("status_reason", None)
    else:
        config["status_reason"] = reason
    app.config = config  # a new dict: plain JSON columns do not track in-place changes
    s.flush()
    return app


def delete_app(s: Session, app_id: str) -> bool:
    """Delete an app (its backups go with it); False when it was not there."""
    return bool(rowcount(s.execute(delete(App).where(App.id == app_id))))


# --- users --------------------------------------------------------------------------------------


def get_user(s: Session, user_id: int) -> User | None:
    return s.get(User, user_id)


def get_user_by_username(s: Session, username: str) -> User | None:
    return s.scalars(select(User).where(User.username == username)).first()


def list_users(s: Session) -> list[User]:
    return list(s.scalars(select(User).order_by(User.id)))


def first_admin(s: Session) -> User | None:
    query = select(User).where(User.role == "admin", User.is_active).order_by(User.id).limit(1)
    return s.scalars(query).first()


def get_or_create_user(s: Session, username: str, *, default_role: str = "viewer") -> User:
    """The user with this name, created if new: the first user ever is admin, anyone else a
    viewer until an admin grants a role.

    Call it in a write session (`Database.session()` holds the write lock from the start, so two
    processes cannot both become the first user).
    """
    if default_role not in ROLES:
        raise ValueError(f"unknown role {default_role!r}")
    user = get_user_by_username(s, username)
    if user is not None:
        return user
    anyone = s.scalar(select(exists(select(User.id))))
    user = User(username=username, role=default_role if anyone else "admin")
    s.add(user)
    s.flush()
    return user


# --- operations ---------------------------------------------------------------------------------


def create_operation(
    s: Session,
    kind: str,
    *,
    app_id: str | None = None,
    hostname: str | None = None,
    user_id: int | None = None,
    parameters: Mapping[str, Any] | None = None,
    status: str = "running",
    step: str | None = None,
    pid: int | None = None,
    host: str | None = None,
) -> Operation:
    op = Operation(
        kind=kind,
        app_id=app_id,
        hostname=hostname,
        user_id=user_id,
        parameters=dict(parameters or {}),
        status=status,
        step=step,
        pid=pid,
        host=host,
        started_at=utcnow(),
    )
    if status in FINISHED_STATUSES:
        op.finished_at = op.started_at
    s.add(op)
    s.flush()
    return op


def add_operation_events(s: Session, operation_id: int, events: Iterable[Mapping[str, Any]]) -> int:
    """Insert events in one executemany. Each mapping: step, message, and optionally level,
    kind, progress, ts. Returns how many were written."""
    now = utcnow()
    rows = [
        {
            "operation_id": operation_id,
            "ts": e.get("ts") or now,
            "step": e.get("step"),
            "level": e.get("level", "info"),
            "kind": e.get("kind", "log"),
            "message": e.get("message", ""),
            "progress": e.get("progress"),
        }
        for e in events
    ]
    if rows:
        s.execute(insert(OperationEvent), rows)
    return len(rows)


def finish_operation(
    s: Session,
    operation_id: int,
    status: str,
    *,
    error: str | None = None,
    result: Mapping[str, Any] | None = None,
    step: str | None = None,
    finished_at: datetime | None = None,
) -> Operation:
    op = s.get(Operation, operation_id)
    if op is None:
        raise NotFoundError("operation", operation_id)
    op.status = status
    op.finished_at = finished_at or utcnow()
    if error is not None:
        op.error = error
    if result is not None:
        op.result = dict(result)
    if step is not None:
        op.step = step
    s.flush()
    return op


def set_operation_step(s: Session, operation_id: int, step: str) -> None:
    # One UPDATE: loading the operation (and its user) per step would cost more than the write.
    s.execute(update(Operation).where(Operation.id == operation_id).values(step=step))


def list_operations(
    s: Session,
    *,
    limit: int | None = 50,
    kind: str | None = None,
    status: str | Iterable[str] | None = None,
    app_id: str | None = None,
    before_id: int | None = None,
) -> list[Operation]:
    """Newest first; `before_id` pages further back."""
    query = select(Operation).order_by(Operation.id.desc())
    if kind is not None:
        query = query.where(Operation.kind == kind)
    if status is not None:
        statuses = [status] if isinstance(status, str) else list(status)
        query = query.where(Operation.status.in_(statuses))
    if app_id is not None:
        query = query.where(Operation.app_id == app_id)
    if before_id is not None:
        query = query.where(Operation.id < before_id)
    if limit is not None:
        query = query.limit(limit)
    return list(s.scalars(query))


def get_operation(s: Session, operation_id: int, *, events: bool = True) -> Operation | None:
    """One operation, with its events loaded (in order) unless `events=False`."""
    query = select(Operation).where(Operation.id == operation_id)
    if events:
        query = query.options(selectinload(Operation.events))
    return s.scalars(query).first()


def list_operation_events(
    s: Session, operation_id: int, *, after_id: int | None = None
) -> list[OperationEvent]:
    """Events of one operation in order; `after_id` gives only the newer ones (live tail)."""
    query = (
        select(OperationEvent)
        .where(OperationEvent.operation_id == operation_id)
        .order_by(OperationEvent.id)
    )
    if after_id is not None:
        query = query.where(OperationEvent.id > after_id)
    return list(s.scalars(query))


def running_operations(s: Session) -> list[Operation]:
    query = select(Operation).where(Operation.status == "running").order_by(Operation.id)
    return list(s.scalars(query))


def count_operations(s: Session) -> int:
    return int(s.scalar(select(func.count(Operation.id))) or 0)


# --- backups ------------------------------------------------------------------------------------


def add_backup(
    s: Session,
    *,
    app_id: str,
    volid: str,
    storage: str,
    node: str,
    vmid: int,
    size: int | None = None,
    status: str = "available",
    notes: str | None = None,
    created_at: datetime | None = None,
) -> Backup:
    backup = Backup(
        app_id=app_id,
        volid=volid,
        storage=storage,
        node=node,
        vmid=vmid,
        size=size,
        status=status,
        notes=notes,
        created_at=created_at or utcnow(),
    )
    s.add(backup)
    s.flush()
    return backup


def list_backups(s: Session, *, app_id: str | None = None) -> list[Backup]:
    """Newest first."""
    query = select(Backup).order_by(Backup.created_at.desc(), Backup.id.desc())
    if app_id is not None:
        query = query.where(Backup.app_id == app_id)
    return list(s.scalars(query))


def get_backup(s: Session, backup_id: int) -> Backup | None:
    return s.get(Backup, backup_id)


def get_backup_by_volid(s: Session, volid: str) -> Backup | None:
    return s.scalars(select(Backup).where(Backup.volid == volid)).first()


def delete_backup(s: Session, backup_id: int) -> bool:
    return bool(rowcount(s.execute(delete(Backup).where(Backup.id == backup_id))))


# --- settings -----------------------------------------------------------------------------------


def get_setting(s: Session, key: str, default: Any = None) -> Any:
    row = s.get(Setting, key)
    return default if row is None else row.value


def set_setting(s: Session, key: str, value: Any) -> None:
    row = s.get(Setting, key)
    if row is None:
        s.add(Setting(key=key, value=value))
    else:
        row.value = value
        row.updated_at = utcnow()
    s.flush()


def rowcount(result: object) -> int:
    """Rows a DELETE or UPDATE matched (its result is a CursorResult; the stubs say Result)."""
    return cast("CursorResult[Any]", result).rowcount
