"""Reserving a vmid for a new app row: the database's unique lxc_id settles races between our
own deploys, and Proxmox confirms a vmid free before a row moves to it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from proximity_tui.errors import ConflictError
from proximity_tui.services.app_records import VmidTaken

if TYPE_CHECKING:
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.services.app_records import AppRecords
    from proximity_tui.services.operations.context import OperationContext, StateWrite

VMID_ATTEMPTS = 20


async def reserve_row(
    client: ProxmoxClient,
    records: AppRecords,
    ctx: OperationContext,
    make_row: Callable[[int], dict],
    make_state: Callable[[int], dict],
) -> int:
    """Insert the app row with the next free vmid; its unique lxc_id settles races. The
    operation's state (`make_state(vmid)`: what its undo needs) is saved in the same
    transaction: a row exists exactly when the journal says it was reserved."""
    vmid = await client.next_vmid()
    for _ in range(VMID_ATTEMPTS):
        ctx.check_cancelled()
        try:
            row = make_row(vmid)
            await ctx.save_state_with(partial(_reserve, records, row), **make_state(vmid))
            return vmid
        except VmidTaken:
            vmid = await free_vmid_after(client, records, vmid)
    raise ConflictError("could not reserve a free vmid")


async def _reserve(records: AppRecords, row: dict, also: StateWrite) -> None:
    await records.reserve(**row, also=also)


async def move_reservation(
    client: ProxmoxClient, records: AppRecords, ctx: OperationContext, app_id: str, old: int
) -> int:
    """Proxmox says `old` is in use (another Proximity with its own database, or someone in
    the web UI, created it after we reserved it): move the app row to a free vmid."""
    vmid = await free_vmid_after(client, records, old)
    for _ in range(VMID_ATTEMPTS):
        ctx.check_cancelled()
        try:
            await records.change_vmid(app_id, old, vmid)
            await ctx.save_state(vmid=vmid)
            return vmid
        except VmidTaken:
            vmid = await free_vmid_after(client, records, vmid)
    raise ConflictError("could not find a free vmid")


async def free_vmid_after(client: ProxmoxClient, records: AppRecords, vmid: int) -> int:
    """The next vmid no app row holds (skipped without asking Proxmox: their CTs may not
    exist yet) and Proxmox confirms free."""
    taken = await records.vmids_from(vmid)
    vmid += 1
    while vmid in taken or not await client.vmid_free(vmid):
        vmid += 1
    return vmid


async def keep_row_as_error(
    records: AppRecords, ctx: OperationContext, app_id: str, kind: str
) -> str:
    """The undo that should have destroyed the new CT failed: deleting the app row now would
    leave an orphan container nobody lists. Keep the row as `error`, saying what to do."""
    vmid, node = ctx.state.get("vmid"), ctx.state.get("node")
    reason = (
        f"the {kind} failed and its CT {vmid} on {node} could not be destroyed: "
        "delete the app to remove it"
    )
    await records.set_status(app_id, "error", reason=reason)
    return f"kept the app row {app_id} as error: CT {vmid} could not be destroyed"
