"""Backups: vzdump to a storage that accepts them, restore over the container, delete.

Each backup is recorded with its volid, size and time once Proxmox confirms the archive exists;
restore stops the container, restores the archive over it (same vmid), starts it again if it was
running and re-reads its status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from proximity_tui.errors import NotFoundError, ValidationError
from proximity_tui.services.operations.lifecycle import start_steps
from proximity_tui.services.operations.pipeline import Step

if TYPE_CHECKING:
    from proximity_tui.services.app_service import AppService
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.views import AppView, BackupView


async def backup_storage(svc: AppService, node: str) -> str:
    accepting = [s.storage for s in await svc.client.storages_accepting(node, "backup")]
    wanted = svc.deploy_settings.backup_storage
    if wanted:
        if wanted not in accepting:
            raise ValidationError(
                f"storage {wanted!r} does not accept backups on {node} "
                f"(these do: {', '.join(accepting) or 'none'})",
                field="deploy.backup_storage",
            )
        return wanted
    if not accepting:
        raise ValidationError(f"node {node} has no storage that accepts backups")
    return accepting[0]


async def backup(svc: AppService, app: AppView) -> BackupView:
    ctx = await svc.begin("backup", app_id=app.id, hostname=app.hostname, lock=[app.id])
    result: dict[str, BackupView] = {}

    async def dump(ctx: OperationContext) -> None:
        storage = await backup_storage(svc, app.node)
        before = {v.volid for v in await svc.client.backups(app.node, storage, app.vmid)}
        mode = "snapshot"
        ctx.log(f"vzdump CT {app.vmid} to {storage} ({mode} mode, zstd)")
        await svc.containers.task(ctx, await svc.client.vzdump(app.node, app.vmid, storage, mode))
        new = [
            v
            for v in await svc.client.backups(app.node, storage, app.vmid)
            if v.volid not in before
        ]
        if not new:
            raise NotFoundError("backup archive of CT", app.vmid)
        volume = new[0]
        result["backup"] = await svc.records.add_backup(
            app_id=app.id,
            volid=volume.volid,
            storage=storage,
            node=app.node,
            vmid=app.vmid,
            size=volume.size,
        )
        ctx.log(f"{volume.volid}: {volume.size} bytes")

    await svc.execute(
        ctx,
        [Step("vzdump", "Back up the container", dump, weight=3)],
        success_message=f"{app.hostname} backed up",
    )
    return result["backup"]


async def list_backups(svc: AppService, app: AppView) -> list[BackupView]:
    return await svc.records.backups(app.id)


async def _find(svc: AppService, app: AppView, volid: str) -> BackupView:
    for item in await svc.records.backups(app.id):
        if item.volid == volid:
            return item
    raise NotFoundError(f"backup of {app.hostname}", volid)


async def restore(svc: AppService, app: AppView, volid: str) -> AppView:
    item = await _find(svc, app, volid)
    ctx = await svc.begin(
        "restore",
        app_id=app.id,
        hostname=app.hostname,
        parameters={"volid": volid},
        lock=[app.id],
    )

    async def stop(ctx: OperationContext) -> None:
        guest = await svc.containers.status(app.node, app.vmid)
        ctx.state["was_running"] = bool(guest and guest.running)
        await svc.records.set_status(app.id, "updating")
        await svc.containers.stop(ctx, app.node, app.vmid, graceful=True)

    async def put_back(ctx: OperationContext) -> None:
        config = await svc.client.ct_config(app.node, app.vmid)
        storage = config.rootfs_storage or svc.deploy_settings.storage
        await svc.containers.task(
            ctx, await svc.client.restore_ct(app.node, app.vmid, item.volid, storage, force=True)
        )

    async def mark_stopped(ctx: OperationContext) -> None:
        await svc.records.set_status(app.id, "stopped")

    steps = [
        Step("stop", "Stop the container", stop),
        Step("restore", f"Restore {item.volid}", put_back, weight=3),
    ]

    async def on_failure(failure) -> str:
        await svc.records.set_status(app.id, "error", reason=str(failure))
        return "failed"

    # Restart only if it ran before; the steps are chosen once the first step has looked.
    guest = await svc.containers.status(app.node, app.vmid)
    steps += (
        start_steps(svc, app)
        if guest and guest.running
        else [Step("record", "Record the app as stopped", mark_stopped, weight=0.2)]
    )
    await svc.execute(ctx, steps, on_failure=on_failure, success_message=f"{app.hostname} restored")
    return await svc.get_app(app.id)


async def delete_backup(svc: AppService, app: AppView, volid: str) -> None:
    item = await _find(svc, app, volid)
    ctx = await svc.begin(
        "delete_backup", app_id=app.id, hostname=app.hostname, parameters={"volid": volid}
    )

    async def remove(ctx: OperationContext) -> None:
        upid = await svc.client.delete_volume(item.node, item.storage, item.volid)
        if upid:
            await svc.containers.task(ctx, upid)
        await svc.records.delete_backup(item.volid)

    await svc.execute(
        ctx,
        [Step("delete", f"Delete {item.volid}", remove)],
        success_message=f"deleted {item.volid}",
    )
