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

from typing import TYPE_CHECKING

from proximity_tui.errors import NotFoundError
from proximity_tui.services.containers import ROLLBACK_START_WAIT, app_compose_file
from proximity_tui.services.operations.pipeline import Step, StepFailed, describe
from proximity_tui.services.storage_caps import rootfs_caps

if TYPE_CHECKING:
    from proximity_tui.services.app_service import AppService
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.views import AppView


async def update(svc: AppService, app: AppView) -> AppView:
    ctx = await svc.begin("update", app_id=app.id, hostname=app.hostname, lock=[app.id])
    cfile = app_compose_file(app)
    snapname = f"proximity-update-{ctx.op_id}"
    state = ctx.state
    node, vmid = app.node, app.vmid

    async def point(ctx: OperationContext) -> None:
        await svc.records.set_status(app.id, "updating")
        caps = await rootfs_caps(svc.client, node, vmid)
        if caps.can_snapshot:
            state["result"] = {"method": "snapshot", "storage": caps.storage}
            ctx.log(f"rollback point: snapshot {snapname} ({caps} can snapshot)")
            await ctx.save_state(snapshot=snapname, node=node, vmid=vmid, method="snapshot")
            await svc.containers.task(ctx, await svc.client.create_snapshot(node, vmid, snapname))
            return
        from proximity_tui.services.operations.backups import backup_storage

        storage = await backup_storage(svc, node)
        state["result"] = {"method": "backup", "storage": caps.storage, "backup_storage": storage}
        ctx.log(
            f"rollback point: a backup to {storage} ({caps} cannot snapshot; vzdump in stop "
            "mode stops the CT and starts it again)"
        )
        await ctx.save_state(node=node, vmid=vmid, method="backup", backup_storage=storage)
        before = {v.volid for v in await svc.client.backups(node, storage, vmid)}
        await svc.containers.task(ctx, await svc.client.vzdump(node, vmid, storage, "stop"))
        new = [
            v.volid for v in await svc.client.backups(node, storage, vmid) if v.volid not in before
        ]
        if not new:
            raise NotFoundError("backup archive of CT", vmid)
        await ctx.save_state(backup=new[0])
        state["result"]["backup"] = new[0]
        await svc.containers.start(ctx, node, vmid)  # vzdump restarts it; make sure

    async def rollback(ctx: OperationContext) -> str | None:
        if state.get("method") == "backup":
            return await restore_point(ctx)
        names = {s.name for s in await svc.client.snapshots(node, vmid)}
        if snapname not in names:
            await svc.records.set_status(app.id, "running")
            return None
        ctx.log(f"rolling CT {vmid} back to {snapname}", level="warning")
        await svc.containers.task(
            ctx, await svc.client.rollback_snapshot(node, vmid, snapname, start=True)
        )
        await svc.containers.start(ctx, node, vmid, starting=ROLLBACK_START_WAIT)
        await svc.containers.task(ctx, await svc.client.delete_snapshot(node, vmid, snapname))
        await svc.records.set_status(app.id, "running")
        return f"rolled CT {vmid} back to the snapshot taken before the update"

    async def restore_point(ctx: OperationContext) -> str | None:
        volid = state.get("backup")
        if not volid:
            await svc.records.set_status(app.id, "running")
            return None
        caps = await rootfs_caps(svc.client, node, vmid)
        ctx.log(f"restoring CT {vmid} from {volid}", level="warning")
        await svc.containers.stop(ctx, node, vmid)
        await svc.containers.task(
            ctx, await svc.client.restore_ct(node, vmid, volid, storage=caps.storage)
        )
        await svc.containers.start(ctx, node, vmid)
        await drop_backup(ctx)
        await svc.records.set_status(app.id, "running")
        return f"restored CT {vmid} from the backup taken before the update"

    async def drop_backup(ctx: OperationContext) -> None:
        volid, storage = state.get("backup"), state.get("backup_storage")
        if volid and storage:
            upid = await svc.client.delete_volume(node, storage, volid)
            if upid:
                await svc.containers.task(ctx, upid)
            ctx.log(f"removed the rollback backup {volid}")

    async def pull(ctx: OperationContext) -> None:
        await svc.containers.compose(ctx, node, vmid, cfile, "pull")

    async def up(ctx: OperationContext) -> None:
        await svc.containers.compose(ctx, node, vmid, cfile, "up", "-d")

    async def health(ctx: OperationContext) -> None:
        check = app.config.get("health") or {}
        await svc.containers.wait_healthy(
            ctx, node, vmid, cfile, port=check.get("port"), path=check.get("path")
        )

    async def finish(ctx: OperationContext) -> None:
        if state.get("method") == "backup":
            await drop_backup(ctx)
        else:
            await svc.containers.task(ctx, await svc.client.delete_snapshot(node, vmid, snapname))
        await svc.records.set_status(app.id, "running")

    steps = [
        Step("snapshot", "Take a rollback point", point, rollback, weight=1),
        Step("pull", "Pull the new images", pull, weight=3),
        Step("up", "Recreate the services", up, weight=1),
        Step("health", "Check the app answers", health, weight=1),
        Step("cleanup", "Remove the rollback point", finish, weight=0.5),
    ]

    async def on_failure(failure: StepFailed) -> str:
        if failure.undo_errors:
            reason = f"update failed: {describe(failure.cause)}; " + "; ".join(failure.undo_errors)
            if failure.step != "snapshot":  # the safety net is not thrown away: say where it is
                kept = state.get("backup") or f"snapshot {snapname}"
                reason += f"; the rollback point {kept} (taken before the update) is kept"
            await svc.records.set_status(app.id, "error", reason=reason)
            return "failed"
        # Nothing changed when the rollback point itself failed; otherwise it was put back.
        return "failed" if failure.step == "snapshot" else "rolled_back"

    def done() -> str:
        method = (state.get("result") or {}).get("method", "snapshot")
        return f"{app.hostname} updated (rollback point: {method})"

    await svc.execute(ctx, steps, on_failure=on_failure, success_message=done)
    return await svc.get_app(app.id)
