"""THROWAWAY in-memory stand-in for the service layer, until AppService/bootstrap land.

Implements the interface the dashboard calls (see the lead's brief). Delete once the real services
and the simulator can be used by the UI tests.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from proximity_tui.services import events as ev
from proximity_tui.services.catalog_model import CatalogEntry, EnvVar, Port, Resources
from proximity_tui.services.errors import ConflictError, NotFoundError
from proximity_tui.services.events import Hub, OperationEvent
from proximity_tui.services.runtime import ServiceRuntime
from proximity_tui.services.views import (
    AppView,
    BackupView,
    ClusterInfo,
    DeployPlan,
    LiveStatus,
    NodeChoice,
    OperationEventView,
    OperationView,
    StatusSnapshot,
)

T0 = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
STEPS = (
    ("validate", "Validate"),
    ("reserve", "Reserve vmid"),
    ("template", "Template"),
    ("create", "Create container"),
    ("start", "Start container"),
    ("docker", "Install Docker"),
    ("compose", "Compose up"),
    ("health", "Health check"),
)


def entries() -> list[CatalogEntry]:
    return [
        CatalogEntry(
            id="nginx",
            name="Nginx",
            description="A web server.",
            category="Web",
            compose={"services": {"web": {"image": "nginx:1.27"}}},
            ports=[Port(80, web=True)],
            resources=Resources(1, 256, 2, 1, 128, 1),
        ),
        CatalogEntry(
            id="gitea",
            name="Gitea",
            description="Self-hosted Git service.",
            category="Development",
            compose={"services": {"gitea": {"image": "gitea/gitea:1.22"}}},
            ports=[Port(3000, web=True)],
            env=[
                EnvVar("ADMIN_USER", default="admin", required=True),
                EnvVar("SECRET_KEY", secret=True),
            ],
        ),
        CatalogEntry(
            id="bigdb",
            name="Big DB",
            description="Needs more memory than any node has.",
            category="Databases",
            compose={"services": {"db": {"image": "postgres:17"}}},
            resources=Resources(2, 999999, 10, 1, 512, 4),
        ),
    ]


class StandinCatalog:
    def __init__(self) -> None:
        self.entries = entries()

    def get(self, id: str) -> CatalogEntry:
        for e in self.entries:
            if e.id == id:
                return e
        raise NotFoundError("catalog entry", id)

    def categories(self) -> list[str]:
        return sorted({e.category for e in self.entries})

    def search(self, q: str, category: str | None = None, limit: int | None = None) -> list:
        q = q.lower()
        return [
            e
            for e in self.entries
            if (q in e.name.lower() or q in e.description.lower())
            and (category is None or e.category == category)
        ][:limit]


def make_app_view(i: int, status: str = "running", node: str = "pve1") -> AppView:
    live = LiveStatus(
        vmid=100 + i,
        node=node,
        status="running" if status == "running" else "stopped",
        cpu=0.05 * (i % 10),
        cores=1,
        mem=128 * 1024 * 1024,
        maxmem=512 * 1024 * 1024,
        uptime=3600 + i if status == "running" else 0,
    )
    return AppView(
        id=f"nginx-web{i}",
        catalog_id="nginx",
        name="Nginx",
        hostname=f"web{i}",
        status=status,
        node=node,
        vmid=100 + i,
        url=f"http://10.0.0.{i % 250 + 2}/",
        owner="root",
        created_at=T0,
        updated_at=T0,
        environment={"ADMIN": "x", "SECRET_KEY": "********"},
        secret_names=("SECRET_KEY",),
        live=live,
    )


class StandinApps:
    def __init__(self, owner: StandinServices) -> None:
        self.owner = owner
        self.events: Hub[OperationEvent] = Hub()
        self.apps: dict[str, AppView] = {}
        self.ops: dict[int, OperationView] = {}
        self.history: dict[int, list[OperationEvent]] = {}
        self.running: dict[int, asyncio.Event] = {}
        self.backups: dict[str, list[BackupView]] = {}
        self.fail_step: str | None = None
        self.step_delay = 0.0
        self._next_op = 1

    async def list_apps(self) -> list[AppView]:
        return list(self.apps.values())

    async def get_app(self, id: str) -> AppView:
        if id not in self.apps:
            raise NotFoundError("app", id)
        return self.apps[id]

    async def nodes(self) -> list[NodeChoice]:
        return list(self.owner.cluster.nodes)

    async def check_hostname(self, hostname: str) -> str | None:
        if any(a.hostname == hostname for a in self.apps.values()):
            return f"{hostname} is taken by another app"
        return None

    async def plan_deploy(
        self, catalog_id, hostname, *, node=None, cores=None, memory=None, disk=None
    ) -> DeployPlan:
        entry = self.owner.catalog.get(catalog_id)
        return DeployPlan(
            catalog_id,
            hostname,
            node or "pve1",
            200 + len(self.apps),
            cores or entry.resources.cores,
            memory or entry.resources.memory,
            disk or entry.resources.disk,
            "alpine-3.22",
            node in (None, "pve1"),
            STEPS,
        )

    def _op(self, kind: str, app_id: str | None, hostname: str | None) -> int:
        op_id = self._next_op
        self._next_op += 1
        self.ops[op_id] = OperationView(
            op_id, kind, app_id, hostname, "root", "running", None, self.owner.now(), None, None
        )
        self.history[op_id] = []
        return op_id

    def _emit(self, op_id: int, kind: str, message: str = "", **kw: Any) -> None:
        op = self.ops[op_id]
        event = OperationEvent(
            op_id,
            kind,
            message,
            app_id=op.app_id,
            hostname=op.hostname,
            operation=op.kind,
            ts=self.owner.now(),
            **kw,
        )
        self.history[op_id].append(event)
        self.events.publish(event)

    async def start_deploy(
        self,
        catalog_id,
        hostname,
        *,
        node=None,
        cores=None,
        memory=None,
        disk=None,
        environment=None,
    ) -> int:
        if await self.check_hostname(hostname):
            raise ConflictError(f"hostname {hostname} is taken")
        app_id = f"{catalog_id}-{hostname}"
        op_id = self._op("deploy", app_id, hostname)
        cancel = asyncio.Event()
        self.running[op_id] = cancel
        asyncio.get_running_loop().create_task(self._deploy(op_id, catalog_id, hostname, cancel))
        return op_id

    async def _deploy(self, op_id, catalog_id, hostname, cancel) -> None:
        self._emit(op_id, ev.STARTED, f"deploy {hostname}")
        done = []
        for i, (name, title) in enumerate(STEPS):
            self._emit(op_id, ev.STEP_STARTED, title, step=name, progress=i / len(STEPS))
            self._emit(op_id, ev.LOG, f"{title}: working", step=name)
            await asyncio.sleep(self.step_delay)
            if name == self.fail_step or cancel.is_set():
                error = "cancelled" if cancel.is_set() else f"{name}: simulated failure"
                self._emit(op_id, ev.STEP_FAILED, error, step=name, level="error", duration=0.5)
                for d in reversed(done):
                    self._emit(op_id, ev.UNDO, f"undid {d}")
                self._emit(op_id, ev.ROLLED_BACK, "rolled back")
                self._end(op_id, "rolled_back", error)
                return
            self._emit(
                op_id,
                ev.STEP_FINISHED,
                title,
                step=name,
                duration=0.5,
                progress=(i + 1) / len(STEPS),
            )
            done.append(name)
        view = replace(
            make_app_view(len(self.apps) + 50),
            id=f"{catalog_id}-{hostname}",
            hostname=hostname,
            catalog_id=catalog_id,
        )
        self.apps[view.id] = view
        self._end(op_id, "succeeded", None)
        self.owner.monitor.publish(changed={view.id})

    def _end(self, op_id: int, status: str, error: str | None) -> None:
        self._emit(
            op_id,
            ev.FINISHED,
            error or status,
            status=status,
            level="info" if status == "succeeded" else "error",
        )
        op = self.ops[op_id]
        self.ops[op_id] = replace(op, status=status, error=error, finished_at=self.owner.now())
        self.running.pop(op_id, None)

    async def wait_operation(self, op_id: int) -> OperationView:
        while op_id in self.running:
            await asyncio.sleep(0.01)
        return self.ops[op_id]

    async def _simple(self, kind: str, id: str, status: str | None) -> AppView:
        view = await self.get_app(id)
        op_id = self._op(kind, id, view.hostname)
        self._emit(op_id, ev.STARTED, kind)
        if status is not None:
            live = replace(view.live, status=status) if view.live else None
            view = replace(view, status=status, live=live)
            self.apps[id] = view
        self._end(op_id, "succeeded", None)
        return view

    async def start_app(self, id):
        return await self._simple("start", id, "running")

    async def stop_app(self, id):
        return await self._simple("stop", id, "stopped")

    async def restart_app(self, id):
        return await self._simple("restart", id, "running")

    async def update_app(self, id):
        return await self._simple("update", id, None)

    async def delete_app(self, id) -> None:
        await self._simple("delete", id, None)
        del self.apps[id]
        self.owner.monitor.publish(removed={id})

    async def clone_app(self, id, new_hostname) -> AppView:
        view = await self.get_app(id)
        new = replace(
            view,
            id=f"{view.catalog_id}-{new_hostname}",
            hostname=new_hostname,
            vmid=view.vmid + 500,
        )
        self.apps[new.id] = new
        return new

    async def backup_app(self, id) -> BackupView:
        view = await self.get_app(id)
        b = BackupView(
            len(self.backups.get(id, [])) + 1,
            id,
            f"local:backup/vzdump-{view.vmid}",
            "local",
            view.node,
            view.vmid,
            1234567,
            self.owner.now(),
            "ok",
        )
        self.backups.setdefault(id, []).append(b)
        return b

    async def list_backups(self, id):
        return list(self.backups.get(id, []))

    async def restore_app(self, id, volid):
        return await self._simple("restore", id, None)

    async def delete_backup(self, id, volid) -> None:
        self.backups[id] = [b for b in self.backups.get(id, []) if b.volid != volid]

    async def app_logs(self, id, *, tail=200, follow=False, on_line, stop=None) -> None:
        for i in range(5):
            on_line(f"{id} log line {i}")
        while follow and not (stop and stop.is_set()):
            await asyncio.sleep(0.05)

    async def operations(self, *, limit=500, app_id=None) -> list[OperationView]:
        ops = [o for o in self.ops.values() if app_id is None or o.app_id == app_id]
        return sorted(ops, key=lambda o: -o.id)[:limit]

    async def operation(self, op_id) -> OperationView:
        op = self.ops[op_id]
        views = tuple(
            OperationEventView(e.ts, e.step, e.level, e.kind, e.message, e.progress)
            for e in self.history.get(op_id, [])
        )
        return replace(op, events=views)

    async def reveal_secret(self, app_id, name) -> str:
        return "s3cr3t-value"

    def cancel_operation(self, op_id) -> None:
        loop = self.owner.runtime.loop
        if op_id in self.running:
            loop.call_soon_threadsafe(self.running[op_id].set)

    def live_events(self, op_id) -> list[OperationEvent]:
        return list(self.history.get(op_id, []))

    def running_operations(self) -> list[int]:
        return list(self.running)

    def actions_for(self, app: AppView) -> frozenset[str]:
        if app.status == "running":
            return frozenset({"stop", "restart", "delete", "clone", "backup", "update", "logs"})
        if app.status == "stopped":
            return frozenset({"start", "delete", "clone", "backup"})
        if app.status == "missing":
            return frozenset({"delete"})
        return frozenset()


class StandinMonitor:
    def __init__(self, owner: StandinServices) -> None:
        self.owner = owner
        self.snapshots: Hub[StatusSnapshot] = Hub()
        self.latest: StatusSnapshot | None = None
        self.ok = True

    def publish(self, changed=frozenset(), removed=frozenset(), orphans=()) -> StatusSnapshot:
        apps = dict(self.owner.apps.apps)
        now = self.owner.now()
        last = now if self.ok else (self.latest.last_success if self.latest else None)
        history = {i: ((0.1, 0.2, 0.3), (100, 200, 300)) for i in apps}
        snap = StatusSnapshot(
            now,
            self.ok,
            apps,
            tuple(orphans),
            None if self.ok else "connection refused",
            last,
            history,
            frozenset(changed),
            frozenset(removed),
        )
        self.latest = snap
        self.snapshots.publish(snap)
        return snap

    def refresh_now(self) -> None:
        self.owner.runtime.loop.call_soon_threadsafe(self.publish)


class StandinServices:
    def __init__(self, settings: Any, *, apps: int = 0, can_change: bool = True) -> None:
        self.settings = settings
        self.user = SimpleNamespace(username="root", role="admin" if can_change else "viewer")
        self.can_change = can_change
        self.demo = True
        self.cluster = ClusterInfo(
            "demo",
            "127.0.0.1",
            (
                NodeChoice("pve1", True, 12000, 16000, 8, 0.1, True),
                NodeChoice("pve2", True, 30000, 32000, 16, 0.05, False),
            ),
            "8.4",
            demo=True,
        )
        self.runtime = ServiceRuntime().start()
        from proximity_tui.services.catalog import CatalogService

        self.catalog = CatalogService.load()
        self.apps = StandinApps(self)
        self.monitor = StandinMonitor(self)
        self.clock_offset = 0.0
        for i in range(apps):
            view = make_app_view(i, "running" if i % 3 else "stopped", f"pve{i % 2 + 1}")
            self.apps.apps[view.id] = view
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.clock_offset)

    async def run(self, coro):
        return await self.runtime.run(coro)

    def close(self) -> None:
        self.runtime.stop()
