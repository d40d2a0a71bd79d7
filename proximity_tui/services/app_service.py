"""AppService: the product's vocabulary (deploy, start, stop, ..., logs), for the UI and the CLI.

Every change is an operation: the acting user's role is checked, the app's lock taken (a second
operation on a busy app fails at once), a journal row opened, and named steps run with undo on
failure (`pipeline.run_steps`). The methods are coroutines meant to run on the service loop
(`runtime.py`); the database is only touched from worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from proximity_tui.errors import (
    BusyError,
    ProximityError,
    ValidationError,
)
from proximity_tui.services import events as ev
from proximity_tui.services.app_records import AppRecords
from proximity_tui.services.catalog.model import DEFAULT_TEMPLATE
from proximity_tui.services.containers import Containers, app_compose_file
from proximity_tui.services.operations import lifecycle
from proximity_tui.services.operations.context import OperationContext, Operations
from proximity_tui.services.operations.deploy import (
    DeployPipeline,
    DeployRequest,
    deploy_steps,
    validate_request,
)
from proximity_tui.services.operations.pipeline import Step, StepFailed, describe, run_steps
from proximity_tui.services.operations.vmids import move_reservation, reserve_row
from proximity_tui.services.templates import newest_alpine, pinned_template, resolve_template
from proximity_tui.services.users import may_change, require_change
from proximity_tui.services.validation import check_hostname
from proximity_tui.views import (
    AppView,
    BackupView,
    DeployPlan,
    NodeChoice,
    OperationView,
)

MIB = 1024 * 1024

if TYPE_CHECKING:
    from proximity_tui.config import DeploySettings
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.proxmox.exec import ContainerExec
    from proximity_tui.services.catalog.service import CatalogService
    from proximity_tui.services.journal import Journal
    from proximity_tui.services.status import StatusMonitor
    from proximity_tui.services.users import UserInfo
    from proximity_tui.store.db import Database

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


class AppService:
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

    # --- who may do what ---

    @property
    def can_change(self) -> bool:
        return may_change(self.user, read_only=self.read_only)

    def _require_change(self, what: str) -> None:
        require_change(self.user, what, read_only=self.read_only)

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

    get_all_apps = list_apps

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

    async def nodes(self) -> list[NodeChoice]:
        """Every node with its free memory and CPU, and whether the default template is cached."""
        nodes, caps = await asyncio.gather(self.client.nodes(), self.client.templates_by_node())
        pinned = self.deploy_settings.template

        def ready(vols: list) -> bool:  # what the deploy would use is already there
            names = [v.name for v in vols]
            return pinned in names if pinned else newest_alpine(names) is not None

        return [
            NodeChoice(
                name=n.name,
                online=n.online,
                free_memory_mb=None if n.free_mem is None else n.free_mem // MIB,
                total_memory_mb=None if n.maxmem is None else n.maxmem // MIB,
                cpus=n.maxcpu,
                cpu_load=n.cpu,
                has_template=ready(caps.get(n.name, [])),
            )
            for n in nodes
        ]

    async def check_hostname(self, hostname: str) -> str | None:
        """None when `hostname` is valid and free (database and cluster), else the reason."""
        try:
            name = check_hostname(hostname)
        except ProximityError as exc:
            return str(exc)
        return await self.hostname_conflict(name)

    async def hostname_conflict(self, name: str) -> str | None:
        """Who already uses the (valid, lower-case) hostname: an app, or any cluster guest."""
        if await self.records.hostname_taken(name):
            return f"hostname {name!r} is already used by another app"
        for guest in await self.client.cluster_resources():
            if guest.name.lower() == name:
                return (
                    f"hostname {name!r} is already used by {guest.type} {guest.vmid} "
                    f"on {guest.node}"
                )
        return None

    async def plan_deploy(
        self,
        catalog_id: str,
        hostname: str,
        *,
        node: str | None = None,
        cores: int | None = None,
        memory: int | None = None,
        disk: int | None = None,
    ) -> DeployPlan:
        """What a deploy would do, without doing it: node, vmid, template, steps, problems."""
        request = DeployRequest(catalog_id, hostname, node, cores, memory, disk)
        problems: list[str] = []
        entry = self.catalog.get(catalog_id)
        try:
            job = validate_request(self, request)
            cores_, memory_, disk_ = job.cores, job.memory, job.disk
        except ProximityError as exc:
            problems.append(str(exc))
            res = entry.resources
            cores_, memory_, disk_ = cores or res.cores, memory or res.memory, disk or res.disk
        taken = await self.check_hostname(hostname)
        if taken and taken not in problems:
            problems.append(taken)
        nodes = [n for n in await self.nodes() if n.online]
        chosen = next((n for n in nodes if n.name == node), None) if node else None
        if node and chosen is None:
            problems.append(f"node {node!r} is not online")
        if chosen is None and nodes:
            chosen = max(nodes, key=lambda n: (n.free_memory_mb is not None, n.free_memory_mb or 0))
        free = chosen.free_memory_mb if chosen is not None else None
        if chosen is not None and free is not None and free < memory_:
            problems.append(f"{chosen.name} has {free} MB free, {memory_} needed")
        pinned = pinned_template(entry.template, DEFAULT_TEMPLATE, self.deploy_settings.template)
        template, cached = pinned or "the newest Alpine", False
        if chosen is not None:
            try:
                choice = await resolve_template(self.client, chosen.name, pinned)
                template, cached = choice.name, choice.volid is not None
            except ValidationError as exc:
                problems.append(str(exc))
        return DeployPlan(
            catalog_id=entry.id,
            hostname=hostname.strip().lower(),
            node=chosen.name if chosen else "",
            vmid=await self.client.next_vmid(),
            cores=cores_,
            memory=memory_,
            disk=disk_,
            template=template,
            template_cached=cached,
            steps=tuple(deploy_steps()),
            problems=tuple(problems),
        )

    async def reveal_secret(self, app_id: str, name: str) -> str:
        self._require_change("reveal secrets")
        return await self.records.secret(app_id, name)

    async def operations(
        self, *, limit: int = 500, app_id: str | None = None
    ) -> list[OperationView]:
        from proximity_tui.services.operations.views import operation_view

        records = await asyncio.to_thread(self.journal.list, limit=limit, app_id=app_id)
        return [operation_view(r) for r in records]

    async def operation(self, op_id: int, *, events: bool = True) -> OperationView:
        from proximity_tui.services.operations.views import operation_view

        return operation_view(await asyncio.to_thread(self.journal.get, op_id, events=events))

    def live_events(self, op_id: int) -> list[ev.OperationEvent]:
        ctx = self.ops.live.get(op_id)
        return list(ctx.history) if ctx is not None else []

    def running_operations(self) -> list[int]:
        return sorted(self.ops.live)

    def busy_apps(self) -> dict[str, tuple[int, str]]:
        """app id -> (operation id, kind) of every operation running now. Safe from any
        thread: it reads one copy of the live contexts."""
        live = dict(self.ops.live)
        return {ctx.app_id: (op, ctx.kind) for op, ctx in sorted(live.items()) if ctx.app_id}

    def running_kinds(self) -> list[str]:
        """The kind of every operation running now, by operation id (any thread): what the
        dashboard says is still running when it is asked to quit."""
        live = dict(self.ops.live)
        return [ctx.kind for _op, ctx in sorted(live.items())]

    def operation_plan(self, op_id: int) -> list[tuple[str, str]] | None:
        """(name, title) of every step of a running operation, the pending ones too, once its
        steps started (empty before; None when it is not running here): a progress screen
        opened mid-way lists them all."""
        ctx = self.ops.live.get(op_id)
        return list(ctx.plan) if ctx is not None else None

    def operation_for(self, app_id: str) -> int | None:
        """The live operation working on `app_id`, if any (any thread)."""
        working = self.busy_apps().get(app_id)
        return working[0] if working else None

    def cancel_operation(self, op_id: int, reason: str = "cancelled") -> bool:
        """Ask a running operation to stop (it rolls back); False when none runs with that id.
        Safe from any thread: the CLI's main thread and the dashboard's loop call it directly."""
        ctx = self.ops.live.get(op_id)
        if ctx is None:
            return False
        ctx.cancel(reason)
        return True

    async def wait_operation(self, op_id: int) -> OperationView:
        task = self._tasks.get(op_id)
        if task is not None:
            await asyncio.wait({task})
        return await self.operation(op_id)

    async def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no operation started here is running; False if some still run."""
        tasks = set(self._tasks.values())
        if not tasks:
            return True
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        return not pending

    # --- running operations ---

    def _lock(self, app_id: str, op_id: int) -> None:
        holder = self._locks.get(app_id)
        if holder is not None:
            raise BusyError(f"{app_id} is busy: operation #{holder} is still running")
        self._locks[app_id] = op_id

    def _check_free(self, app_id: str) -> None:
        holder = self._locks.get(app_id)
        if holder is not None:
            raise BusyError(f"{app_id} is busy: operation #{holder} is still running")

    async def begin(
        self,
        kind: str,
        *,
        app_id: str | None,
        hostname: str | None,
        parameters: dict[str, Any] | None = None,
        secrets: Sequence[str] = (),
        lock: Sequence[str] = (),
    ) -> OperationContext:
        """Check the role, take the locks and open the journal row."""
        self._require_change(kind)
        for key in lock:
            self._check_free(key)
        for key in lock:
            self._locks[key] = -1  # held from here on, before the first await
        try:
            # A process that did not deploy these apps never registered their secrets: do it
            # now, so that a command that prints one is masked in the journal and the events.
            known: list[str] = []
            for key in {k for k in (app_id, *lock) if k is not None}:
                if not str(key).startswith("hostname:"):
                    known += await self.records.secret_values(str(key))
            ctx = await self.ops.begin(
                kind,
                user_id=self.user.id,
                app_id=app_id,
                hostname=hostname,
                parameters=parameters,
                secrets=[*secrets, *known],
            )
        except BaseException:
            for key in lock:
                self._locks.pop(key, None)
            raise
        for key in lock:
            self._locks[key] = ctx.op_id
        ctx.state["locks"] = list(lock)
        return ctx

    async def execute(
        self,
        ctx: OperationContext,
        steps: list[Step],
        *,
        on_failure: Callable[[StepFailed], Any] | None = None,
        success_message: str | Callable[[], str] = "",
    ) -> None:
        """Run the steps; finish the operation (`succeeded`, `failed` or what `on_failure`
        returns); release the locks. Re-raises the failure for the caller."""
        try:
            await run_steps(ctx, steps)
        except StepFailed as failure:
            # What the caller shows the user is masked like the journal (a command's stderr
            # may print a secret).
            failure.message = self.journal.mask(failure.message)
            # A cancellation whose undos all ran left nothing behind: it was rolled back.
            status = "rolled_back" if failure.cancelled and not failure.undo_errors else "failed"
            if on_failure is not None:
                status = await on_failure(failure) or status
            await ctx.finish(
                status,
                message=str(failure),
                error=str(failure),
                result={
                    "failed_step": failure.step,
                    "undone": failure.undone,
                    "undo_errors": failure.undo_errors,
                },
            )
            raise
        except BaseException as exc:  # cancelled outside a step, or a bug: still journaled
            await asyncio.shield(ctx.finish("failed", error=describe(exc)))
            raise
        else:
            # A callable says what the steps chose (update and clone: which method they used).
            message = success_message() if callable(success_message) else success_message
            await ctx.finish(
                "succeeded", message=message or "done", result=ctx.state.get("result") or None
            )
        finally:
            for key in ctx.state.get("locks", ()):
                if self._locks.get(key) == ctx.op_id:
                    del self._locks[key]
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

    async def reserve_row(self, ctx: OperationContext, make_row: Callable[[int], dict]) -> int:
        """Insert the app row with the next free vmid (see `vmids.py`)."""
        return await reserve_row(self.client, self.records, ctx, make_row)

    async def move_reservation(self, ctx: OperationContext, app_id: str, old: int) -> int:
        """Proxmox says `old` is in use after all: move the app row to a free vmid."""
        return await move_reservation(self.client, self.records, ctx, app_id, old)

    # --- deploy ---

    async def start_deploy(
        self,
        catalog_id: str,
        hostname: str,
        *,
        node: str | None = None,
        cores: int | None = None,
        memory: int | None = None,
        disk: int | None = None,
        environment: dict[str, str] | None = None,
        ip: str | None = None,
        gateway: str | None = None,
        vlan: int | None = None,
    ) -> int:
        """Validate, open the operation and start the pipeline; returns the operation id at once.

        Input errors (bad hostname, unknown entry, missing variable) raise here, before anything
        is recorded; everything later is reported through the operation."""
        request = DeployRequest(
            catalog_id, hostname, node, cores, memory, disk, environment or {}, ip, gateway, vlan
        )
        self._require_change("deploy")
        job = validate_request(self, request)
        if await self.records.hostname_taken(job.hostname):
            raise ValidationError(
                f"hostname {job.hostname!r} is already used by another app", field="hostname"
            )
        secret_values = [
            job.environment[n] for n in job.entry.secret_names() if n in job.environment
        ]
        secret_values += list((environment or {}).values())
        ctx = await self.begin(
            "deploy",
            app_id=job.app_id,
            hostname=job.hostname,
            parameters=request.parameters(),
            secrets=secret_values,
            lock=[job.app_id, f"hostname:{job.hostname}"],
        )
        pipeline = DeployPipeline(self, job)
        self._spawn(ctx, self.execute(ctx, pipeline.steps(), success_message="deployed"))
        return ctx.op_id

    async def deploy_app(self, catalog_id: str, hostname: str, **kwargs: Any) -> AppView:
        """Deploy and wait for the end; a failure raises the pipeline's `StepFailed`."""
        op_id = await self.start_deploy(catalog_id, hostname, **kwargs)
        task = self._tasks.get(op_id)
        if task is not None:
            await task
        op = await self.operation(op_id, events=False)
        if op.status != "succeeded":
            raise ProximityError(op.error or f"deploy {op.status}")
        return await self.get_app(op.app_id or "")

    # --- lifecycle (see lifecycle.py for the steps) ---

    async def start_app(self, app_id: str) -> AppView:
        self._require_change("start")
        return await lifecycle.start(self, await self.records.get(app_id))

    async def stop_app(self, app_id: str) -> AppView:
        self._require_change("stop")
        return await lifecycle.stop(self, await self.records.get(app_id))

    async def restart_app(self, app_id: str) -> AppView:
        self._require_change("restart")
        return await lifecycle.restart(self, await self.records.get(app_id))

    async def delete_app(self, app_id: str) -> None:
        self._require_change("delete")
        await lifecycle.delete(self, await self.records.get(app_id))

    async def destroy_orphan(self, vmid: int) -> None:
        """Destroy a container tagged `proximity` that no app knows (see StatusSnapshot.orphans)."""
        self._require_change("destroy containers")
        await lifecycle.destroy_orphan(self, vmid)

    async def clone_app(self, app_id: str, new_hostname: str) -> AppView:
        self._require_change("clone")
        from proximity_tui.services.operations import clone

        return await clone.clone(self, await self.records.get(app_id), new_hostname)

    async def update_app(self, app_id: str) -> AppView:
        self._require_change("update")
        from proximity_tui.services.operations import update

        return await update.update(self, await self.records.get(app_id))

    async def backup_app(self, app_id: str) -> BackupView:
        self._require_change("backup")
        from proximity_tui.services.operations import backups

        return await backups.backup(self, await self.records.get(app_id))

    async def list_backups(self, app_id: str) -> list[BackupView]:
        from proximity_tui.services.operations import backups

        return await backups.list_backups(self, await self.records.get(app_id))

    async def restore_app(self, app_id: str, volid: str) -> AppView:
        self._require_change("restore")
        from proximity_tui.services.operations import backups

        return await backups.restore(self, await self.records.get(app_id), volid)

    async def delete_backup(self, app_id: str, volid: str) -> None:
        self._require_change("delete backups")
        from proximity_tui.services.operations import backups

        await backups.delete_backup(self, await self.records.get(app_id), volid)

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
            if stop.is_set():
                task.cancel()
                break
            await asyncio.wait({task}, timeout=0.2)
        if not task.cancelled():
            await task
