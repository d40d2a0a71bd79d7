"""AppService's actions on one app: start, stop, restart, delete, clone, update, backups and their
restore, logs (`ACTIONS` says which statuses each applies to).

A mixin of `AppService` (`app_service.py` keeps who may do what, reading and the running of
operations): the UI and the CLI call these through the same object. Each checks the role, builds
its operation's spec (`operations/*.py` hold the steps) and runs it through `run_operation`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from proximity_tui.errors import ProximityError
from proximity_tui.service_views import BackupView
from proximity_tui.services.containers import app_compose_file
from proximity_tui.services.image_plan import ImageChange, image_changes
from proximity_tui.services.operations import backups, clone, clone_target, lifecycle, update
from proximity_tui.services.operations.shape import OnStart
from proximity_tui.services.validation import check_hostname
from proximity_tui.views import AppView

if TYPE_CHECKING:
    from proximity_tui.config import DeploySettings
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.services.app_records import AppRecords
    from proximity_tui.services.catalog.service import CatalogService
    from proximity_tui.services.containers import Containers
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.services.operations.shape import OperationDeps, OperationSpec

#: Actions and the app statuses they apply to.
ACTIONS: dict[str, tuple[str, ...]] = {
    "start": ("stopped", "error"),
    "stop": ("running", "error"),
    "restart": ("running", "error"),
    "delete": ("running", "stopped", "error", "missing"),
    "clone": ("running", "stopped"),
    "backup": ("running", "stopped"),
    "update": ("running",),
    "logs": ("running",),
}


class AppActions:
    if TYPE_CHECKING:  # provided by AppService
        client: ProxmoxClient
        catalog: CatalogService
        records: AppRecords
        containers: Containers
        deploy_settings: DeploySettings

        def deps(self) -> OperationDeps: ...
        def _require_change(self, what: str) -> None: ...
        async def run_operation(
            self, spec: OperationSpec, on_start: OnStart | None = None
        ) -> OperationContext: ...
        async def get_app(self, app_id: str) -> AppView: ...

    async def start_app(self, app_id: str) -> AppView:
        self._require_change("start")
        await self.run_operation(lifecycle.start(self.deps(), await self.records.get(app_id)))
        return await self.get_app(app_id)

    async def stop_app(self, app_id: str) -> AppView:
        self._require_change("stop")
        await self.run_operation(lifecycle.stop(self.deps(), await self.records.get(app_id)))
        return await self.get_app(app_id)

    async def restart_app(self, app_id: str) -> AppView:
        self._require_change("restart")
        await self.run_operation(lifecycle.restart(self.deps(), await self.records.get(app_id)))
        return await self.get_app(app_id)

    async def delete_app(self, app_id: str) -> None:
        self._require_change("delete")
        await self.run_operation(lifecycle.delete(self.deps(), await self.records.get(app_id)))

    async def clone_app(
        self,
        app_id: str,
        new_hostname: str,
        *,
        node: str | None = None,
        on_start: OnStart | None = None,
    ) -> AppView:
        """Copy the app under `new_hostname`, on `node` (default: its own). A node Proxmox
        would refuse is refused first, in one line, before anything is recorded."""
        self._require_change("clone")
        source = await self.records.get(app_id)
        check_hostname(new_hostname, field="new hostname")
        target = await clone_target.check_target(self.client, source, node)
        spec = clone.clone(self.deps(), source, new_hostname, target)
        await self.run_operation(spec, on_start)
        return await self.get_app(spec.app_id or "")

    async def update_images(self, app_id: str) -> list[ImageChange]:
        """Per compose service, the image the app runs and the one an update moves it to."""
        app = await self.records.get(app_id)
        try:
            compose = self.catalog.get(app.catalog_id).compose
        except ProximityError:  # an entry no longer in the catalog: its images stay
            compose = {}
        return await image_changes(self.containers, app, app_compose_file(app), compose)

    async def update_app(self, app_id: str, *, on_start: OnStart | None = None) -> AppView:
        self._require_change("update")
        app = await self.records.get(app_id)
        images = await self.update_images(app_id)
        await self.run_operation(update.update(self.deps(), app, images), on_start)
        return await self.get_app(app_id)

    async def backup_storages(self, app_id: str) -> list[str]:
        """The storages on the app's node that hold backups (the first is the default)."""
        app = await self.records.get(app_id)
        found = [s.storage for s in await self.client.storages_accepting(app.node, "backup")]
        wanted = self.deploy_settings.backup_storage  # the configured one comes first
        return sorted(found, key=lambda s: s != wanted)

    async def backup_app(
        self,
        app_id: str,
        *,
        mode: str | None = None,
        storage: str | None = None,
        on_start: OnStart | None = None,
    ) -> BackupView:
        """`mode`: snapshot, suspend or stop; `storage`: one of `backup_storages` (checked
        before anything starts: a bad one changes nothing)."""
        self._require_change("backup")
        app = await self.records.get(app_id)
        await backups.check_backup_choice(self.deps(), app.node, mode, storage)
        spec = backups.backup(self.deps(), app, mode, storage)
        await self.run_operation(spec, on_start)
        return spec.result["backup"]

    async def list_backups(self, app_id: str) -> list[BackupView]:
        return await self.records.backups((await self.records.get(app_id)).id)

    async def restore_app(
        self, app_id: str, volid: str, *, on_start: OnStart | None = None
    ) -> AppView:
        self._require_change("restore")
        app = await self.records.get(app_id)
        await self.run_operation(await backups.restore(self.deps(), app, volid), on_start)
        return await self.get_app(app_id)

    async def delete_backup(self, app_id: str, volid: str) -> None:
        self._require_change("delete backups")
        app = await self.records.get(app_id)
        await self.run_operation(await backups.delete_backup(self.deps(), app, volid))

    async def app_logs(
        self,
        app_id: str,
        *,
        tail: int = 200,
        follow: bool = False,
        on_line: Callable[[str], None],
        stop: threading.Event | None = None,
    ) -> None:
        """`docker compose logs`, line by line, until done (or `stop` is set, when following)."""
        app = await self.records.get(app_id)
        if app.status != "running":
            raise ProximityError(f"{app.hostname} is {app.status}: logs need it running")
        task = asyncio.ensure_future(
            self.containers.logs(
                app.node, app.vmid, app_compose_file(app), tail=tail, follow=follow, on_line=on_line
            )
        )
        if stop is None:
            await task
            return
        while not task.done():
            if stop.is_set():  # stopped by the caller: the stream ends quietly, not in error
                task.cancel()
                await asyncio.wait({task})
                return
            await asyncio.wait({task}, timeout=0.2)
        await task
