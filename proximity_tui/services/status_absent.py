"""The status tick's judging of the apps `/cluster/resources` left out: alive after all, hidden
from this token (its status kept, and why), or missing.

A mixin of `StatusMonitor` (`status.py` keeps the ticking and the tick; the diff is
`status_diff.py`): a few absent apps are asked about one by one per tick, before the diff.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlalchemy import select

from proximity_tui.errors import ProxmoxPermissionError
from proximity_tui.store.models import App

if TYPE_CHECKING:
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.proxmox.models import Guest
    from proximity_tui.services.app_records import AppRecords

#: Apps absent from the listing asked about one by one per tick, at most (the others keep their
#: status until their turn), and how long "hidden from this token" holds before asking again.
PROBES_PER_TICK = 8
HIDDEN_HOLD = 60.0


def hidden_reason(vmid: int) -> str:
    return (
        f"Proxmox hides CT {vmid} from this token (no VM.Audit on /vms/{vmid}): its status is "
        f"unknown, not missing; grant VM.Audit on it (`proximity-tui doctor` says how)"
    )


class AbsentJudge:
    if TYPE_CHECKING:  # provided by StatusMonitor
        client: ProxmoxClient
        records: AppRecords
        _hidden: dict[int, float]
        _pending: set[int]
        _known: dict[int, tuple[str, str]] | None

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
