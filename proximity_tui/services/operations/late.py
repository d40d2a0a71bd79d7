"""What a call whose answer was lost did after its operation ended: undone, or recorded.

An operation names the effect it could not see in time (`expect_late`); each effect found later
is handled by a journaled operation of its own, started by the late-effects watch
(`services/late_effects.py`) when it finds the effect: a CT created after its deploy or clone was
rolled back is destroyed; an update's rollback snapshot taken after the update ended is removed;
a backup archive made after its backup (or its update's rollback point) failed is recorded as
the app's backup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from proximity_tui.services.containers import late_grace
from proximity_tui.services.operations.shape import OperationDeps, OperationSpec, StepDef, bind

if TYPE_CHECKING:
    from proximity_tui.services.operations.context import OperationContext


def expect_late(ctx: OperationContext, kind: str, **fields: Any) -> None:
    """Name an effect that may still come after this operation (`kind`: ct, snapshot, backup;
    the fields `late_effects.Watch` reads). The journal keeps it with the operation's state."""
    ctx.state.setdefault("late", []).append({"kind": kind, **fields})


async def appears_or_watch(
    deps: OperationDeps,
    ctx: OperationContext,
    node: str,
    vmid: int,
    app_id: str,
    hostname: str | None,
) -> bool:
    """Whether CT `vmid`, asked for by a call whose answer was lost, exists within `late_grace`.
    If not, it is watched for after the operation, and destroyed if Proxmox creates it then."""
    grace = late_grace(deps.client)
    if await deps.containers.appears(node, vmid, grace):
        return True
    expect_late(ctx, "ct", node=node, vmid=vmid, app_id=app_id, hostname=hostname)
    ctx.log(
        f"CT {vmid} did not appear within {grace:g}s; should Proxmox still create it, it is "
        "destroyed then",
        level="warning",
    )
    return False


@dataclass(frozen=True)
class Late:
    """One effect found: `of_op` is the operation whose call it was."""

    of_op: int
    node: str
    vmid: int
    app_id: str | None = None
    hostname: str | None = None
    snapshot: str = ""
    storage: str = ""
    volid: str = ""
    size: int | None = None


async def _destroy(deps: OperationDeps, late: Late, ctx: OperationContext) -> None:
    if await deps.containers.destroy(ctx, late.node, late.vmid):
        ctx.log(
            f"destroyed CT {late.vmid} on {late.node}: Proxmox created it after operation "
            f"#{late.of_op} had given up on it and rolled back"
        )


async def _drop_snapshot(deps: OperationDeps, late: Late, ctx: OperationContext) -> None:
    upid = await deps.client.delete_snapshot(late.node, late.vmid, late.snapshot)
    await deps.containers.task(ctx, upid)
    ctx.log(f"removed snapshot {late.snapshot}: taken after operation #{late.of_op} ended")


async def _record(deps: OperationDeps, late: Late, ctx: OperationContext) -> None:
    assert late.app_id is not None  # a backup watch always names its app
    await deps.records.add_backup(
        app_id=late.app_id,
        volid=late.volid,
        storage=late.storage,
        node=late.node,
        vmid=late.vmid,
        size=late.size,
    )
    ctx.log(f"{late.volid}: made by operation #{late.of_op}'s vzdump after it gave up; recorded")


DESTROY: tuple[StepDef[Late], ...] = (
    StepDef("destroy", lambda late: f"Stop and destroy CT {late.vmid}", _destroy),
)
DROP_SNAPSHOT: tuple[StepDef[Late], ...] = (
    StepDef("snapshot", lambda late: f"Remove snapshot {late.snapshot}", _drop_snapshot),
)
RECORD: tuple[StepDef[Late], ...] = (
    StepDef("record", lambda late: f"Record backup {late.volid}", _record),
)


def destroy_late_ct(deps: OperationDeps, late: Late) -> OperationSpec:
    return OperationSpec(
        "destroy_orphan",
        None,
        late.hostname,
        bind(DESTROY, deps, late),
        success_message=f"CT {late.vmid}, created late for operation #{late.of_op}, destroyed",
        parameters={"vmid": late.vmid, "node": late.node, "late_of": late.of_op},
        lock=[f"vmid:{late.vmid}"],
    )


def drop_late_snapshot(deps: OperationDeps, late: Late) -> OperationSpec:
    return OperationSpec(
        "remove_snapshot",
        late.app_id,
        late.hostname,
        bind(DROP_SNAPSHOT, deps, late),
        success_message=f"snapshot {late.snapshot}, taken late, removed",
        parameters={"vmid": late.vmid, "snapshot": late.snapshot, "late_of": late.of_op},
        lock=[late.app_id] if late.app_id else [f"vmid:{late.vmid}"],
    )


def record_late_backup(deps: OperationDeps, late: Late) -> OperationSpec:
    return OperationSpec(
        "record_backup",
        late.app_id,
        late.hostname,
        bind(RECORD, deps, late),
        success_message=f"backup {late.volid}, made late, recorded",
        parameters={"volid": late.volid, "late_of": late.of_op},
        lock=[late.app_id] if late.app_id else [],
    )
