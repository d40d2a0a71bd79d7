"""The service layer's view of the `apps` table: async, transactional, returning `AppView`s.

Every method runs its SQL in a worker thread (`asyncio.to_thread`), so the service loop never
waits on SQLite, and each is one transaction. The `apps` schema is the original project's; what
else an app needs (resources, template, status reason, the web port) lives in its `config` JSON.
"""

from __future__ import annotations

import asyncio
import builtins
import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select, update

from proximity_tui.errors import ConflictError, NotFoundError
from proximity_tui.secret_names import with_secret_names
from proximity_tui.service_views import BackupView
from proximity_tui.store import app_rows
from proximity_tui.store import repositories as repo
from proximity_tui.store.db import Database
from proximity_tui.store.models import Address, App, Backup, utcnow
from proximity_tui.views import AppView

MASK = "********"
#: Another write made inside a records method's transaction (it commits with the row or not).
RowWrite = Callable[[sqlite3.Connection], None]


def to_view(app: App) -> AppView:
    return _view(app, app.owner.username if app.owner is not None else None)


def _row_view(row: dict[str, Any]) -> AppView:
    """A plain read's row (`app_rows.get`) as the services show it."""
    return _view(SimpleNamespace(**row), row["owner"])


def _view(app: App | SimpleNamespace, owner: str | None) -> AppView:
    """An app row (the ORM's, or a plain read's columns as attributes) as the services show it."""
    config = dict(app.config or {})
    secrets = tuple(config.get("secret_names") or ())
    env = {k: (MASK if k in secrets else str(v)) for k, v in (app.environment or {}).items()}
    return AppView(
        id=app.id,
        catalog_id=app.catalog_id,
        name=app.name,
        hostname=app.hostname,
        status=app.status,
        node=app.node,
        vmid=app.lxc_id,
        url=app.url,
        owner=owner,
        created_at=app.created_at,
        updated_at=app.updated_at,
        ports=dict(app.ports or {}),
        volumes=list(app.volumes or []),
        environment=env,
        secret_names=secrets,
        config=config,
        reason=config.get("status_reason"),
    )


def backup_view(b: Backup) -> BackupView:
    return BackupView(
        id=b.id,
        app_id=b.app_id,
        volid=b.volid,
        storage=b.storage,
        node=b.node,
        vmid=b.vmid,
        size=b.size or 0,
        created_at=b.created_at,
        status=b.status,
        notes=b.notes,
    )


class AppRecords:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- reading ---

    def _list(self) -> list[AppView]:
        with self.db.session(readonly=True) as s:
            return [to_view(a) for a in repo.list_apps(s)]

    async def list(self) -> list[AppView]:
        return await asyncio.to_thread(self._list)

    def _get(self, app_id: str) -> AppView:
        # Plain SQL (`app_rows.get`): a deploy ends by reading its app, and an ORM session
        # costs about a millisecond around this one-row read.
        with self.db.raw_read() as conn:
            row = app_rows.get(conn, self.db.codec, app_id)
        if row is None:
            raise NotFoundError("app", app_id)
        return _row_view(row)

    async def get(self, app_id: str) -> AppView:
        return await asyncio.to_thread(self._get, app_id)

    async def find(self, key: str) -> AppView:
        """An app by id, hostname or vmid (what a user types on the command line)."""

        def work() -> AppView:
            with self.db.session(readonly=True) as s:
                app = repo.get_app(s, key) or repo.get_app_by_hostname(s, key.lower())
                if app is None and key.isdigit():
                    app = repo.get_app_by_lxc_id(s, int(key))
                if app is None:
                    raise NotFoundError("app", key)
                return to_view(app)

        return await asyncio.to_thread(work)

    async def hostname_taken(self, hostname: str) -> bool:
        return await asyncio.to_thread(self.hostname_in_use, hostname)

    def hostname_in_use(self, hostname: str) -> bool:
        """`hostname_taken`, synchronously: for a caller already in a worker thread."""
        with self.db.raw_read() as conn:
            return app_rows.hostname_taken(conn, hostname)

    async def secret(self, app_id: str, name: str) -> str:
        def work() -> str:
            with self.db.session(readonly=True) as s:
                app = repo.get_app(s, app_id)
                if app is None:
                    raise NotFoundError("app", app_id)
                env = app.environment or {}
                if name not in env:
                    raise NotFoundError("variable", name)
                return str(env[name])

        return await asyncio.to_thread(work)

    async def environment(self, app_id: str) -> dict[str, str]:
        """The full environment, secrets included (for writing `.env` again, never for display)."""

        def work() -> dict[str, str]:
            with self.db.session(readonly=True) as s:
                app = repo.get_app(s, app_id)
                if app is None:
                    raise NotFoundError("app", app_id)
                return {k: str(v) for k, v in (app.environment or {}).items()}

        return await asyncio.to_thread(work)

    async def secret_values(self, app_id: str) -> builtins.list[str]:
        """The values of the app's secret variables (none when there is no such app)."""
        return await asyncio.to_thread(self.stored_secrets, [app_id])

    def stored_secrets(self, app_ids: Iterable[str]) -> builtins.list[str]:
        """`secret_values` of several apps, synchronously: for a caller already in a worker
        thread (`Operations.begin` reads them where it writes the operation's row)."""
        out: list[str] = []
        for app_id in app_ids:
            with self.db.raw_read() as conn:
                found = app_rows.config_and_environment(conn, app_id)
            if found is not None:
                config, env = found
                out += [str(env[n]) for n in config.get("secret_names") or () if env.get(n)]
        return out

    async def vmids_from(self, vmid: int) -> set[int]:
        """Every vmid an app row holds, from `vmid` up."""

        def work() -> set[int]:
            with self.db.session(readonly=True) as s:
                return set(s.scalars(select(App.lxc_id).where(App.lxc_id >= vmid)))

        return await asyncio.to_thread(work)

    # --- writing ---

    async def reserve(self, *, also: RowWrite | None = None, **fields: Any) -> None:
        """Insert the app row; its unique hostname and lxc_id make concurrent deploys safe.
        `also` writes in the same transaction (the operation's saved state).

        Raises `ConflictError` saying which of the two is taken."""

        def work() -> None:
            with self.db.raw_write() as conn:
                if app_rows.hostname_taken(conn, fields["hostname"]):
                    raise ConflictError(f"hostname {fields['hostname']!r} is already taken")
                if app_rows.vmid_taken(conn, fields["lxc_id"]):
                    raise VmidTaken(fields["lxc_id"])
                app_rows.add_app(conn, self.db.codec, fields)
                if also is not None:
                    also(conn)

        try:
            await asyncio.to_thread(work)
        except ConflictError as exc:
            if isinstance(exc, VmidTaken):
                raise
            text = str(exc)
            if "lxc_id" in text:
                raise VmidTaken(fields["lxc_id"]) from None
            if "hostname" in text:
                raise ConflictError(f"hostname {fields['hostname']!r} is already taken") from None
            raise

    async def adopt(
        self, rows: Iterable[tuple[dict[str, Any], str]], *, fallback_owner: int | None
    ) -> tuple[builtins.list[str], builtins.list[tuple[str, str]]]:
        """Insert adopted rows (each with its owner's name) in one transaction, each checked
        against the database now: (adopted ids, [(id, why not)]). The owner is the user of that
        name when there is one, else `fallback_owner`; a static address is held for the app."""

        def work() -> tuple[list[str], list[tuple[str, str]]]:
            adopted: list[str] = []
            refused: list[tuple[str, str]] = []
            with self.db.session() as s:
                held = dict(s.execute(select(Address.address, Address.app_id)).all())
                for row, owner_name in rows:
                    why = repo.new_app_conflict(s, row, held)
                    if why:
                        refused.append((row["id"], why))
                        continue
                    owner = repo.get_user_by_username(s, owner_name) if owner_name else None
                    repo.add_app(s, **row, owner_id=owner.id if owner else fallback_owner)
                    network = row["config"].get("network") or {}
                    if network.get("mode") == "static" and network.get("address"):
                        s.add(Address(address=network["address"], app_id=row["id"]))
                        held[network["address"]] = row["id"]
                    adopted.append(row["id"])
            return adopted, refused

        return await asyncio.to_thread(work)

    async def change_vmid(self, app_id: str, old: int, new: int) -> None:
        """Move a reservation to another vmid (raises `VmidTaken` if a row holds `new`)."""

        def work() -> None:
            with self.db.session() as s:
                if repo.vmid_taken(s, new):
                    raise VmidTaken(new)
                app = repo.get_app(s, app_id)
                if app is None or app.lxc_id != old:
                    raise ConflictError(f"app {app_id} no longer holds vmid {old}")
                app.lxc_id = new

        try:
            await asyncio.to_thread(work)
        except ConflictError as exc:
            if not isinstance(exc, VmidTaken) and "lxc_id" in str(exc):
                raise VmidTaken(new) from None
            raise

    async def reserve_address(
        self, app_id: str, candidates: Iterable[str], *, wanted: str | None = None
    ) -> str:
        """Reserve `wanted`, or the first of `candidates` nobody holds, for the app (its row
        must exist). One write transaction: concurrent deploys, in any process, get distinct
        addresses (the address is the primary key). Freed when the app row is deleted."""

        def work() -> str:
            with self.db.session() as s:
                rows = s.execute(select(Address.address, Address.app_id)).all()
                held = {address: owner for address, owner in rows}
                if wanted is not None:
                    if wanted in held:
                        raise ConflictError(f"address {wanted} is already held by {held[wanted]}")
                    choice = wanted
                else:
                    free = next((a for a in candidates if a not in held), None)
                    if free is None:
                        raise ConflictError(
                            f"no free address left in [deploy] addresses ({len(held)} held): "
                            "widen the pool or delete an app"
                        )
                    choice = free
                s.add(Address(address=choice, app_id=app_id))
                return choice

        return await asyncio.to_thread(work)

    async def delete(self, app_id: str, *, vmid: int | None = None) -> bool:
        """Delete the row; with `vmid`, only if it is still the row holding that vmid (an undo
        must never remove a row another operation reserved under the same id)."""

        def work() -> bool:
            with self.db.session() as s:
                if vmid is not None:
                    app = repo.get_app(s, app_id)
                    if app is None or app.lxc_id != vmid:
                        return False
                return repo.delete_app(s, app_id)

        return await asyncio.to_thread(work)

    async def set_status(
        self,
        app_id: str,
        status: str,
        *,
        reason: str | None = None,
        also: RowWrite | None = None,
        view: bool = False,
        **changes: Any,
    ) -> AppView | None:
        """Change the status (and other columns / `config` keys given as `config=`) at once;
        `also` writes in the same transaction (the operation's saved state). With `view`, the
        app as this transaction left it is returned (a deploy's end needs no second read)."""

        def work() -> AppView | None:
            with self.db.raw_write() as conn:
                if not app_rows.set_status(
                    conn, self.db.codec, app_id, status, reason=reason, **changes
                ):
                    raise NotFoundError("app", app_id)
                if also is not None:
                    also(conn)
                row = app_rows.get(conn, self.db.codec, app_id) if view else None
            return None if row is None else _row_view(row)

        return await asyncio.to_thread(work)

    async def set_environment(self, app_id: str, values: dict[str, str]) -> None:
        """Record environment values (one transaction): they join the row's environment and
        stop being unknown; names the secret rule calls secret join `secret_names`."""

        def work() -> None:
            with self.db.session() as s:
                app = repo.get_app(s, app_id)
                if app is None:
                    raise NotFoundError("app", app_id)
                app.environment = {**(app.environment or {}), **values}
                config = dict(app.config or {})
                unknown = [n for n in config.get("environment_unknown") or () if n not in values]
                config["environment_unknown"] = unknown
                app.config = with_secret_names(config, values)
                app.updated_at = utcnow()

        await asyncio.to_thread(work)

    def apply_statuses(
        self, changes: Iterable[tuple[str, str]], *, not_after: datetime | None = None
    ) -> int:
        """Set many statuses in one transaction (the monitor's tick). Sync: run it in a thread.
        With `not_after`, a row changed after that moment (after the listing was asked for) is
        left alone: what changed it knows better than the listing."""
        changes = list(changes)
        if not changes:
            return 0
        with self.db.session() as s:
            now = utcnow()
            for app_id, status in changes:
                where = [App.id == app_id, App.status.in_(MONITORED)]
                if not_after is not None:
                    where.append(App.updated_at <= not_after)
                s.execute(update(App).where(*where).values(status=status, updated_at=now))
        return len(changes)

    # --- backups ---

    async def add_backup(self, **fields: Any) -> BackupView:
        def work() -> BackupView:
            with self.db.session() as s:
                return backup_view(repo.add_backup(s, **fields))

        return await asyncio.to_thread(work)

    async def backups(self, app_id: str) -> builtins.list[BackupView]:
        def work() -> list[BackupView]:
            with self.db.session(readonly=True) as s:
                return [backup_view(b) for b in repo.list_backups(s, app_id=app_id)]

        return await asyncio.to_thread(work)

    async def delete_backup(self, volid: str) -> bool:
        def work() -> bool:
            with self.db.session() as s:
                backup = repo.get_backup_by_volid(s, volid)
                return backup is not None and repo.delete_backup(s, backup.id)

        return await asyncio.to_thread(work)


#: Statuses the monitor may overwrite; transitional ones and `error` belong to operations.
MONITORED = ("running", "stopped", "missing")


class VmidTaken(ConflictError):
    def __init__(self, vmid: int) -> None:
        super().__init__(f"vmid {vmid} is already reserved by another app")
        self.vmid = vmid
