"""Building the services from settings: one object the dashboard and the CLI both use.

`build_services(settings)` opens the database, identifies the acting user, loads the catalog and
prepares the Proxmox client and `pct` transport (no network yet), all owned by a `ServiceRuntime`
(the service loop thread). `connect()` then reaches Proxmox, resolves operations a dead process
left behind (recovery) and starts the status monitor. `close()` stops the monitor and lets
operations in flight finish (or roll back) before the loop stops: this is what keeps a deploy
going after the SSH session dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from proximity_tui.service_views import ClusterInfo
from proximity_tui.services.runtime import ServiceRuntime

if TYPE_CHECKING:
    from proximity_tui.config import Settings
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.proxmox.exec import ContainerExec
    from proximity_tui.services.app_service import AppService
    from proximity_tui.services.catalog.fetch import Progress
    from proximity_tui.services.catalog.service import CatalogService
    from proximity_tui.services.catalog.sources import SourceRegistry, SyncReport
    from proximity_tui.services.doctor import Report
    from proximity_tui.services.journal import Journal
    from proximity_tui.services.status import StatusMonitor
    from proximity_tui.services.users import UserInfo
    from proximity_tui.store.db import Database

T = TypeVar("T")
log = logging.getLogger(__name__)


class Stoppable(Protocol):
    """What the services need of an embedded simulator (the command layer builds it): a stop."""

    def stop(self) -> None: ...


@dataclass
class Services:
    settings: Settings
    runtime: ServiceRuntime
    db: Database
    journal: Journal
    client: ProxmoxClient
    exec: ContainerExec
    catalog: CatalogService
    apps: AppService
    monitor: StatusMonitor
    user: UserInfo
    demo: bool = False
    #: Demo only: the embedded simulator, stopped last by `close()`.
    simulator: Stoppable | None = None
    cluster: ClusterInfo | None = None
    #: What recovery did at start, one sentence per interrupted operation.
    recovery_notes: list[str] = field(default_factory=list)
    #: Run once `connect()` has started the monitor (the demo seeds its apps here, see
    #: `demo.py`): the command layer hands it in, so services never import upward.
    after_connect: Callable[[Services], Awaitable[object]] | None = None
    _closed: bool = False

    @property
    def can_change(self) -> bool:
        return self.apps.can_change

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await a service coroutine from another event loop (the dashboard's)."""
        return await self.runtime.run(coro)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a service coroutine to its end from plain (non-async) code: the CLI."""
        return self.runtime.call(coro, timeout)

    async def connect(self, *, monitor: bool = True, recover: bool = True) -> ClusterInfo:
        """Reach Proxmox (runs on the service loop), recover, start the monitor."""

        version = await self.client.connect()
        nodes = await self.apps.nodes()
        if recover:
            self.recovery_notes = await self.apps.recover()
            if not monitor:  # a one-shot command sees no refresh: look for late effects here
                await self.apps.late.sweep(reload=True)
        self.cluster = ClusterInfo(
            name=nodes[0].name if len(nodes) == 1 else f"{len(nodes)}-node cluster",
            host=self.client.host,
            nodes=tuple(nodes),
            version=version.version if hasattr(version, "version") else str(version),
            demo=self.demo,
            insecure=self.client.insecure,
        )
        if monitor:
            self.monitor.start()
        if self.after_connect is not None:
            await self.after_connect(self)
        return self.cluster

    async def doctor(self) -> Report:
        """Check the host for everything the product needs (`services/doctor`), with these
        services' client, transport, settings and journal (runs on the service loop)."""
        from proximity_tui.services.doctor import run_doctor

        return await run_doctor(self.client, self.exec, self.settings, self.journal, self.catalog)

    # --- catalog sources (the dashboard's Sources view; the CLI uses the registry itself) ------

    def catalog_sources(self) -> SourceRegistry:
        from proximity_tui.config import catalog_sources_dir
        from proximity_tui.services.catalog.sources import SourceRegistry

        return SourceRegistry(catalog_sources_dir())

    async def sync_source(self, name: str, progress: Progress | None = None) -> SyncReport:
        """Sync one catalog source (in a worker thread: files and network) and reload the
        catalog so every screen sees the new entries. Refused for viewers and read-only."""
        self.apps.require_change("sync catalog sources")
        report = await asyncio.to_thread(self.catalog_sources().sync, name, progress=progress)
        await asyncio.to_thread(self.reload_catalog)
        return report

    async def remove_source(self, name: str) -> None:
        self.apps.require_change("remove catalog sources")
        await asyncio.to_thread(self.catalog_sources().remove, name)
        await asyncio.to_thread(self.reload_catalog)

    def reload_catalog(self) -> None:
        """Read the catalog again (bundled, user, synced sources) into the same service object,
        which the app service and every screen hold."""
        from proximity_tui.config import catalog_sources_dir, user_catalog_dir
        from proximity_tui.services.catalog.service import CatalogService

        fresh = CatalogService.load(user_catalog_dir(), sources_dir=catalog_sources_dir())
        self.catalog.replace_with(fresh)

    def close_again(self, wait: float = 900.0) -> bool:
        """Run `close()` to its end after it was interrupted half-way (Ctrl-C while it waited
        for operations): a plain second `close()` would return at once."""
        self._closed = False
        return self.close(wait)

    def close(self, wait: float = 900.0) -> bool:
        """Stop the monitor, let operations in flight end (up to `wait` s), release everything.

        Returns False if some operation was still running when the wait ran out."""
        if self._closed:
            return True
        self._closed = True
        finished = True
        try:
            self.runtime.call(self.monitor.stop(), timeout=10)
        except Exception:  # noqa: BLE001 - closing must go on
            log.exception("stopping the monitor")
        finished = self.runtime.drain(wait)
        try:  # deploys started in the background (start_deploy) are not runtime futures
            finished = self.runtime.call(self.apps.wait_idle(wait), timeout=wait + 5) and finished
        except Exception:  # noqa: BLE001
            finished = False
        try:
            self.runtime.call(self.exec.close(), timeout=10)
        except Exception:  # noqa: BLE001
            log.exception("closing SSH connections")
        self.client.close()
        self.runtime.stop()
        self.db.close()
        if self.simulator is not None:
            self.simulator.stop()
        return finished


async def certificate_fingerprint(host: str, port: int = 8006, *, timeout: float = 5.0) -> str:
    """The host's API certificate fingerprint, read before any services exist (the connect
    screen's explicit trust step)."""
    from proximity_tui.proxmox.client import fetch_fingerprint

    return await fetch_fingerprint(host, port, timeout=timeout)


def build_services(settings: Settings, *, simulator: Stoppable | None = None) -> Services:
    """Everything wired, nothing connected yet (no network I/O here)."""
    from proximity_tui.config import catalog_sources_dir, user_catalog_dir
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.proxmox.exec import ContainerExec
    from proximity_tui.services import log_redaction
    from proximity_tui.services.app_service import AppService
    from proximity_tui.services.catalog.service import CatalogService
    from proximity_tui.services.journal import Journal
    from proximity_tui.services.status import StatusMonitor
    from proximity_tui.services.users import acting_user
    from proximity_tui.store.db import Database

    log_redaction.install()  # before any client exists: proxmoxer logs request bodies
    db = Database.open(settings.db_path)
    runtime = ServiceRuntime().start()
    journal = Journal(db)
    user = acting_user(db)
    catalog = CatalogService.load(user_catalog_dir(), sources_dir=catalog_sources_dir())
    client = ProxmoxClient.from_settings(settings.proxmox)
    exec_ = ContainerExec.from_settings(settings.ssh)
    apps = AppService(
        db=db,
        client=client,
        exec_=exec_,
        catalog=catalog,
        journal=journal,
        user=user,
        deploy_settings=settings.deploy,
        api_user=settings.proxmox.user,
        read_only=settings.ui.read_only,
    )
    monitor = StatusMonitor(client, apps.records, interval=settings.ui.refresh_seconds)
    apps.monitor = monitor
    monitor.busy = apps.busy_apps  # each snapshot says which apps an operation is working on
    # After a refresh, look for what a call whose answer was lost did late (late_effects.py).
    monitor.snapshots.subscribe(lambda snapshot: apps.late.poke() if snapshot.ok else None)
    return Services(
        settings=settings,
        runtime=runtime,
        db=db,
        journal=journal,
        client=client,
        exec=exec_,
        catalog=catalog,
        apps=apps,
        monitor=monitor,
        user=user,
        demo=settings.demo,
        simulator=simulator,
    )
