"""Updating an app: a rollback point, `compose pull` + `up -d`, health check; roll back on failure.

The rollback point is the safety net, taken by the method the CT's storage allows
(`storage_caps.py`): a snapshot where the volume can snapshot (lvmthin, zfspool, rbd, btrfs),
otherwise a backup (`vzdump` in stop mode: Proxmox stops the CT, archives it and starts it again).
If pulling, starting or the health check fails, the container is put back (rolled back to the
snapshot, or restored from the backup over the same vmid) and started again, and the operation
ends `rolled_back` saying so. After a success the snapshot or the backup is removed. The
method is logged, kept in the operation's result and named in its final message.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from proximity_tui.errors import NotFoundError
from proximity_tui.services.compose_health import wait_healthy
from proximity_tui.services.containers import ROLLBACK_START_WAIT, app_compose_file, uncertain
from proximity_tui.services.identity import keep_current
from proximity_tui.services.image_plan import ImageChange, read_compose, retag
from proximity_tui.services.operations.backups import backup_storage, start_vzdump
from proximity_tui.services.operations.host_check import ensure_docker_runs
from proximity_tui.services.operations.late import expect_late
from proximity_tui.services.operations.pipeline import StepFailed, describe
from proximity_tui.services.operations.shape import OperationDeps, OperationSpec, StepDef, bind
from proximity_tui.services.storage_caps import rootfs_caps

if TYPE_CHECKING:
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.views import AppView


def snapshot_name(ctx: OperationContext) -> str:
    return f"proximity-update-{ctx.op_id}"


async def _point(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    node, vmid, state = app.node, app.vmid, ctx.state
    await ensure_docker_runs(deps, ctx, node)  # `up -d` would fail: before any rollback point
    await deps.records.set_status(app.id, "updating")
    state["marked"] = True
    caps = await rootfs_caps(deps.client, node, vmid)
    if caps.can_snapshot:
        snapname = snapshot_name(ctx)
        state["result"] = {"method": "snapshot", "storage": caps.storage}
        ctx.log(f"rollback point: snapshot {snapname} ({caps} can snapshot)")
        await ctx.save_state(snapshot=snapname, node=node, vmid=vmid, method="snapshot")
        try:
            upid = await deps.client.create_snapshot(node, vmid, snapname)
        except BaseException as exc:
            if uncertain(exc):  # the snapshot may still come: the undo leaves it to the watch
                state["snapshot_uncertain"] = True
            raise
        await deps.containers.task(ctx, upid)
        return
    storage = await backup_storage(deps, node)
    state["result"] = {"method": "backup", "storage": caps.storage, "backup_storage": storage}
    ctx.log(
        f"rollback point: a backup to {storage} ({caps} cannot snapshot; vzdump in stop "
        "mode stops the CT and starts it again)"
    )
    await ctx.save_state(node=node, vmid=vmid, method="backup", backup_storage=storage)
    before = {v.volid for v in await deps.client.backups(node, storage, vmid)}
    await deps.containers.task(ctx, await start_vzdump(deps, ctx, app, storage, "stop", before))
    new = [v.volid for v in await deps.client.backups(node, storage, vmid) if v.volid not in before]
    if not new:
        raise NotFoundError("backup archive of CT", vmid)
    await ctx.save_state(backup=new[0])
    state["result"]["backup"] = new[0]
    await deps.containers.start(ctx, node, vmid)  # vzdump restarts it; make sure


async def _rollback(deps: OperationDeps, app: AppView, ctx: OperationContext) -> str | None:
    if not ctx.state.get("marked"):
        return None  # refused before anything changed (the row included)
    if ctx.state.get("method") == "backup":
        return await _restore_point(deps, app, ctx)
    node, vmid, snapname = app.node, app.vmid, snapshot_name(ctx)
    names = {s.name for s in await deps.client.snapshots(node, vmid)}
    if snapname not in names:
        if ctx.state.get("snapshot_uncertain"):  # removed if Proxmox still takes it
            expect_late(
                ctx, "snapshot", node=node, vmid=vmid, app_id=app.id, hostname=app.hostname,
                name=snapname,
            )  # fmt: skip
        await deps.records.set_status(app.id, "running")
        return None
    ctx.log(f"rolling CT {vmid} back to {snapname}", level="warning")
    await deps.containers.task(
        ctx, await deps.client.rollback_snapshot(node, vmid, snapname, start=True)
    )
    await deps.containers.start(ctx, node, vmid, starting=ROLLBACK_START_WAIT)
    await deps.containers.task(ctx, await deps.client.delete_snapshot(node, vmid, snapname))
    await deps.records.set_status(app.id, "running")
    return f"rolled CT {vmid} back to the snapshot taken before the update"


async def _restore_point(deps: OperationDeps, app: AppView, ctx: OperationContext) -> str | None:
    node, vmid = app.node, app.vmid
    volid = ctx.state.get("backup")
    if not volid:
        await deps.records.set_status(app.id, "running")
        return None
    caps = await rootfs_caps(deps.client, node, vmid)
    ctx.log(f"restoring CT {vmid} from {volid}", level="warning")
    await deps.containers.stop(ctx, node, vmid)
    await deps.containers.task(
        ctx, await deps.client.restore_ct(node, vmid, volid, storage=caps.storage)
    )
    await deps.containers.start(ctx, node, vmid)
    await _drop_backup(deps, app, ctx)
    await deps.records.set_status(app.id, "running")
    return f"restored CT {vmid} from the backup taken before the update"


async def _drop_backup(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    volid, storage = ctx.state.get("backup"), ctx.state.get("backup_storage")
    if volid and storage:
        upid = await deps.client.delete_volume(app.node, storage, volid)
        if upid:
            await deps.containers.task(ctx, upid)
        ctx.log(f"removed the rollback backup {volid}")


async def _pull(
    images: Sequence[ImageChange], deps: OperationDeps, app: AppView, ctx: OperationContext
) -> None:
    cfile = app_compose_file(app)
    if any(c.changes for c in images):  # the catalog moved: the rollback point holds the old file
        text = retag(await read_compose(deps.containers, app, cfile), images)
        directory, _, name = cfile.rpartition("/")
        await deps.containers.write_files(
            ctx, app.node, app.vmid, directory, {name: (text.encode(), 0o644)}
        )
    for change in images:
        ctx.log(change.line())
    await deps.containers.compose(ctx, app.node, app.vmid, cfile, "pull")


async def _up(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    await deps.containers.compose(ctx, app.node, app.vmid, app_compose_file(app), "up", "-d")


async def _health(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    check = app.config.get("health") or {}
    cfile = app_compose_file(app)
    await wait_healthy(
        deps.containers,
        ctx,
        app.node,
        app.vmid,
        cfile,
        port=check.get("port"),
        path=check.get("path"),
    )


async def _cleanup(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    if ctx.state.get("method") == "backup":
        await _drop_backup(deps, app, ctx)
    else:
        upid = await deps.client.delete_snapshot(app.node, app.vmid, snapshot_name(ctx))
        await deps.containers.task(ctx, upid)
    await deps.records.set_status(app.id, "running")
    await keep_current(deps.client, app, ctx.log)


def _steps(images: Sequence[ImageChange]) -> tuple[StepDef[AppView], ...]:
    return (
        StepDef("snapshot", "Take a rollback point", _point, _rollback, weight=1),
        StepDef("pull", "Pull the new images", partial(_pull, tuple(images)), weight=3),
        StepDef("up", "Recreate the services", _up, weight=1),
        StepDef("health", "Check the app answers", _health, weight=1),
        StepDef("cleanup", "Remove the rollback point", _cleanup, weight=0.5),
    )


async def _after_failure(
    deps: OperationDeps, app: AppView, ctx: OperationContext, failure: StepFailed
) -> str:
    if failure.undo_errors:
        reason = f"update failed: {describe(failure.cause)}; " + "; ".join(failure.undo_errors)
        if failure.step != "snapshot":  # the safety net is not thrown away: say where it is
            kept = ctx.state.get("backup") or f"snapshot {snapshot_name(ctx)}"
            reason += f"; the rollback point {kept} (taken before the update) is kept"
        await deps.records.set_status(app.id, "error", reason=reason)
        return "failed"
    # Nothing changed when the rollback point itself failed; otherwise it was put back.
    return "failed" if failure.step == "snapshot" else "rolled_back"


def _done(app: AppView, ctx: OperationContext) -> str:
    method = (ctx.state.get("result") or {}).get("method", "snapshot")
    return f"{app.hostname} updated (rollback point: {method})"


def update(deps: OperationDeps, app: AppView, images: Sequence[ImageChange] = ()) -> OperationSpec:
    """`images` (AppService.update_images): the compose file is moved to them before pulling."""
    return OperationSpec(
        "update",
        app.id,
        app.hostname,
        bind(_steps(images), deps, app),
        success_message=partial(_done, app),
        lock=[app.id],
        on_failure=partial(_after_failure, deps, app),
    )
