"""Import the original Proximity's `apps.json` into SQLite (`proximity-tui migrate`).

Idempotent upsert by id, in one transaction: existing rows are read once and compared in memory,
then written with one bulk UPDATE and one bulk INSERT (updates first, since one may free a
hostname or vmid that a later entry takes). A file that cannot be used at all is refused before
anything is touched; `dry_run` reads the database without writing any file.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, create_engine, exc, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from proximity_tui.errors import ProximityError, StoreError
from proximity_tui.files import write_private
from proximity_tui.services.journal import Journal
from proximity_tui.services.migration.adoption import Adoption
from proximity_tui.services.migration.reader import (
    Invalid,
    parse_entries,
    read_source,
    validate_entry,
)
from proximity_tui.services.users import os_username, require_change, user_info
from proximity_tui.store import repositories as repo
from proximity_tui.store.db import Database, sqlite_uri
from proximity_tui.store.models import App, utcnow

#: Columns compared to decide between updated and unchanged.
COMPARED = (
    "catalog_id", "name", "hostname", "status", "url", "lxc_id", "node",
    "created_at", "updated_at", "config", "ports", "volumes", "environment", "owner_id",
)  # fmt: skip
#: Skipped entries beyond this many are summed up in one journal event, not one each.
MAX_JOURNAL_SKIPS = 100
#: Stands for "the owner a real run would set" during a dry run (never written).
_WOULD_BE_OWNER = -1


@dataclass
class EntryOutcome:
    entry: int  # position in the file, from 1
    id: str | None
    hostname: str | None
    outcome: str  # created | updated | unchanged | skipped | error
    reason: str | None = None

    def line(self) -> str:
        name = self.id if self.outcome != "skipped" else f"id {self.id!r}" if self.id else "-"
        text = f"{self.outcome:<9} #{self.entry} {name}"
        if self.hostname and self.outcome != "skipped":
            text += f" ({self.hostname})"
        return f"{text}: {self.reason}" if self.reason else text


@dataclass
class MigrationReport:
    source: Path
    database: Path
    dry_run: bool
    entries: list[EntryOutcome] = field(default_factory=list)
    database_backup: Path | None = None
    source_backup: Path | None = None
    operation_id: int | None = None
    #: Why nothing was written, when the write transaction failed.
    error: str | None = None
    #: Proxmox was not asked about the containers (`--adopt-untagged`).
    unchecked: bool = False

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(("created", "updated", "unchanged", "skipped", "errors"), 0)
        for e in self.entries:
            out["errors" if e.outcome == "error" else e.outcome] += 1
        return {"total": len(self.entries), **out}

    @property
    def exit_code(self) -> int:
        """0: every entry created, updated or unchanged; 1: some skipped or the write failed."""
        counts = self.counts()
        return 1 if self.error or counts["skipped"] or counts["errors"] else 0

    def summary_lines(self) -> list[str]:
        lines = [f"{k.capitalize() + ':':<10} {v}" for k, v in self.counts().items()]
        if self.database_backup:
            lines.append(f"Database backed up to {self.database_backup}")
        if self.source_backup:
            lines.append(f"{self.source.name} copied to {self.source_backup}")
        if self.unchecked:
            lines.append("Containers not checked: adopted whatever their tags (--adopt-untagged).")
        if self.dry_run:
            lines.append("Dry run: nothing was written.")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "database": str(self.database),
            "dry_run": self.dry_run,
            "summary": self.counts(),
            "entries": [e.__dict__ for e in self.entries],
            "database_backup": str(self.database_backup) if self.database_backup else None,
            "source_backup": str(self.source_backup) if self.source_backup else None,
            "operation_id": self.operation_id,
            "error": self.error,
            "containers_checked": not self.unchecked,
        }


@dataclass
class _Plan:
    outcomes: list[EntryOutcome]
    inserts: list[dict[str, Any]]
    updates: list[dict[str, Any]]


def migrate_file(
    db_path: str | Path,
    source: str | Path,
    *,
    dry_run: bool = False,
    read_only: bool = False,
    username: str | None = None,
    now: datetime | None = None,
    adoption: Adoption | None = None,
) -> MigrationReport:
    """Migrate `source` into the database at `db_path` (created if needed, unless dry run).

    `adoption` holds the cluster's containers: an entry whose CT is there but untagged is
    skipped unless it says `adopt_untagged` (see `adoption.py`); without it nothing was checked
    and every new or changed entry is skipped.
    Raises ValidationError (exit 2) when the file cannot be used at all, before anything is
    touched; otherwise returns the report (whose `error` says why nothing was written, if so).
    """
    db_path, source = Path(db_path).expanduser().absolute(), Path(source).expanduser()
    raw = read_source(source)
    checked = [_check(i, entry) for i, entry in enumerate(parse_entries(raw, source), 1)]
    now = now or utcnow()
    adoption = adoption or Adoption()
    unchecked = adoption.containers is None and adoption.adopt_untagged
    report = MigrationReport(source=source, database=db_path, dry_run=dry_run, unchecked=unchecked)
    if dry_run:
        existing = _read_existing_readonly(db_path)
        report.entries = _plan(checked, existing, _WOULD_BE_OWNER, now, adoption).outcomes
        return report
    require_change(None, "migrate apps", read_only=read_only)  # before any file is touched
    existed = db_path.exists() and db_path.stat().st_size > 0
    with Database.open(db_path) as db:
        _run(db, report, checked, raw, adoption, existed=existed, username=username, now=now)
    return report


def _check(index: int, entry: Any) -> tuple[int, dict[str, Any] | EntryOutcome]:
    try:
        return index, validate_entry(entry)
    except Invalid as why:
        app_id = entry.get("id") if isinstance(entry, dict) else None
        shown = app_id if isinstance(app_id, str) and len(app_id) <= 80 else None
        return index, EntryOutcome(index, shown, None, "skipped", str(why))


def _run(
    db: Database,
    report: MigrationReport,
    checked: list[tuple[int, dict[str, Any] | EntryOutcome]],
    raw: bytes,
    adoption: Adoption,
    *,
    existed: bool,
    username: str | None,
    now: datetime,
) -> None:
    journal = Journal(db)
    plan: _Plan | None = None
    try:
        with db.session() as s:
            actor = repo.get_or_create_user(s, username or os_username())
            require_change(user_info(actor), "migrate apps")
            owner = repo.first_admin(s) or actor
            plan = _plan(checked, _load_existing(s.connection()), owner.id, now, adoption)
            if existed and (plan.inserts or plan.updates):  # a rerun that changes no app: no copy
                report.database_backup = _backup_database(db, now)
            _write(s, plan)
            report.entries = plan.outcomes
            report.source_backup = report.source.with_name(report.source.name + ".backup")
            report.operation_id = _journal(journal, s, report, actor.id)
            _copy_source(raw, report.source_backup)
    except ProximityError as error:
        if plan is None:
            raise  # refused before planning (permission, lock): nothing to report per entry
        _mark_failed(report, plan, str(error))
        report.operation_id = _journal_failure(journal, report)


def _plan(
    checked: list[tuple[int, dict[str, Any] | EntryOutcome]],
    existing: dict[str, dict[str, Any]],
    owner_id: int,
    now: datetime,
    adoption: Adoption,
) -> _Plan:
    """Decide each entry's outcome, in file order, against the rows already stored."""
    hostnames = {row["hostname"]: app_id for app_id, row in existing.items()}
    vmids = {row["lxc_id"]: app_id for app_id, row in existing.items()}
    seen: dict[str, int] = {}
    plan = _Plan([], [], [])
    for index, row in checked:
        if isinstance(row, EntryOutcome):
            plan.outcomes.append(row)
            continue
        app_id, hostname, vmid = row["id"], row["hostname"], row["lxc_id"]

        def skip(reason: str, index: int = index, app_id: str = app_id) -> None:
            plan.outcomes.append(EntryOutcome(index, app_id, None, "skipped", reason))

        if app_id in seen:
            skip(f"duplicate id (entry #{seen[app_id]} has it)")
            continue
        if hostnames.get(hostname, app_id) != app_id:
            skip(f"conflict: hostname {hostname!r} belongs to app {hostnames[hostname]!r}")
            continue
        if vmids.get(vmid, app_id) != app_id:
            skip(f"conflict: lxc_id {vmid} belongs to app {vmids[vmid]!r}")
            continue
        old = existing.get(app_id)
        # A new entry, or one now pointing at another CT: may it have that one?
        moved = old is None or old["lxc_id"] != vmid or old["hostname"] != hostname
        if moved and (refusal := adoption.refusal(vmid, hostname)):
            skip(refusal)
            continue
        row["node"] = adoption.node(vmid, row["node"])
        seen[app_id] = index
        if old is None:
            row["created_at"] = row["created_at"] or now
            row["updated_at"] = row["updated_at"] or now
            row["owner_id"] = owner_id
            plan.inserts.append(row)
            outcome = "created"
        else:
            # A missing timestamp keeps the stored one, so that a rerun finds nothing changed.
            row["created_at"] = row["created_at"] or old["created_at"]
            row["updated_at"] = row["updated_at"] or old["updated_at"]
            row["owner_id"] = old["owner_id"] if old["owner_id"] is not None else owner_id
            if all(row[k] == old[k] for k in COMPARED):
                outcome = "unchanged"
            else:
                plan.updates.append(row)
                outcome = "updated"
                hostnames.pop(old["hostname"], None)
                vmids.pop(old["lxc_id"], None)
        hostnames[hostname] = app_id
        vmids[vmid] = app_id
        note = adoption.note(vmid) if outcome != "unchanged" else None
        plan.outcomes.append(EntryOutcome(index, app_id, hostname, outcome, note))
    return plan


def _write(s: Session, plan: _Plan) -> None:
    """Core executemany, updates first (one may free a hostname that a new entry takes)."""
    table = cast("Table", App.__table__)  # a mapped class's table (typed as a FromClause)
    if plan.updates:
        by_id = update(table).where(table.c.id == bindparam("b_id"))
        rows = [
            {"b_id": r["id"], **{k: v for k, v in r.items() if k != "id"}} for r in plan.updates
        ]
        s.execute(by_id, rows)
    if plan.inserts:
        s.execute(insert(table), plan.inserts)


def _load_existing(conn: Connection) -> dict[str, dict[str, Any]]:
    columns = App.__table__.columns
    return {row.id: row._asdict() for row in conn.execute(select(*columns))}


def _read_existing_readonly(path: Path) -> dict[str, dict[str, Any]]:
    """The stored apps, read without creating, upgrading or touching any file (dry run)."""
    if not path.exists() or path.stat().st_size == 0:
        return {}
    # With no -wal file, everything is in the main file and `immutable` reads it without
    # creating -wal/-shm; a present -wal means another process has it open: read through it.
    query = "mode=ro" if path.with_name(path.name + "-wal").exists() else "immutable=1"
    uri = sqlite_uri(path, query)
    engine = create_engine(
        "sqlite+pysqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=NullPool
    )
    try:
        with engine.connect() as conn:
            found = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'apps'"
            ).first()
            return _load_existing(conn) if found else {}
    except exc.DBAPIError as error:
        raise StoreError(f"cannot read database {path}: {error.orig}", exit_code=2) from error
    finally:
        engine.dispose()


def _backup_database(db: Database, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    dest = db.path.with_name(f"{db.path.name}.pre-migration-{stamp}")
    n = 1
    while dest.exists():
        n += 1
        dest = db.path.with_name(f"{db.path.name}.pre-migration-{stamp}-{n}")
    try:
        return db.backup(dest)
    except (OSError, sqlite3.Error) as error:
        raise StoreError(f"cannot back up the database to {dest}: {error}") from error


def _copy_source(raw: bytes, dest: Path) -> None:
    """The migrated bytes, mode 0600 (apps.json may hold app passwords); skipped if identical."""
    try:
        if dest.is_file() and not dest.is_symlink() and dest.read_bytes() == raw:
            return
        write_private(dest, raw)  # never through a link, never keeping a loose mode
    except OSError as error:
        raise StoreError(f"cannot copy the source to {dest}: {error.strerror or error}") from error


def _journal(journal: Journal, s: Session, report: MigrationReport, user_id: int) -> int:
    """Record the run inside its own transaction: it is journaled exactly when it is applied."""
    op_id = journal.start(
        "migrate",
        user_id=user_id,
        parameters={"source": str(report.source), "database": str(report.database)},
        step="import",
        session=s,
    )
    skipped = [e for e in report.entries if e.outcome == "skipped"]
    events = [
        {"step": "validate", "level": "warning", "kind": "log", "message": e.line()}
        for e in skipped[:MAX_JOURNAL_SKIPS]
    ]
    if len(skipped) > MAX_JOURNAL_SKIPS:
        more = len(skipped) - MAX_JOURNAL_SKIPS
        events.append({"step": "validate", "level": "warning", "message": f"{more} more skipped"})
    counts = report.counts()
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    events.append({"step": "import", "kind": "step_finished", "message": summary})
    journal.events(op_id, events, session=s)
    result: dict[str, Any] = {
        **counts,
        "database_backup": str(report.database_backup) if report.database_backup else None,
        "source_backup": str(report.source_backup) if report.source_backup else None,
    }
    journal.finish(op_id, "succeeded", result=result, session=s)
    return op_id


def _mark_failed(report: MigrationReport, plan: _Plan, error: str) -> None:
    """The transaction rolled back: what was to be written was not."""
    report.error = f"nothing was written: {error}"
    report.source_backup = None
    report.entries = [
        EntryOutcome(e.entry, e.id, e.hostname, "error", error)
        if e.outcome in ("created", "updated")
        else e
        for e in plan.outcomes
    ]


def _journal_failure(journal: Journal, report: MigrationReport) -> int | None:
    try:
        op_id = journal.start("migrate", parameters={"source": str(report.source)})
        result = report.counts()
        journal.finish(op_id, "failed", error=report.error, result=result, step="import")
        return op_id
    except ProximityError:  # the database itself is failing: the report still says why
        return None
