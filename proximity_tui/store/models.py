"""The SQLite schema as SQLAlchemy 2.x typed ORM classes (DESIGN.md, "Data model").

Every change here needs an Alembic revision in `migrations/versions/` (a test compares the two).
Times are timezone-aware UTC in Python and stored as naive UTC text, which `sqlite3` reads plainly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Statuses of an app. The original Proximity used the first six; `missing` is ours (its
#: container vanished from Proxmox).
APP_STATUSES = ("deploying", "running", "stopped", "error", "updating", "removing", "missing")
ROLES = ("admin", "operator", "viewer")
OPERATION_STATUSES = ("running", "succeeded", "failed", "rolled_back", "interrupted")
FINISHED_STATUSES = OPERATION_STATUSES[1:]
EVENT_LEVELS = ("info", "warning", "error")
#: Usual event kinds; the column is free text so that new kinds need no schema change.
EVENT_KINDS = ("step_started", "log", "progress", "step_finished", "failed", "rolled_back", "note")
BACKUP_STATUSES = ("creating", "available", "failed", "deleting")

# Stable constraint names, so that later batch migrations on SQLite can find them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python; naive UTC in SQLite (which has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # naive means UTC here, as the original Proximity wrote it
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(255), unique=True)
    role: Mapped[str] = mapped_column(String(20), default="operator")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"User({self.id}, {self.username!r}, {self.role})"


class App(Base):
    """An app Proximity deployed: the original project's `apps` schema, column for column.

    Anything else the services need (resources, status reason, compose path, ...) goes in `config`.
    """

    __tablename__ = "apps"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    catalog_id: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(255))
    hostname: Mapped[str] = mapped_column(String(255), unique=True, index=True)
    status: Mapped[str] = mapped_column(String(50), index=True)
    url: Mapped[str | None] = mapped_column(String(512))
    lxc_id: Mapped[int] = mapped_column(Integer, unique=True, index=True)
    node: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ports: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    volumes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    environment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    owner: Mapped[User | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"App({self.id!r}, {self.hostname!r}, {self.status}, vmid {self.lxc_id})"


class Operation(Base):
    """One state-changing action: the deploy history and the audit journal.

    `app_id` has no foreign key on purpose: the record outlives the app it acted on.
    `pid` and `host` name the process that runs it, so a later process can tell whether a
    `running` operation lost its owner (crash recovery).
    """

    __tablename__ = "operations"
    __table_args__ = (
        CheckConstraint(_in("status", OPERATION_STATUSES), name="status"),
        {"sqlite_autoincrement": True},  # ids are never reused: the journal is an audit trail
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(50))
    app_id: Mapped[str | None] = mapped_column(String(255), index=True)
    hostname: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), index=True, default="running")
    step: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User | None] = relationship(lazy="joined")
    events: Mapped[list[OperationEvent]] = relationship(
        back_populates="operation",
        order_by="OperationEvent.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"Operation({self.id}, {self.kind}, {self.status})"


class OperationEvent(Base):
    __tablename__ = "operation_events"
    __table_args__ = (CheckConstraint(_in("level", EVENT_LEVELS), name="level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    ts: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    step: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10), default="info")
    kind: Mapped[str] = mapped_column(String(30), default="log")
    message: Mapped[str] = mapped_column(Text, default="")
    progress: Mapped[float | None] = mapped_column(Float)

    operation: Mapped[Operation] = relationship(back_populates="events")


class Backup(Base):
    __tablename__ = "backups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    volid: Mapped[str] = mapped_column(String(512), unique=True)
    storage: Mapped[str] = mapped_column(String(100))
    node: Mapped[str] = mapped_column(String(100))
    vmid: Mapped[int] = mapped_column(Integer)
    size: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="available")
    notes: Mapped[str | None] = mapped_column(Text)


class Address(Base):
    """A static address held by an app (deleted with it: a deleted app frees its address)."""

    __tablename__ = "addresses"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Setting(Base):
    """Key/value pairs the UI changes at run time."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
