"""Start, stop, restart and delete: short step tables run as journaled operations.

Stopping is graceful: `docker compose down` first, then a shutdown task, forced to a stop when the
shutdown does not finish in time. Starting brings the compose project back up and waits until it
answers, so `running` always means the app works, not just the container.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from proximity_tui.errors import (
    ConflictError,
    ExecConnectionError,
    ExecTimeout,
    NotFoundError,
    ValidationError,
)
from proximity_tui.services.compose_health import wait_healthy
from proximity_tui.services.containers import TAG, app_compose_file
from proximity_tui.services.operations.host_check import ensure_docker_runs
from proximity_tui.services.operations.pipeline import StepFailed
from proximity_tui.services.operations.shape import OperationDeps, OperationSpec, StepDef, bind

if TYPE_CHECKING:
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.views import AppView


def app_url(address: str | None, web_port: int | None) -> str | None:
    if not address or not web_port:
        return None
    return f"http://{address}/" if web_port == 80 else f"http://{address}:{web_port}/"


# --- start ---


async def _boot(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    await deps.containers.start(ctx, app.node, app.vmid)


async def _network(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    ctx.state["address"] = await deps.containers.wait_address(ctx, app.node, app.vmid)


async def _compose_up(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    await deps.containers.compose(ctx, app.node, app.vmid, app_compose_file(app), "up", "-d")


async def _health(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    check = app.config.get("health") or {}
    await wait_healthy(
        deps.containers,
        ctx,
        app.node,
        app.vmid,
        app_compose_file(app),
        port=check.get("port"),
        path=check.get("path"),
    )


async def _record_running(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    address = ctx.state.get("address")
    await deps.records.set_status(
        app.id,
        "running",
        url=app_url(address, app.config.get("web_port")) or app.url,
        config={"address": address},
    )


START: tuple[StepDef[AppView], ...] = (
    StepDef("start", "Start the container", _boot),
    StepDef("network", "Wait for an IP address", _network, weight=0.5),
    StepDef("compose", "Start the app's services", _compose_up),
    StepDef("health", "Check the app answers", _health),
    StepDef("record", "Record the app as running", _record_running, weight=0.2),
)


async def _docker_ready(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    await ensure_docker_runs(deps, ctx, app.node)


#: Start and restart ask the doctor's lxc-pve check first (`host_check.py`): on a node where
#: Docker cannot start containers, nothing is stopped or started.
CHECK_HOST: StepDef[AppView] = StepDef(
    "host", "Check the node can run Docker", _docker_ready, weight=0.1
)


# --- stop ---


async def _compose_down(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    guest = await deps.containers.status(app.node, app.vmid)
    if guest is None or not guest.running:
        ctx.log(f"CT {app.vmid} is not running")
        return
    try:
        result = await deps.containers.compose(
            ctx, app.node, app.vmid, app_compose_file(app), "down", check=False, timeout=120
        )
    except (ExecConnectionError, ExecTimeout) as exc:
        # Best effort like a non-zero exit: the shutdown below still stops the services.
        ctx.log(f"compose down did not finish ({exc}); stopping anyway", level="warning")
        return
    if result.exit_status != 0:  # the container still stops: say so, do not fail
        ctx.log(f"compose down exited {result.exit_status}; stopping anyway", level="warning")


async def _shutdown(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    await deps.containers.stop(ctx, app.node, app.vmid, graceful=True)


async def _record_stopped(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    await deps.records.set_status(app.id, "stopped")


STOP: tuple[StepDef[AppView], ...] = (
    StepDef("compose", "Stop the app's services", _compose_down),
    StepDef("shutdown", "Shut the container down", _shutdown),
)
RECORD_STOPPED: StepDef[AppView] = StepDef(
    "record", "Record the app as stopped", _record_stopped, weight=0.2
)


# --- what a failure leaves ---

#: Steps after which a running CT whose start failed runs an app that does not work.
_APP_STEPS = ("network", "compose", "health", "record")


async def status_after_failure(deps: OperationDeps, kind: str, app: AppView, failure: StepFailed):
    """What the app is after a failed start/stop/restart: the container's real state, not a
    blanket `error` that would hide it (a start refused while Proxmox was offline leaves the app
    stopped, a failed stop leaves it running). `error` only when the container runs but the app
    in it did not come up. None when Proxmox cannot say (the monitor settles it later)."""
    try:
        guest = await deps.containers.status(app.node, app.vmid)
    except Exception:  # noqa: BLE001 - unreachable: keep the status we knew
        return None
    if guest is None:
        return "missing"
    if not guest.running:
        return "stopped" if guest.status == "stopped" else None
    if kind != "stop" and failure.step in _APP_STEPS:
        return "error"
    return "running"


async def _settle(
    deps: OperationDeps, kind: str, app: AppView, ctx: OperationContext, failure: StepFailed
) -> str:
    status = await status_after_failure(deps, kind, app, failure)
    if status == "error":
        await mark_error(deps, app, ctx, failure)
    elif status is not None:
        await deps.records.set_status(app.id, status)
    return "rolled_back" if failure.cancelled and not failure.undo_errors else "failed"


async def mark_error(
    deps: OperationDeps, app: AppView, ctx: OperationContext, failure: StepFailed
) -> str:
    """A failure after which the app is listed as `error`, with the reason."""
    await deps.records.set_status(app.id, "error", reason=str(failure))
    return "failed"


def _lifecycle(
    deps: OperationDeps, kind: str, app: AppView, table: tuple[StepDef[AppView], ...], done: str
) -> OperationSpec:
    return OperationSpec(
        kind,
        app.id,
        app.hostname,
        bind(table, deps, app),
        success_message=f"{app.hostname} {done}",
        lock=[app.id],
        on_failure=partial(_settle, deps, kind, app),
    )


def start(deps: OperationDeps, app: AppView) -> OperationSpec:
    return _lifecycle(deps, "start", app, (CHECK_HOST, *START), "started")


def stop(deps: OperationDeps, app: AppView) -> OperationSpec:
    return _lifecycle(deps, "stop", app, (*STOP, RECORD_STOPPED), "stopped")


def restart(deps: OperationDeps, app: AppView) -> OperationSpec:
    return _lifecycle(deps, "restart", app, (CHECK_HOST, *STOP, *START), "restarted")


# --- delete ---


async def _mark_removing(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    await deps.records.set_status(app.id, "removing")


async def _destroy(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    guest = await deps.containers.status(app.node, app.vmid)
    if guest is None:
        ctx.log(f"CT {app.vmid} no longer exists on {app.node}")
        return
    if not await deps.containers.owned_by(app.node, app.vmid, app.id, app.hostname):
        ctx.log(f"CT {app.vmid} on {app.node} does not belong to {app.hostname}", level="error")
        raise ConflictError(
            f"CT {app.vmid} is neither tagged for {app.id} nor named {app.hostname}: "
            "not destroying it"
        )
    await deps.containers.destroy(ctx, app.node, app.vmid)


async def _forget(deps: OperationDeps, app: AppView, ctx: OperationContext) -> None:
    await deps.records.delete(app.id)


DELETE: tuple[StepDef[AppView], ...] = (
    StepDef("prepare", "Mark the app as being removed", _mark_removing, weight=0.2),
    StepDef("destroy", "Stop and destroy the container", _destroy, weight=2),
    StepDef("forget", "Remove the app's record", _forget, weight=0.2),
)


def delete(deps: OperationDeps, app: AppView) -> OperationSpec:
    """Stop, destroy with purge, delete the row. A failure leaves the app listed as `error`
    with the reason (the row is only deleted once the container is really gone)."""
    return OperationSpec(
        "delete",
        app.id,
        app.hostname,
        bind(DELETE, deps, app),
        success_message=f"{app.hostname} deleted",
        lock=[app.id],
        on_failure=partial(mark_error, deps, app),
    )


# --- orphans ---


@dataclass(frozen=True)
class Orphan:
    vmid: int
    node: str


async def _destroy_orphan(deps: OperationDeps, orphan: Orphan, ctx: OperationContext) -> None:
    if await deps.containers.destroy(ctx, orphan.node, orphan.vmid):
        ctx.log(f"destroyed CT {orphan.vmid} on {orphan.node}")


DESTROY_ORPHAN: tuple[StepDef[Orphan], ...] = (
    StepDef("destroy", lambda o: f"Stop and destroy CT {o.vmid}", _destroy_orphan),
)


async def destroy_orphan(deps: OperationDeps, vmid: int) -> OperationSpec:
    """Destroy a container tagged `proximity` that no app row knows (debris of a crash or of an
    app deleted elsewhere). Refused for anything untagged or known: only our own debris goes."""
    from proximity_tui.services.validation import check_vmid

    vmid = check_vmid(vmid)
    guest = next((g for g in await deps.client.cluster_resources() if g.vmid == vmid), None)
    if guest is None or guest.type != "lxc":
        raise NotFoundError("container", vmid)
    if TAG not in guest.tags:
        raise ValidationError(
            f"CT {vmid} is not tagged '{TAG}': Proximity only removes its own containers",
            field="vmid",
        )
    if await deps.records.vmids_from(vmid) & {vmid}:
        raise ValidationError(f"CT {vmid} belongs to an app: delete the app instead", field="vmid")
    return OperationSpec(
        "destroy_orphan",
        None,
        guest.name or None,
        bind(DESTROY_ORPHAN, deps, Orphan(vmid, guest.node)),
        success_message=f"orphan CT {vmid} destroyed",
        parameters={"vmid": vmid, "node": guest.node},
        lock=[f"vmid:{vmid}"],
    )
