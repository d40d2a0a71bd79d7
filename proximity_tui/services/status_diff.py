"""The status tick's diff, in a worker thread: the listing against the `apps` rows, at most one
write transaction, and the `StatusSnapshot` with each app's view, live figures, history points
and the orphans.

A mixin of `StatusMonitor` (`status.py` keeps the ticking and the tick). Per tick the database
is read with one light query (id, vmid, status, updated_at), and not even that while the apps
table did not change (`status_rows.AppRows`); full rows are re-read only for apps whose row
changed, so a quiet cluster of 1,000 apps costs little.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from proximity_tui.services.app_records import MONITORED, to_view
from proximity_tui.services.containers import TAG
from proximity_tui.services.status_absent import hidden_reason
from proximity_tui.services.status_rows import Slot, desired_status, history_columns, with_live
from proximity_tui.store.models import App
from proximity_tui.views import AppView, LiveStatus, OrphanView, StatusSnapshot

if TYPE_CHECKING:
    from proximity_tui.proxmox.models import Guest
    from proximity_tui.services.app_records import AppRecords
    from proximity_tui.services.history import HistoryBook
    from proximity_tui.services.status_rows import AppRows


class StatusDiff:
    if TYPE_CHECKING:  # provided by StatusMonitor (its __init__ says what each holds)
        records: AppRecords
        latest: StatusSnapshot | None
        _views: dict[str, AppView]
        _rows: AppRows
        _slots: dict[str, Slot]
        _order: list[Slot]
        _columns: dict[str, int]
        _stamps: dict[str, datetime | None]
        _history: HistoryBook
        _hidden: dict[int, float]
        _pending: set[int]
        _known: dict[int, tuple[str, str]] | None
        _rows_seen: list | None
        _vmids: frozenset[int]
        _made: StatusSnapshot | None

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
        """The stored statuses the listing changes: (app id, new status). While the rows are
        those the slots were bound to, from the slots (each holds its row's status)."""
        changes: list[tuple[str, str]] = []
        listed = by_vmid.get
        if rows is self._rows_seen:
            for slot in self._order:
                guest = listed(slot.vmid)
                if guest is not None and guest.status == slot.status:
                    continue  # the listing agrees with the row: nothing to decide (most rows)
                _decide_row(
                    changes, slot.app_id, slot.vmid, slot.status, slot.updated, guest, now, hidden
                )
            return changes
        for app_id, vmid, status, updated, _node in rows:
            guest = listed(vmid)
            if guest is not None and guest.status == status:
                continue
            _decide_row(changes, app_id, vmid, status, updated, guest, now, hidden)
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
        # The history's points: each app's LiveStatus in the slots' order (None: not listed).
        points: list[LiveStatus | None] = []
        absent = False
        for slot in self._order:
            app_id = slot.app_id
            guest = listed(slot.vmid)
            working = busy.get(app_id) if busy else None
            if guest is None:
                absent = True
                points.append(None)
                apps[app_id] = gone = self._absent(slot, prev(app_id), working, hidden)
                if gone is not prev(app_id):
                    changed.append(app_id)
                continue
            # A CT whose figures did not move keeps its LiveStatus and, while its row and busy
            # pair are the same too, the very AppView published last tick (pvestatd updates the
            # figures every 10 s; the tick runs every 3 s).
            figures = guest.__dict__
            out: AppView | None = slot.out
            # The same dict when the client handed out the last guest again (its row did not
            # change); else a comparison that stops at `cpu` for a CT that moved (from_api).
            if figures is not slot.figures and figures != slot.figures:
                slot.live = guest  # a Guest is the LiveStatus (views.py): no copy
                slot.figures = figures
                out = None
            points.append(slot.live)
            if out is None or working != slot.work or not (ours or prev(app_id) is out):
                out = slot.out = with_live(slot.view, slot.live, working, slot.own)
                slot.work = working
                changed.append(app_id)
            apps[app_id] = out
        self._history.add_tick(self._columns, *history_columns(points, absent))
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
        for app_id, vmid, status, updated, _node in rows:
            view = self._views[app_id]
            slot = slots.get(app_id)
            if slot is None:
                slot = slots[app_id] = Slot(app_id, vmid, view, status, updated)
                self._history.track(app_id)
            else:
                slot.bind(vmid, view, status, updated)
            order.append(slot)
        for gone in slots.keys() - self._views.keys():
            del slots[gone]
        self._order = order
        # Where each app sits in a tick's history columns: a new map when the slots change.
        self._columns = {slot.app_id: i for i, slot in enumerate(order)}

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


def _decide_row(
    changes: list[tuple[str, str]],
    app_id: str,
    vmid: int,
    status: str,
    updated: datetime | None,
    guest: Guest | None,
    now: datetime,
    hidden: set[int],
) -> None:
    """Appends (app id, new status) when the listing changes this row's status."""
    if updated is not None and updated > now:
        # Changed after we asked Proxmox (a deploy recorded its app meanwhile): the listing may
        # predate its CT. The next tick judges it.
        return
    want = desired_status(status, guest, hidden=vmid in hidden)
    if want != status:
        changes.append((app_id, want))
