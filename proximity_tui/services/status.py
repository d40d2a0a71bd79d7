"""StatusMonitor: one `/cluster/resources` call per tick keeps the database and the UI current.

Each tick asks Proxmox for every guest of the cluster in one call (whatever the number of apps),
diffs the answer against the `apps` table in one transaction (running / stopped / `missing` when
the container vanished), keeps a bounded CPU and memory history per app, spots orphans (containers
tagged `proximity` that no app row knows) and publishes a `StatusSnapshot`. While Proxmox fails,
the interval doubles up to `max_interval` and snapshots say so (`ok=False`, the last success, the
last known figures marked stale); the first good answer brings the normal interval back.

Per tick the database is read with one light query (id, vmid, status, updated_at); full rows are
re-read only for apps whose row changed, so a quiet cluster of 1,000 apps costs little.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from proximity_tui.errors import ProxmoxPermissionError
from proximity_tui.services.app_records import MONITORED, to_view
from proximity_tui.services.containers import TAG
from proximity_tui.services.events import Hub, utcnow
from proximity_tui.services.history import History, HistoryBook
from proximity_tui.services.operations.pipeline import describe
from proximity_tui.services.status_rows import (
    AppRows,
    Slot,
    desired_status,
    settle_gc,
    with_live,
)
from proximity_tui.store.models import App
from proximity_tui.views import AppView, LiveStatus, OrphanView, StatusSnapshot

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
#: Apps absent from the listing asked about one by one per tick, at most (the others keep their
#: status until their turn), and how long "hidden from this token" holds before asking again.
PROBES_PER_TICK = 8
HIDDEN_HOLD = 60.0


def hidden_reason(vmid: int) -> str:
    return (
        f"Proxmox hides CT {vmid} from this token (no VM.Audit on /vms/{vmid}): its status is "
        f"unknown, not missing; grant VM.Audit on it (`proximity-tui doctor` says how)"
    )


class StatusMonitor:
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

    async def _judge(self, listed: Mapping[int, Guest]) -> list[Guest]:
        """Ask `status/current` about apps the listing left out, before calling them missing.

        `/cluster/resources` silently drops every guest the caller lacks VM.Audit on (pve-manager
        PVE/API2/Cluster.pm resources: `$rpcenv->check($authuser, "/vms/$vmid", ['VM.Audit'],
        1)`), so with a privilege-separated token an absent CT may be alive. status/current then
        answers (visible after all), says the CT does not exist (missing), or refuses with 403
        (it needs VM.Audit too). Then `GET /cluster/nextid?vmid=N`, open to every user
        (`permissions => { user => 'all' }`, same file), tells: a free vmid means the CT is gone
        (missing); a taken one means it exists but is hidden from us: its app keeps its status
        and says why, asked again after HIDDEN_HOLD s. Returns the guests that answered."""
        if self._known is None:
            self._known = await asyncio.to_thread(self._read_known)
        now = time.monotonic()
        # Usually every app is listed: a subset test (C-level, no set built) says so.
        absent = () if self._known.keys() <= listed.keys() else self._known.keys() - listed.keys()
        ask = [
            (vmid, node)
            for vmid, (node, status) in (self._known.items() if absent else ())
            if status in ("running", "stopped")
            and vmid in absent
            and self._hidden.get(vmid, 0.0) <= now
        ]
        self._pending = {vmid for vmid, _ in ask[PROBES_PER_TICK:]}
        seen: list[Guest] = []
        for vmid, node in ask[:PROBES_PER_TICK]:
            try:
                seen.append(await self.client.ct_status(node, vmid))
                self._hidden.pop(vmid, None)
            except ProxmoxPermissionError:
                if not await self._vmid_free(vmid):
                    self._hidden[vmid] = time.monotonic() + HIDDEN_HOLD
            except Exception:  # noqa: BLE001 - gone, or unreachable: the listing decides
                self._hidden.pop(vmid, None)
        return seen

    async def _vmid_free(self, vmid: int) -> bool:
        try:
            return await self.client.vmid_free(vmid)
        except Exception:  # noqa: BLE001 - cannot tell: hidden is the cautious verdict
            return False

    def _read_known(self) -> dict[int, tuple[str, str]]:
        with self.records.db.session(readonly=True) as s:
            rows = s.execute(select(App.lxc_id, App.node, App.status)).all()
        return {vmid: (node, status) for vmid, node, status in rows}

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

    def _apply(
        self,
        guests: list[Guest],
        now: datetime,
        busy: Mapping[str, tuple[int, str]] | None = None,
    ) -> StatusSnapshot:
        """The tick's diff of a listing (the tick itself calls `_diff` with its index)."""
        return self._diff({g.vmid: g for g in guests if g.type == "lxc"}, now, busy)

    def _diff(
        self,
        by_vmid: dict[int, Guest],
        now: datetime,
        busy: Mapping[str, tuple[int, str]] | None = None,
    ) -> StatusSnapshot:
        """Runs in a worker thread: diff, at most one write transaction, the snapshot. `by_vmid`:
        the listing's CTs by vmid."""
        moment = time.monotonic()
        hidden = {v for v, until in self._hidden.items() if until > moment} | self._pending
        rows = self._read_rows()
        changes = self._decide(rows, by_vmid, now, hidden)
        if changes:
            rows = self._write(changes, now)
        rebound = rows is not self._rows_seen  # the same list while the apps table did not change
        if rebound:
            self._rebind(rows)
        return self._publish(by_vmid, now, busy, hidden, rebound)

    def _read_rows(self) -> list:
        rows = self._rows.unchanged(self.records.db)  # most ticks: no session needed
        if rows is not None:
            return rows
        with self.records.db.session(readonly=True) as s:
            return self._rows.read(s)

    def _write(self, changes: list[tuple[str, str]], now: datetime) -> list:
        self.records.apply_statuses(changes, not_after=now)
        return self._read_rows()

    def _rebind(self, rows: list) -> None:
        """The apps rows changed: what is derived from them (full rows re-read where changed)."""
        self._known = {vmid: (node, status) for _, vmid, status, _, node in rows}
        self._vmids = frozenset(self._known)
        self._refresh_views(rows)
        self._bind_slots(rows)
        self._rows_seen = rows

    def _decide(
        self, rows: list, by_vmid: dict[int, Guest], now: datetime, hidden: set[int]
    ) -> list[tuple[str, str]]:
        """The stored statuses the listing changes: (app id, new status)."""
        changes = []
        listed = by_vmid.get
        for app_id, vmid, status, updated, _node in rows:
            guest = listed(vmid)
            if guest is not None and guest.status == status:
                continue  # the listing agrees with the row: nothing to decide (most rows)
            if updated is not None and updated > now:
                # Changed after we asked Proxmox (a deploy recorded its app meanwhile): the
                # listing may predate its CT. The next tick judges it.
                continue
            want = desired_status(status, guest, hidden=vmid in hidden)
            if want != status:
                changes.append((app_id, want))
        return changes

    def _publish(
        self,
        by_vmid: dict[int, Guest],
        now: datetime,
        busy: Mapping[str, tuple[int, str]] | None,
        hidden: set[int],
        rebound: bool,
    ) -> StatusSnapshot:
        """Each app's view with its live figures, the history's points, orphans: the snapshot.
        `rebound`: the apps rows changed since the last snapshot."""
        listed = by_vmid.get
        previous = self.latest.apps if self.latest is not None else {}
        prev = previous.get
        # The last snapshot is this diff's last one: every slot's `out` is what it published
        # (after a failed tick, or a snapshot set from outside, each app is compared instead).
        ours = self.latest is not None and self.latest is self._made
        apps: dict[str, AppView] = {}
        changed: list[str] = []
        # The history's points: each app's ring (kept in its slot) and its LiveStatus.
        rings: list[History] = []
        points: list[LiveStatus] = []
        for slot in self._order:
            app_id = slot.app_id
            guest = listed(slot.vmid)
            working = busy.get(app_id) if busy else None
            if guest is None:
                apps[app_id] = gone = self._absent(slot, prev(app_id), working, hidden)
                if gone is not prev(app_id):
                    changed.append(app_id)
                continue
            # A CT whose figures did not move keeps its LiveStatus and, while its row and busy
            # pair are the same too, the very AppView published last tick (pvestatd updates the
            # figures every 10 s; the tick runs every 3 s).
            figures = guest.__dict__
            out: AppView | None = slot.out
            if figures != slot.figures:  # stops at `cpu` for a CT that moved (Guest.from_api)
                slot.live = live = guest  # a Guest is the LiveStatus (views.py): no copy
                slot.figures = figures
                out = None
            else:
                live = slot.live  # type: ignore[assignment]
            rings.append(slot.ring)
            points.append(live)
            if out is None or working != slot.work or not (ours or prev(app_id) is out):
                out = slot.out = with_live(slot.view, live, working)
                slot.work = working
                changed.append(app_id)
            apps[app_id] = out
        self._history.add_points(rings, points)
        unknown = by_vmid.keys() - self._vmids  # C-level: the CTs no app knows (few)
        orphans = tuple(
            OrphanView(vmid=g.vmid, node=g.node, name=g.name, status=g.status)
            for g in sorted((by_vmid[v] for v in unknown), key=lambda g: g.vmid)
            if TAG in g.tags
        )
        # The same slots as the last snapshot of ours: no app left (no 5,000-key difference).
        same = ours and not rebound
        self._made = snapshot = StatusSnapshot(
            taken_at=now,
            ok=True,
            apps=apps,
            orphans=orphans,
            last_success=now,
            history=self._history,
            changed=frozenset(changed),
            removed=frozenset() if same else frozenset(previous.keys() - apps.keys()),
        )
        return snapshot

    def _absent(
        self,
        slot: Slot,
        old: AppView | None,
        working: tuple[int, str] | None,
        hidden: set[int],
    ) -> AppView:
        """The view of an app whose CT the listing left out (rare): no live figures, and why
        when Proxmox hides the CT from us; last snapshot's view when nothing differs."""
        slot.figures = slot.live = None
        view = slot.view
        if slot.vmid in hidden and view.status in MONITORED:
            view = replace(view, reason=hidden_reason(slot.vmid))
        if not (
            old is not None
            and not old.stale
            and old.live is None
            and old.updated_at == view.updated_at
            and old.status == view.status
            and (old.busy_op, old.busy_kind) == (working or (None, None))
            and old.reason == view.reason
        ):
            old = with_live(view, None, working)
        slot.out, slot.work = old, working
        return old

    def _bind_slots(self, rows) -> None:
        """One slot per app row, in the rows' order, bound to its (possibly re-read) view."""
        slots, order = self._slots, []
        for app_id, vmid, *_ in rows:
            view = self._views[app_id]
            slot = slots.get(app_id)
            if slot is None:
                slot = slots[app_id] = Slot(app_id, vmid, view, self._history.ring(app_id))
            else:
                slot.bind(vmid, view)
            order.append(slot)
        for gone in slots.keys() - self._views.keys():
            del slots[gone]
        self._order = order

    def _refresh_views(self, rows) -> None:
        """Re-read full rows only for apps that are new or whose row changed."""
        ids = {r[0] for r in rows}
        for gone in set(self._views) - ids:
            self._views.pop(gone, None)
            self._stamps.pop(gone, None)
            self._history.forget(gone)
        stale = [r[0] for r in rows if self._stamps.get(r[0], 0) != r[3]]
        if not stale:
            return
        with self.records.db.session(readonly=True) as s:
            for chunk_start in range(0, len(stale), 500):
                chunk = stale[chunk_start : chunk_start + 500]
                for app in s.scalars(select(App).where(App.id.in_(chunk))):
                    self._views[app.id] = to_view(app)
                    self._stamps[app.id] = app.updated_at
