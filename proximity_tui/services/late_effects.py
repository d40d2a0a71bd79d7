"""Late effects: calls whose answer was lost, carried out by Proxmox after their operation ended.

A call that timed out, or whose connection dropped, may still run: pveproxy reads the whole
request before it handles it, and the worker it starts runs to its end whether or not the client
still waits (pve-http-server src/PVE/APIServer/AnyEvent.pm). An operation's undo watches for the
effect for `late_grace` seconds; whatever comes later is found here. The operation names what to
look for in its saved state (`expect_late` in operations/late.py; the journal keeps it), and each
watch is looked at about every CHECK_EVERY s, after a status refresh, until its effect is found
and handled (operations/late.py) or LATE_HORIZON s have passed since the operation ended:

- `ct`: a CT a deploy or clone asked for, created after it rolled back: destroyed, if it is still
  ours (our app id in its description) and no app holds its vmid.
- `snapshot`: an update's rollback snapshot, taken after the update ended: removed.
- `backup`: a vzdump archive made after its backup (or the update that wanted it as its rollback
  point) failed: recorded as the app's backup, never deleted, since one a scheduled job made in
  the same window could not be told apart.

Watches come from the operations this process ran and, every RELOAD_EVERY s, from the journal
(another process's operation, or this one's before a restart).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from proximity_tui.errors import BusyError, NotFoundError, ProximityError, ProxmoxError
from proximity_tui.services.operations.late import (
    Late,
    destroy_late_ct,
    drop_late_snapshot,
    record_late_backup,
)

if TYPE_CHECKING:
    from proximity_tui.services.app_service import AppService

log = logging.getLogger(__name__)

#: How long after its operation ended a lost call may still show its effect. pvedaemon's workers
#: have no deadline of their own; a call queued behind a locked CT can wait minutes.
LATE_HORIZON = 15 * 60.0
CHECK_EVERY = 5.0
RELOAD_EVERY = 30.0
#: Statuses of an operation that may have left a watch (a success left none).
_ENDED_BADLY = ("failed", "rolled_back", "interrupted")


@dataclass
class Watch:
    op_id: int
    kind: str
    node: str
    vmid: int
    until: float  # wall-clock seconds
    app_id: str | None = None
    hostname: str | None = None
    name: str = ""  # the snapshot
    storage: str = ""
    before: tuple[str, ...] = ()  # the archives there before the vzdump call

    @classmethod
    def of(cls, op_id: int, item: dict[str, Any], ended: float) -> Watch:
        return cls(
            op_id=op_id,
            kind=str(item["kind"]),
            node=str(item["node"]),
            vmid=int(item["vmid"]),
            until=ended + LATE_HORIZON,
            app_id=item.get("app_id"),
            hostname=item.get("hostname"),
            name=str(item.get("name") or ""),
            storage=str(item.get("storage") or ""),
            before=tuple(item.get("before") or ()),
        )


class LateEffects:
    def __init__(self, apps: AppService) -> None:
        self._apps = apps
        self._watches: dict[tuple[int, int], Watch] = {}
        self._done: set[tuple[int, int]] = set()
        self._reloaded = float("-inf")
        self._checked = float("-inf")
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> list[Watch]:
        return list(self._watches.values())

    def watch_from(self, op_id: int, state: dict[str, Any], ended: float | None = None) -> None:
        """Take the watches an operation named (`expect_late`) when it ended."""
        ended = time.time() if ended is None else ended
        for i, item in enumerate(state.get("late") or ()):
            key = (op_id, i)
            if key in self._done or key in self._watches:
                continue
            try:
                watch = Watch.of(op_id, item, ended)
            except (KeyError, TypeError, ValueError):  # written by another version: skip it
                self._done.add(key)
                continue
            if watch.until > time.time():
                self._watches[key] = watch
                self._checked = float("-inf")  # a new watch is looked at on the next refresh

    def poke(self) -> None:
        """After a status refresh: start a sweep when one is due (cheap when nothing is)."""
        if self._task is not None and not self._task.done():
            return
        now = time.monotonic()
        due = now - self._reloaded >= RELOAD_EVERY or (
            self._watches and now - self._checked >= CHECK_EVERY
        )
        if not due:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # published from a thread: the next refresh on the loop will do
            return
        self._task = loop.create_task(self.sweep())

    def running(self) -> set[asyncio.Task[None]]:
        return {self._task} if self._task is not None and not self._task.done() else set()

    async def settled(self) -> None:
        """Until the sweep under way (if any) has ended."""
        if self._task is not None:
            await asyncio.wait({self._task})

    async def sweep(self, *, reload: bool = False) -> None:
        """Look at every watch once; read the journal's first when due (or `reload`). A session
        that may not change anything leaves them to one that may (as crash recovery does)."""
        if not self._apps.can_change:
            return
        now = time.monotonic()
        if reload or now - self._reloaded >= RELOAD_EVERY:
            self._reloaded = now
            await self._reload()
        self._checked = now
        for key, watch in list(self._watches.items()):
            if time.time() > watch.until:
                self._forget(key)
                continue
            try:
                handled = await self._look(watch)
            except BusyError:  # an operation holds the app or the CT: look again later
                handled = False
            except ProximityError as exc:  # unreachable now, or the cleanup failed (journaled)
                log.warning("late effect of operation #%d: %s", watch.op_id, exc)
                handled = not isinstance(exc, ProxmoxError | NotFoundError)
            if handled:
                self._forget(key)

    def _forget(self, key: tuple[int, int]) -> None:
        self._watches.pop(key, None)
        self._done.add(key)

    async def _reload(self) -> None:
        journal = self._apps.journal
        try:
            ops = await asyncio.to_thread(journal.list, limit=20, status=_ENDED_BADLY)
        except ProximityError as exc:  # the database is busy: next time
            log.warning("late effects: reading the journal: %s", exc)
            return
        for op in ops:
            state = (op.result or {}).get("state") or {}
            if state.get("late"):
                self.watch_from(op.id, state, _ended(op.finished_at))

    async def _look(self, watch: Watch) -> bool:
        """Handle the watch's effect if it is there; True when nothing more is to come."""
        apps, deps = self._apps, self._apps.deps()
        late = Late(watch.op_id, watch.node, watch.vmid, watch.app_id, watch.hostname)
        if watch.kind == "ct":
            if await deps.containers.status(watch.node, watch.vmid) is None:
                return False
            if watch.vmid in await deps.records.vmids_from(watch.vmid):
                return True  # an app holds that vmid now: not debris
            owned = await deps.containers.owned_by(
                watch.node, watch.vmid, watch.app_id or "", watch.hostname
            )
            if owned:
                await _run(apps, destroy_late_ct(deps, late))
            return True
        if watch.kind == "snapshot":
            if watch.app_id in apps.busy_apps():
                return False
            if await deps.containers.status(watch.node, watch.vmid) is None:
                return True
            names = {s.name for s in await deps.client.snapshots(watch.node, watch.vmid)}
            if watch.name not in names:
                return False
            late = replace(late, snapshot=watch.name)
            await _run(apps, drop_late_snapshot(deps, late))
            return True
        if watch.kind == "backup":
            if watch.app_id is None:
                return True
            try:
                recorded = {b.volid for b in await deps.records.backups(watch.app_id)}
            except NotFoundError:
                return True  # the app is gone: its archive stays on the storage, listed there
            made = [
                v
                for v in await deps.client.backups(watch.node, watch.storage, watch.vmid)
                if v.volid not in watch.before
            ]
            if not made:
                return False
            fresh = [v for v in made if v.volid not in recorded]
            if fresh:  # one vzdump call makes one archive
                volume = fresh[0]
                late = replace(late, storage=watch.storage, volid=volume.volid, size=volume.size)
                await _run(apps, record_late_backup(deps, late))
            return True
        return True  # a kind this version does not know


async def _run(apps: AppService, spec: Any) -> None:
    try:
        await apps.run_operation(spec)
    except BusyError:
        raise
    except ProximityError as exc:  # the operation failed and says so in the journal
        log.warning("%s: %s", spec.kind, exc)


def _ended(finished_at: datetime | None) -> float:
    return finished_at.timestamp() if finished_at is not None else time.time()
