"""StatusMonitor: one `/cluster/resources` call per tick keeps the database and the UI current.

Each tick asks Proxmox for every guest of the cluster in one call (whatever the number of apps),
diffs the answer against the `apps` table in one transaction (running / stopped / `missing` when
the container vanished), keeps a bounded CPU and memory history per app, spots orphans (containers
tagged `proximity` that no app row knows) and publishes a `StatusSnapshot`. While Proxmox fails,
the interval doubles up to `max_interval` and snapshots say so (`ok=False`, the last success, the
last known figures marked stale); the first good answer brings the normal interval back.

This module keeps the ticking (its pace, asked ticks, what operations confirmed) and the tick; the
same object's mixins judge the apps the listing left out (`status_absent.py`) and make the diff
and the snapshot (`status_diff.py`, the per-row work in `status_rows.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from proximity_tui.services.events import Hub, utcnow
from proximity_tui.services.history import HistoryBook
from proximity_tui.services.operations.pipeline import describe
from proximity_tui.services.status_absent import AbsentJudge
from proximity_tui.services.status_diff import StatusDiff
from proximity_tui.services.status_rows import AppRows, Slot, settle_gc
from proximity_tui.views import AppView, StatusSnapshot

if TYPE_CHECKING:
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.proxmox.models import Guest
    from proximity_tui.services.app_records import AppRecords

log = logging.getLogger(__name__)


#: Slowest polling while Proxmox fails: one cheap GET, and the stale banner clears within this
#: many seconds once Proxmox answers again.
MAX_INTERVAL = 15.0
#: Seconds between ticks while nobody watches the figures (the terminal lost focus, or no screen
#: showing them is up): pvestatd's round, the pace /cluster/resources changes at on a real host
#: (pve-manager PVE/Service/pvestatd.pm: `my $updatetime = 10`).
RELAXED_INTERVAL = 10.0
#: Seconds what an operation saw (`confirm`) wins over a listing that still shows the old state:
#: two pvestatd rounds and a tick.
CONFIRM_HOLD = 25.0


class StatusMonitor(StatusDiff, AbsentJudge):
    def __init__(
        self,
        client: ProxmoxClient,
        records: AppRecords,
        *,
        interval: float = 3.0,
        max_interval: float = MAX_INTERVAL,
        history: int = 60,
    ) -> None:
        self.client = client
        self.records = records
        self.interval = interval
        self.max_interval = max_interval
        self.history_size = history
        self.snapshots: Hub[StatusSnapshot] = Hub()
        self.latest: StatusSnapshot | None = None
        self.current_interval = interval
        #: Nobody watches the figures: tick every RELAXED_INTERVAL s at most (see `relax`).
        self.relaxed = False
        self.ticks = 0
        self._views: dict[str, AppView] = {}
        self._rows = AppRows()  # the light apps query, re-read when the table changed
        # Per app id what the tick keeps between ticks (figures, LiveStatus, published view),
        # and the same slots in the apps rows' order.
        self._slots: dict[str, Slot] = {}
        self._order: list[Slot] = []
        #: app id -> its position in the slots' order (and in each tick's history columns).
        self._columns: dict[str, int] = {}
        self._stamps: dict[str, datetime | None] = {}
        self._history = HistoryBook(history)
        self._last_success: datetime | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Callers of `fresh()` waiting for a tick that starts after they asked.
        self._waiters: list[asyncio.Future[None]] = []
        #: app id -> (operation id, kind) of the operations running now (set by AppService).
        self.busy: Callable[[], Mapping[str, tuple[int, str]]] | None = None
        #: vmid -> (what `status/current` said after an operation, loop time it holds until).
        self._confirmed: dict[int, tuple[Guest, float]] = {}
        #: vmid -> monotonic time until which it counts as hidden from us (403 on status/current).
        self._hidden: dict[int, float] = {}
        #: vmids left out of the listing and not asked about yet this tick (status kept).
        self._pending: set[int] = set()
        #: vmid -> (node, stored status) of every app at the last tick (None: not read yet).
        self._known: dict[int, tuple[str, str]] | None = None
        #: The rows `_known`, `_vmids` and the views were last derived from, and their vmids.
        self._rows_seen: list | None = None
        self._vmids: frozenset[int] = frozenset()
        #: The last snapshot `_diff` made (see `ours` there).
        self._made: StatusSnapshot | None = None

    # --- running ---

    def start(self) -> None:
        """Start ticking on the running loop (the service loop)."""
        if self._task is not None and not self._task.done():
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = self._loop.create_task(self._run(), name="status-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def refresh_now(self) -> None:
        """Ask for a tick as soon as possible (thread-safe)."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def relax(self, relaxed: bool) -> None:
        """Thread-safe. Relaxed, the monitor waits at least RELAXED_INTERVAL s between ticks
        (asked ticks, `refresh_now` and `fresh`, still come at once); back to normal, it ticks
        now, so whoever looks again sees current figures."""
        was, self.relaxed = self.relaxed, relaxed
        if was and not relaxed:
            self.refresh_now()

    def pause(self) -> float:
        """Seconds until the next tick nobody asked for."""
        wait = self.current_interval
        return max(wait, RELAXED_INTERVAL) if self.relaxed else wait

    async def fresh(self, timeout: float = 10.0) -> None:
        """Ask for a tick now and wait until a tick that started after this call has published
        its snapshot (or `timeout`). Returns at once when the monitor is not running."""
        if not self.running or self._wake is None:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._wake.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(waiter), timeout)

    async def confirm(self, node: str, vmid: int) -> None:
        """An operation just changed this CT. `/cluster/resources` shows what pvestatd gathered
        last (up to ~10 s old on a real host), so ask `status/current`, which is current, and
        show that until the listing agrees (or CONFIRM_HOLD s pass); then wait for a tick."""
        if not self.running:
            return
        try:
            guest = await self.client.ct_status(node, vmid)
        except Exception:  # noqa: BLE001 - unreachable or gone: the listing decides
            guest = None
        if guest is not None:
            loop = asyncio.get_running_loop()
            self._confirmed[vmid] = (guest, loop.time() + CONFIRM_HOLD)
        await self.fresh()

    def _overlay(self, guests: list[Guest]) -> list[Guest]:
        """The listing with what operations confirmed since, where it still lags behind."""
        if not self._confirmed:
            return guests
        now = asyncio.get_running_loop().time()
        index = {g.vmid: i for i, g in enumerate(guests)}
        out = list(guests)
        for vmid, (guest, until) in list(self._confirmed.items()):
            i = index.get(vmid)
            listed = out[i] if i is not None else None
            if now >= until or (listed is not None and listed.status == guest.status):
                del self._confirmed[vmid]  # the listing caught up (or we stop insisting)
                continue
            seen = replace(guest, tags=listed.tags, name=listed.name) if listed else guest
            if i is None:
                out.append(seen)
            else:
                out[i] = seen
        return out

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            # Cleared before the tick: a request made during it gets a tick of its own.
            self._wake.clear()
            waiting, self._waiters = self._waiters, []
            try:
                await self.tick()
            finally:
                for waiter in waiting:
                    if not waiter.done():
                        waiter.set_result(None)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.pause())

    # --- one tick ---

    async def tick(self) -> StatusSnapshot:
        now = utcnow()
        self.ticks += 1
        try:
            guests = await self.client.cluster_resources("vm")
        except Exception as exc:  # any failure to reach Proxmox: stale data, slower polling
            self.current_interval = min(self.current_interval * 2, self.max_interval)
            snapshot = self._failed(now, describe(exc))
        else:
            self.current_interval = self.interval
            self._last_success = now
            busy = dict(self.busy()) if self.busy is not None else {}
            # One vmid index of the CTs, for the judging of absent apps and the diff.
            listed = {g.vmid: g for g in self._overlay(guests) if g.type == "lxc"}
            for seen in await self._judge(listed):
                listed[seen.vmid] = seen
            snapshot = await asyncio.to_thread(self._diff, listed, now, busy)
            # The first full tick made what start-up keeps; the threshold follows the app count.
            settle_gc(len(snapshot.apps))
        self.latest = snapshot
        self.snapshots.publish(snapshot)
        return snapshot

    def _failed(self, now: datetime, error: str) -> StatusSnapshot:
        previous = self.latest
        apps = {k: replace(v, stale=True) for k, v in (previous.apps if previous else {}).items()}
        return StatusSnapshot(
            taken_at=now,
            ok=False,
            apps=apps,
            orphans=previous.orphans if previous else (),
            error=error,
            last_success=self._last_success,
            retry_in=self.current_interval,  # already the longer wait after this failure
            history=previous.history if previous else {},
            changed=frozenset(apps) if previous and previous.ok else frozenset(),
        )
