"""Recovery at start: operations left `running` by a process that died are resolved first.

The journal knows which operations belong to a dead process (same host, pid gone). For each, the
state it saved before every risky action says how far it got:
- deploy / clone: if the app was recorded as running it is kept; otherwise the container (found by
  vmid, and only if it carries this app's tag and id, or its hostname) is destroyed, the app row is
  removed, and a clone's temporary snapshot on its source is deleted;
- update: the container is rolled back to the snapshot taken before the update, if it exists;
- delete: the row goes if the container is gone, else the app is marked `error`;
- anything else: the app's status is re-read from Proxmox.
The operation then ends `interrupted`, with what was undone written into its log and result.
A session that may not change things (read-only mode, a viewer) undoes nothing and claims
nothing: it reports each orphaned operation, left for a session that may change things.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from proximity_tui.errors import NotFoundError, PermissionDenied, ProximityError
from proximity_tui.services.containers import ROLLBACK_START_WAIT
from proximity_tui.services.docker_base import BASE_TAG, HEADER
from proximity_tui.services.operations.context import OperationContext
from proximity_tui.services.operations.pipeline import describe

if TYPE_CHECKING:
    from proximity_tui.services.journal import OperationRecord
    from proximity_tui.services.operations.context import Operations
    from proximity_tui.services.operations.shape import OperationDeps

log = logging.getLogger(__name__)


async def recover(
    deps: OperationDeps, ops: Operations, *, refused: PermissionDenied | None = None
) -> list[str]:
    """Resolve every orphaned operation; returns one sentence per operation for the user.
    `refused`: why this session may not change things (then each is only reported)."""
    notes = []
    orphaned = await asyncio.to_thread(ops.journal.orphaned)
    if orphaned and refused is not None:
        return [
            f"{op.kind} #{op.id} of {op.hostname or op.app_id} was interrupted"
            f"{f' at step {op.step}' if op.step else ''} and is left as it is ({refused}); "
            "a session that may change things will undo it"
            for op in orphaned
        ]
    for op in orphaned:
        if not await asyncio.to_thread(ops.journal.claim, op.id, op.pid):
            continue  # another process, started at the same time, is resolving it
        notes.append(await _recover_one(deps, ops, op))
    return notes


async def _recover_one(deps: OperationDeps, ops: Operations, op: OperationRecord) -> str:
    ctx = OperationContext(ops, op.id, op.kind, app_id=op.app_id, hostname=op.hostname)
    ctx.state = dict((op.result or {}).get("state") or {})
    ctx.step = op.step
    undone: list[str] = []
    problems: list[str] = []
    try:
        if op.kind in ("deploy", "clone"):
            await _undo_creation(deps, ctx, op, undone)
        elif op.kind == "prepare":
            await _unfinished_base(deps, ctx, ctx.state, undone)
        elif op.kind == "update":
            await _undo_update(deps, ctx, op, undone)
        elif op.kind == "delete":
            await _finish_delete(deps, ctx, op, undone)
        else:
            await _resync(deps, ctx, op, undone)
    except ProximityError as exc:
        problems.append(describe(exc))
        ctx.log(f"recovery could not finish: {describe(exc)}", level="error")
    summary = "; ".join(undone) if undone else "nothing needed undoing"
    where = f" at step {op.step}" if op.step else ""
    message = f"{op.kind} #{op.id} of {op.hostname or op.app_id} was interrupted{where}: {summary}"
    if problems:
        message += " (left for you to check: " + "; ".join(problems) + ")"
    await ctx.finish(
        "interrupted",
        message=message,
        error=f"interrupted{where} (the process running it died)",
        result={"undone": undone, "recovery_problems": problems},
    )
    return message


async def _unfinished_base(deps: OperationDeps, ctx, state: dict, undone: list[str]) -> None:
    """A deploy that died while building its node's Docker-ready base (docker_base.py) leaves a
    CT tagged as a base that is no template yet: only a finished base is ever cloned."""
    vmid, node = state.get("base_vmid"), state.get("base_node")
    if not vmid or not node:
        return
    try:
        config = await deps.client.ct_config(node, vmid)
    except ProximityError:
        return  # gone (the build's own cleanup ran, or it never started)
    # Tagged, or (a pool token tags with pct after the create) described as a base.
    ours = BASE_TAG in config.tags or config.description.startswith(HEADER)
    if ours and not config.raw.get("template"):
        await _wait_unlocked(deps, node, vmid)
        await deps.containers.destroy(ctx, node, vmid)
        undone.append(f"destroyed the unfinished base CT {vmid} on {node}")


async def _undo_creation(deps: OperationDeps, ctx, op: OperationRecord, undone: list[str]) -> None:
    state = ctx.state
    app_id = op.app_id or ""
    if state.get("recorded"):
        undone.append(f"kept {op.hostname}: it was already running")
        return
    vmid, node = state.get("vmid"), state.get("node")
    row = await _row(deps, app_id)
    if row is not None and vmid and row.vmid == vmid and row.status != "deploying":
        # The record step had already marked it running (the process died before it noted that
        # in the journal): the app is complete. Destroying its CT would orphan the row instead.
        undone.append(f"kept {op.hostname}: it was already recorded as {row.status}")
        return
    await _unfinished_base(deps, ctx, state, undone)
    if vmid and node and (state.get("create_requested") or state.get("clone_requested")):
        # Only a clone's CT can be elsewhere than the node recorded (a create's is made there).
        moved = bool(state.get("clone_requested"))
        node = await _where(deps, vmid, node) if moved else node
        guest = await deps.containers.status(node, vmid)
        if guest is not None and guest.lock:
            # A task may still hold it (creating); wait for the lock to clear, boundedly.
            await _wait_unlocked(deps, node, vmid)
            node = await _where(deps, vmid, node) if moved else node
        if await deps.containers.owned_by(node, vmid, app_id, op.hostname):
            await deps.containers.destroy(ctx, node, vmid)
            undone.append(f"destroyed CT {vmid} on {node}")
    snapshot = state.get("snapshot")
    source = (op.parameters or {}).get("source")
    if snapshot and source and not state.get("snapshot_removed"):
        try:
            src = await deps.records.get(source)
        except NotFoundError:
            src = None
        if src is not None:
            names = {s.name for s in await deps.client.snapshots(src.node, src.vmid)}
            if snapshot in names:
                await deps.containers.task(
                    ctx, await deps.client.delete_snapshot(src.node, src.vmid, snapshot)
                )
                undone.append(f"removed snapshot {snapshot} of CT {src.vmid}")
    if state.get("reserved") or app_id:
        try:
            app = await deps.records.get(app_id)
        except NotFoundError:
            return
        if app.status == "deploying" and (vmid is None or app.vmid == vmid):
            await deps.records.delete(app_id, vmid=app.vmid)
            undone.append(f"removed the app row {app_id}")


async def _where(deps: OperationDeps, vmid: int, node: str) -> str:
    """The node CT `vmid` is on now: a clone to another node is on the source's until its task
    moves the config (pve-container API2/LXC.pm clone_vm, move_config_to_node)."""
    guest = await deps.client.find_ct(vmid)
    return guest.node if guest is not None else node


async def _row(deps: OperationDeps, app_id: str):
    try:
        return await deps.records.get(app_id)
    except NotFoundError:
        return None


async def _undo_update(deps: OperationDeps, ctx, op: OperationRecord, undone: list[str]) -> None:
    app = await deps.records.get(op.app_id or "")
    snapshot = ctx.state.get("snapshot")
    if snapshot and snapshot in {s.name for s in await deps.client.snapshots(app.node, app.vmid)}:
        await deps.containers.task(
            ctx, await deps.client.rollback_snapshot(app.node, app.vmid, snapshot, start=True)
        )
        await deps.containers.start(ctx, app.node, app.vmid, starting=ROLLBACK_START_WAIT)
        await deps.containers.task(
            ctx, await deps.client.delete_snapshot(app.node, app.vmid, snapshot)
        )
        undone.append(f"rolled CT {app.vmid} back to {snapshot}")
    await _resync(deps, ctx, op, undone)


async def _finish_delete(deps: OperationDeps, ctx, op: OperationRecord, undone: list[str]) -> None:
    try:
        app = await deps.records.get(op.app_id or "")
    except NotFoundError:
        return
    if await deps.containers.status(app.node, app.vmid) is None:
        await deps.records.delete(app.id)
        undone.append(f"the container was gone: removed the app row {app.id}")
    else:
        await deps.records.set_status(
            app.id, "error", reason="delete was interrupted; run it again"
        )
        undone.append(f"{app.hostname} marked error: its container still exists")


async def _resync(deps: OperationDeps, ctx, op: OperationRecord, undone: list[str]) -> None:
    try:
        app = await deps.records.get(op.app_id or "")
    except NotFoundError:
        return
    guest = await deps.containers.status(app.node, app.vmid)
    status = "missing" if guest is None else ("running" if guest.running else "stopped")
    if app.status != status:
        await deps.records.set_status(app.id, status)
        undone.append(f"{app.hostname} is {status} (read from Proxmox)")


async def _wait_unlocked(deps: OperationDeps, node: str, vmid: int, timeout: float = 120.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.05
    while loop.time() < deadline:
        guest = await deps.containers.status(node, vmid)
        if guest is None or not guest.lock:
            return
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)
