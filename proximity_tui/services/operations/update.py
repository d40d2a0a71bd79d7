"""Updating an app: snapshot, `compose pull` + `up -d`, health check; roll back on failure.

The snapshot is the safety net: if pulling, starting or the health check fails, the container is
rolled back to it automatically, started again, and the operation ends `rolled_back` saying so.
After a success the snapshot is removed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from proximity_tui.services.containers import ROLLBACK_START_WAIT, app_compose_file
from proximity_tui.services.operations.pipeline import Step, StepFailed, describe

if TYPE_CHECKING:
    from proximity_tui.services.app_service import AppService
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.views import AppView


async def update(svc: AppService, app: AppView) -> AppView:
    ctx = await svc.begin("update", app_id=app.id, hostname=app.hostname, lock=[app.id])
    cfile = app_compose_file(app)
    snapname = f"proximity-update-{ctx.op_id}"

    async def snapshot(ctx: OperationContext) -> None:
        await svc.records.set_status(app.id, "updating")
        await ctx.save_state(snapshot=snapname, node=app.node, vmid=app.vmid)
        await svc.containers.task(
            ctx, await svc.client.create_snapshot(app.node, app.vmid, snapname)
        )

    async def rollback(ctx: OperationContext) -> str | None:
        names = {s.name for s in await svc.client.snapshots(app.node, app.vmid)}
        if snapname not in names:
            await svc.records.set_status(app.id, "running")
            return None
        ctx.log(f"rolling CT {app.vmid} back to {snapname}", level="warning")
        await svc.containers.task(
            ctx, await svc.client.rollback_snapshot(app.node, app.vmid, snapname, start=True)
        )
        await svc.containers.start(ctx, app.node, app.vmid, starting=ROLLBACK_START_WAIT)
        await svc.containers.task(
            ctx, await svc.client.delete_snapshot(app.node, app.vmid, snapname)
        )
        await svc.records.set_status(app.id, "running")
        return f"rolled CT {app.vmid} back to the snapshot taken before the update"

    async def pull(ctx: OperationContext) -> None:
        await svc.containers.compose(ctx, app.node, app.vmid, cfile, "pull")

    async def up(ctx: OperationContext) -> None:
        await svc.containers.compose(ctx, app.node, app.vmid, cfile, "up", "-d")

    async def health(ctx: OperationContext) -> None:
        check = app.config.get("health") or {}
        await svc.containers.wait_healthy(
            ctx, app.node, app.vmid, cfile, port=check.get("port"), path=check.get("path")
        )

    async def finish(ctx: OperationContext) -> None:
        await svc.containers.task(
            ctx, await svc.client.delete_snapshot(app.node, app.vmid, snapname)
        )
        await svc.records.set_status(app.id, "running")

    steps = [
        Step("snapshot", "Snapshot the container", snapshot, rollback, weight=1),
        Step("pull", "Pull the new images", pull, weight=3),
        Step("up", "Recreate the services", up, weight=1),
        Step("health", "Check the app answers", health, weight=1),
        Step("cleanup", "Remove the snapshot", finish, weight=0.5),
    ]

    async def on_failure(failure: StepFailed) -> str:
        if failure.undo_errors:
            reason = f"update failed: {describe(failure.cause)}; " + "; ".join(failure.undo_errors)
            if failure.step != "snapshot":  # the safety net is not thrown away: say where it is
                reason += f"; snapshot {snapname} (taken before the update) is kept"
            await svc.records.set_status(app.id, "error", reason=reason)
            return "failed"
        # Nothing changed when the snapshot itself failed; otherwise the rollback restored it.
        return "failed" if failure.step == "snapshot" else "rolled_back"

    await svc.execute(ctx, steps, on_failure=on_failure, success_message=f"{app.hostname} updated")
    return await svc.get_app(app.id)
