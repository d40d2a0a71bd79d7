"""Backups: vzdump to a storage that accepts them, restore over the container, delete.

Each backup is recorded with its volid, size and time once Proxmox confirms the archive exists
(or, when the vzdump call's answer was lost, once the archive turns up: late_effects.py);
restore stops the container, restores the archive over it (same vmid), starts it again if it was
running and re-reads its status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from proximity_tui.errors import HostNotReady, NotFoundError, ValidationError
from proximity_tui.services.containers import uncertain
from proximity_tui.services.identity import keep_current
from proximity_tui.services.operations.host_check import ensure_docker_runs
from proximity_tui.services.operations.late import expect_late
from proximity_tui.services.operations.lifecycle import RECORD_STOPPED, START, mark_error
from proximity_tui.services.operations.shape import OperationDeps, OperationSpec, StepDef, bind

if TYPE_CHECKING:
    from proximity_tui.service_views import BackupView
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.services.operations.pipeline import StepFailed
    from proximity_tui.views import AppView


async def backup_storage(deps: OperationDeps, node: str) -> str:
    accepting = [s.storage for s in await deps.client.storages_accepting(node, "backup")]
    wanted = deps.settings.backup_storage
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


# --- backup ---

#: vzdump's modes (pve-manager `PVE/VZDump.pm`, the `mode` enum of its job schema); a CT whose
#: storage cannot snapshot is backed up in suspend mode when snapshot is asked (vzdump says so).
BACKUP_MODES = ("snapshot", "suspend", "stop")


async def check_backup_choice(
    deps: OperationDeps, node: str, mode: str | None, storage: str | None
) -> None:
    """Refuse a mode vzdump does not know or a storage that holds no backups on `node`, before
    anything starts."""
    if mode is not None and mode not in BACKUP_MODES:
        raise ValidationError(
            f"unknown backup mode {mode!r} (use {', '.join(BACKUP_MODES)})", field="mode"
        )
    if storage is not None:
        accepting = [s.storage for s in await deps.client.storages_accepting(node, "backup")]
        if storage not in accepting:
            raise ValidationError(
                f"storage {storage!r} does not hold backups on {node} "
                f"(these do: {', '.join(accepting) or 'none'})",
                field="storage",
            )


async def start_vzdump(
    deps: OperationDeps,
    ctx: OperationContext,
    app: AppView,
    storage: str,
    mode: str,
    before: set[str],
) -> str:
    """Start vzdump of the app's CT (its UPID). If the call gets no answer the archive may still
    come (`before`: the archives there already): it is recorded as the app's backup then, never
    deleted, since one a scheduled job made in the same window could not be told apart
    (late_effects.py)."""
    try:
        return await deps.client.vzdump(app.node, app.vmid, storage, mode)
    except BaseException as exc:
        if uncertain(exc):
            expect_late(
                ctx, "backup", node=app.node, vmid=app.vmid, app_id=app.id,
                hostname=app.hostname, storage=storage, before=sorted(before),
            )  # fmt: skip
        raise


@dataclass
class Backup:
    app: AppView
    #: None: vzdump's default (snapshot) and the configured or first accepting storage.
    mode: str | None = None
    storage: str | None = None
    #: The operation's result: {"backup": BackupView} once the archive is recorded.
    made: dict[str, Any] = field(default_factory=dict)


async def _vzdump(deps: OperationDeps, job: Backup, ctx: OperationContext) -> None:
    app = job.app
    storage = job.storage or await backup_storage(deps, app.node)
    before = {v.volid for v in await deps.client.backups(app.node, storage, app.vmid)}
    mode = job.mode or "snapshot"
    ctx.log(f"vzdump CT {app.vmid} to {storage} ({mode} mode, zstd)")
    await deps.containers.task(ctx, await start_vzdump(deps, ctx, app, storage, mode, before))
    new = [
        v for v in await deps.client.backups(app.node, storage, app.vmid) if v.volid not in before
    ]
    if not new:
        raise NotFoundError("backup archive of CT", app.vmid)
    volume = new[0]
    job.made["backup"] = await deps.records.add_backup(
        app_id=app.id,
        volid=volume.volid,
        storage=storage,
        node=app.node,
        vmid=app.vmid,
        size=volume.size,
    )
    ctx.log(f"{volume.volid}: {volume.size} bytes")


BACKUP: tuple[StepDef[Backup], ...] = (
    StepDef("vzdump", "Back up the container", _vzdump, weight=3),
)


def backup(
    deps: OperationDeps, app: AppView, mode: str | None = None, storage: str | None = None
) -> OperationSpec:
    """The backup's `BackupView` is the spec's `result["backup"]` once it succeeded; `mode` and
    `storage` are checked first (`check_backup_choice`)."""
    job = Backup(app, mode, storage)
    return OperationSpec(
        "backup",
        app.id,
        app.hostname,
        bind(BACKUP, deps, job),
        success_message=f"{app.hostname} backed up",
        lock=[app.id],
        result=job.made,
    )


async def find_backup(deps: OperationDeps, app: AppView, volid: str) -> BackupView:
    for item in await deps.records.backups(app.id):
        if item.volid == volid:
            return item
    raise NotFoundError(f"backup of {app.hostname}", volid)


# --- restore ---


async def _stop(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    guest = await deps.containers.status(app.node, app.vmid)
    ctx.state["was_running"] = bool(guest and guest.running)
    if ctx.state["was_running"]:  # it is started again after: its services could not start
        await ensure_docker_runs(deps, ctx, app.node)
    await deps.records.set_status(app.id, "updating")
    await deps.containers.stop(ctx, app.node, app.vmid, graceful=True)


@dataclass(frozen=True)
class _Restore:
    app: AppView
    item: BackupView


async def _put_back(deps: OperationDeps, job: _Restore, ctx: OperationContext) -> None:
    app = job.app
    config = await deps.client.ct_config(app.node, app.vmid)
    storage = config.rootfs_storage or deps.settings.storage
    await deps.containers.task(
        ctx, await deps.client.restore_ct(app.node, app.vmid, job.item.volid, storage, force=True)
    )
    # The archive brings back the description it was taken with (maybe an older form).
    await keep_current(deps.client, app, ctx.log)


STOP_FOR_RESTORE: StepDef[AppView] = StepDef("stop", "Stop the container", _stop)
RESTORE: StepDef[_Restore] = StepDef(
    "restore", lambda job: f"Restore {job.item.volid}", _put_back, weight=3
)


async def restore(deps: OperationDeps, app: AppView, volid: str) -> OperationSpec:
    """Stop, restore over the same vmid, then start it again if it ran before (looked up here,
    before the operation opens) or record it stopped."""
    item = await find_backup(deps, app, volid)
    guest = await deps.containers.status(app.node, app.vmid)
    after = START if guest and guest.running else (RECORD_STOPPED,)
    return OperationSpec(
        "restore",
        app.id,
        app.hostname,
        [
            *bind((STOP_FOR_RESTORE,), deps, app),
            *bind((RESTORE,), deps, _Restore(app, item)),
            *bind(after, deps, app),
        ],
        success_message=f"{app.hostname} restored",
        parameters={"volid": volid},
        lock=[app.id],
        on_failure=partial(_after_restore_failure, deps, app),
    )


async def _after_restore_failure(
    deps: OperationDeps, app: AppView, ctx: OperationContext, failure: StepFailed
) -> str:
    if isinstance(failure.cause, HostNotReady):
        return "failed"  # refused before the stop: the app is as it was
    return await mark_error(deps, app, ctx, failure)


# --- delete a backup ---


async def _remove(deps: OperationDeps, item: BackupView, ctx: OperationContext) -> None:
    upid = await deps.client.delete_volume(item.node, item.storage, item.volid)
    if upid:
        await deps.containers.task(ctx, upid)
    await deps.records.delete_backup(item.volid)


DELETE_BACKUP: tuple[StepDef[BackupView], ...] = (
    StepDef("delete", lambda item: f"Delete {item.volid}", _remove),
)


async def delete_backup(deps: OperationDeps, app: AppView, volid: str) -> OperationSpec:
    item = await find_backup(deps, app, volid)
    return OperationSpec(
        "delete_backup",
        app.id,
        app.hostname,
        bind(DELETE_BACKUP, deps, item),
        success_message=f"deleted {item.volid}",
        parameters={"volid": volid},
    )
