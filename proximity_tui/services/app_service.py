"""AppService: the product's vocabulary (deploy, start, stop, ..., logs), for the UI and the CLI.

Every change is an operation: the acting user's role is checked, the app's lock taken (a second
operation on a busy app fails at once), a journal row opened, and named steps run with undo on
failure (`pipeline.run_steps`). The methods are coroutines meant to run on the service loop
(`runtime.py`); the database is only touched from worker threads.

This module keeps who may do what, reading the apps and the running of operations; the same
object's other methods are mixins: the deploy (`app_service_deploy.py`), the actions on one app
(`app_service_actions.py`), the administrative half (`app_service_admin.py`) and the view of the
journal (`app_service_journal.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial
from typing import TYPE_CHECKING, Any

from proximity_tui.errors import BusyError, ProximityError
from proximity_tui.services import events as ev
from proximity_tui.services.app_records import AppRecords
from proximity_tui.services.app_service_actions import ACTIONS, AppActions
from proximity_tui.services.app_service_admin import AdminOps
from proximity_tui.services.app_service_deploy import DeployOps
from proximity_tui.services.containers import Containers
from proximity_tui.services.late_effects import LateEffects
from proximity_tui.services.operations.context import OperationContext, Operations
from proximity_tui.services.operations.shape import (
    OnStart,
    OperationDeps,
    OperationSpec,
    run_spec,
)
from proximity_tui.services.users import may_change, require_change
from proximity_tui.views import AppView

if TYPE_CHECKING:
    from proximity_tui.config import DeploySettings
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.proxmox.exec import ContainerExec
    from proximity_tui.services.catalog.service import CatalogService
    from proximity_tui.services.journal import Journal
    from proximity_tui.services.status import StatusMonitor
    from proximity_tui.services.users import UserInfo
    from proximity_tui.store.db import Database


class AppService(DeployOps, AppActions, AdminOps):
    def __init__(
        self,
        *,
        db: Database,
        client: ProxmoxClient,
        exec_: ContainerExec,
        catalog: CatalogService,
        journal: Journal,
        user: UserInfo,
        deploy_settings: DeploySettings,
        api_user: str = "root@pam",
        read_only: bool = False,
        containers: Containers | None = None,
    ) -> None:
        self.db = db
        self.client = client
        self.exec = exec_
        self.catalog = catalog
        self.journal = journal
        self.user = user
        self.deploy_settings = deploy_settings
        self.api_user = api_user
        self.read_only = read_only
        self.records = AppRecords(db)
        self.containers = containers or Containers(
            client,
            exec_,
            task_timeout=deploy_settings.task_timeout,
            health_timeout=deploy_settings.health_timeout,
        )
        self.events: ev.Hub[ev.OperationEvent] = ev.Hub()
        self.ops = Operations(journal, self.events)
        self.monitor: StatusMonitor | None = None
        self._locks: dict[str, int] = {}
        self._tasks: dict[int, asyncio.Task[Any]] = {}
        self.late = LateEffects(self)

    def deps(self) -> OperationDeps:
        """What the operations may use (read afresh: a test may swap the acting user)."""
        return OperationDeps(
            client=self.client,
            exec=self.exec,
            containers=self.containers,
            records=self.records,
            settings=self.deploy_settings,
            user_id=self.user.id,
            api_user=self.api_user,
            user_name=self.user.username,
        )

    # --- who may do what ---

    @property
    def can_change(self) -> bool:
        return may_change(self.user, read_only=self.read_only)

    def _require_change(self, what: str) -> None:
        require_change(self.user, what, read_only=self.read_only)

    def require_change(self, what: str) -> None:
        """Raise `PermissionDenied` unless this session may change things (a command that reads
        a lot before it changes anything asks first)."""
        self._require_change(what)

    def actions_for(self, app: AppView) -> frozenset[str]:
        """The actions that apply to `app` now (none while an operation holds it)."""
        if app.id in self._locks:
            return frozenset({"logs"} if app.status == "running" else ())
        allowed = {name for name, statuses in ACTIONS.items() if app.status in statuses}
        if not self.can_change:
            allowed &= {"logs"}
        return frozenset(allowed)

    # --- reading ---

    async def list_apps(self) -> list[AppView]:
        return self._merge(await self.records.list())

    async def get_app(self, app_id: str) -> AppView:
        return self._merge([await self.records.get(app_id)])[0]

    async def find_app(self, key: str) -> AppView:
        """By id, hostname or vmid."""
        return self._merge([await self.records.find(key)])[0]

    def _merge(self, apps: list[AppView]) -> list[AppView]:
        from dataclasses import replace

        snapshot = self.monitor.latest if self.monitor is not None else None
        out = []
        for app in apps:
            seen = snapshot.apps.get(app.id) if snapshot else None
            live = seen.live if seen else None
            out.append(
                replace(
                    app,
                    live=live,
                    stale=bool(snapshot and not snapshot.ok),
                    busy_op=self._locks.get(app.id),
                    # From the snapshot only: the UI applies snapshots by what changed since
                    # the last one, so a kind read here would stay after the operation ended.
                    busy_kind=seen.busy_kind if seen else None,
                )
            )
        return out

    # --- running operations ---

    def _check_free(self, app_id: str) -> None:
        holder = self._locks.get(app_id)
        if holder is not None:
            raise BusyError(f"{app_id} is busy: operation #{holder} is still running")

    async def begin(self, spec: OperationSpec) -> OperationContext:
        """Check the role, take the locks and open the journal row."""
        kind, app_id, lock = spec.kind, spec.app_id, spec.lock
        self._require_change(kind)
        for key in lock:
            self._check_free(key)
        for key in lock:
            self._locks[key] = -1  # held from here on, before the first await
        try:
            # A process that did not deploy these apps never registered their secrets: do it
            # now, so that a command that prints one is masked in the journal and the events.
            keys = {str(k) for k in (app_id, *lock) if k is not None}
            apps = sorted(k for k in keys if not k.startswith("hostname:"))
            ctx = await self.ops.begin(
                kind,
                user_id=self.user.id,
                app_id=app_id,
                hostname=spec.hostname,
                parameters=spec.parameters,
                secrets=spec.secrets,
                stored_secrets=partial(self.records.stored_secrets, apps),
                check=spec.check,
            )
        except BaseException:
            for key in lock:
                self._locks.pop(key, None)
            raise
        for key in lock:
            self._locks[key] = ctx.op_id
        ctx.state["locks"] = list(lock)
        return ctx

    async def run_operation(
        self, spec: OperationSpec, on_start: OnStart | None = None
    ) -> OperationContext:
        """Open the operation the spec describes (role, locks, journal row) and run it to its
        end; re-raises a failure (`StepFailed`) once the operation is finished. `on_start` hears
        the operation's id as soon as it has one (the dashboard opens its progress screen)."""
        ctx = await self.begin(spec)
        if on_start is not None:
            on_start(ctx.op_id)
        await self.execute(ctx, spec)
        return ctx

    async def execute(self, ctx: OperationContext, spec: OperationSpec) -> OperationContext:
        """Run the steps and finish the operation (`shape.run_spec`); release the locks.
        Returns the finished context (a failure raises instead)."""
        try:
            await run_spec(ctx, spec, self.journal.mask)
            return ctx
        finally:
            for key in ctx.state.get("locks", ()):
                if self._locks.get(key) == ctx.op_id:
                    del self._locks[key]
            if ctx.state.get("late"):  # a call whose answer was lost may still act
                self.late.watch_from(ctx.op_id, ctx.state)
            # Whoever awaited this operation sees the container as it is now, not as the last
            # tick before the operation saw it (a restarted app listed as stopped until the next).
            await asyncio.shield(self.monitor_fresh(ctx.app_id))

    async def monitor_fresh(self, app_id: str | None = None) -> None:
        """Wait for a status tick taken after now, showing `app_id`'s container as Proxmox
        reports it now (no-op when the monitor is not running)."""
        monitor = self.monitor
        if monitor is None or not monitor.running:
            return
        app = None
        if app_id is not None:
            with contextlib.suppress(ProximityError):  # deleted, or the database is busy
                app = await self.get_app(app_id)
        if app is not None and app.vmid and app.node:
            await monitor.confirm(app.node, app.vmid)
        else:
            await monitor.fresh()

    def _spawn(self, ctx: OperationContext, coro) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks[ctx.op_id] = task

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.pop(ctx.op_id, None)
            if not t.cancelled():
                t.exception()  # retrieved: the outcome is in the journal and the events

        task.add_done_callback(done)
        return task
