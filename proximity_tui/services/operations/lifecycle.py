"""Start, stop, restart and delete: short step lists run as journaled operations.

Stopping is graceful: `docker compose down` first, then a shutdown task, forced to a stop when the
shutdown does not finish in time. Starting brings the compose project back up and waits until it
answers, so `running` always means the app works, not just the container.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from proximity_tui.errors import (
    ConflictError,
    ExecConnectionError,
    ExecTimeout,
    NotFoundError,
    ValidationError,
)
from proximity_tui.services.containers import TAG, app_compose_file
from proximity_tui.services.operations.pipeline import Step, StepFailed

if TYPE_CHECKING:
    from proximity_tui.services.app_service import AppService
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.views import AppView


def app_url(address: str | None, web_port: int | None) -> str | None:
    if not address or not web_port:
        return None
    return f"http://{address}/" if web_port == 80 else f"http://{address}:{web_port}/"


def start_steps(svc: AppService, app: AppView) -> list[Step]:
    async def boot(ctx: OperationContext) -> None:
        await svc.containers.start(ctx, app.node, app.vmid)

    async def network(ctx: OperationContext) -> None:
        ctx.state["address"] = await svc.containers.wait_address(ctx, app.node, app.vmid)

    async def compose_up(ctx: OperationContext) -> None:
        await svc.containers.compose(ctx, app.node, app.vmid, app_compose_file(app), "up", "-d")

    async def health(ctx: OperationContext) -> None:
        check = app.config.get("health") or {}
        await svc.containers.wait_healthy(
            ctx,
            app.node,
            app.vmid,
            app_compose_file(app),
            port=check.get("port"),
            path=check.get("path"),
        )

    async def record(ctx: OperationContext) -> None:
        address = ctx.state.get("address")
        await svc.records.set_status(
            app.id,
            "running",
            url=app_url(address, app.config.get("web_port")) or app.url,
            config={"address": address},
        )

    return [
        Step("start", "Start the container", boot),
        Step("network", "Wait for an IP address", network, weight=0.5),
        Step("compose", "Start the app's services", compose_up),
        Step("health", "Check the app answers", health),
        Step("record", "Record the app as running", record, weight=0.2),
    ]


def stop_steps(svc: AppService, app: AppView, *, record: bool = True) -> list[Step]:
    async def compose_down(ctx: OperationContext) -> None:
        guest = await svc.containers.status(app.node, app.vmid)
        if guest is None or not guest.running:
            ctx.log(f"CT {app.vmid} is not running")
            return
        try:
            result = await svc.containers.compose(
                ctx, app.node, app.vmid, app_compose_file(app), "down", check=False, timeout=120
            )
        except (ExecConnectionError, ExecTimeout) as exc:
            # Best effort like a non-zero exit: the shutdown below still stops the services.
            ctx.log(f"compose down did not finish ({exc}); stopping anyway", level="warning")
            return
        if result.exit_status != 0:  # the container still stops: say so, do not fail
            ctx.log(f"compose down exited {result.exit_status}; stopping anyway", level="warning")

    async def shutdown(ctx: OperationContext) -> None:
        await svc.containers.stop(ctx, app.node, app.vmid, graceful=True)

    async def mark_stopped(ctx: OperationContext) -> None:
        await svc.records.set_status(app.id, "stopped")

    steps = [
        Step("compose", "Stop the app's services", compose_down),
        Step("shutdown", "Shut the container down", shutdown),
    ]
    if record:
        steps.append(Step("record", "Record the app as stopped", mark_stopped, weight=0.2))
    return steps


async def _mark_error(svc: AppService, app: AppView, failure: StepFailed) -> None:
    await svc.records.set_status(app.id, "error", reason=str(failure))


#: Steps after which a running CT whose start failed runs an app that does not work.
_APP_STEPS = ("network", "compose", "health", "record")


async def status_after_failure(svc: AppService, kind: str, app: AppView, failure: StepFailed):
    """What the app is after a failed start/stop/restart: the container's real state, not a
    blanket `error` that would hide it (a start refused while Proxmox was offline leaves the app
    stopped, a failed stop leaves it running). `error` only when the container runs but the app
    in it did not come up. None when Proxmox cannot say (the monitor settles it later)."""
    try:
        guest = await svc.containers.status(app.node, app.vmid)
    except Exception:  # noqa: BLE001 - unreachable: keep the status we knew
        return None
    if guest is None:
        return "missing"
    if not guest.running:
        return "stopped" if guest.status == "stopped" else None
    if kind != "stop" and failure.step in _APP_STEPS:
        return "error"
    return "running"


async def _run(svc: AppService, kind: str, app: AppView, steps: list[Step], done: str) -> AppView:
    ctx = await svc.begin(kind, app_id=app.id, hostname=app.hostname, lock=[app.id])

    async def on_failure(failure: StepFailed) -> str:
        status = await status_after_failure(svc, kind, app, failure)
        if status == "error":
            await _mark_error(svc, app, failure)
        elif status is not None:
            await svc.records.set_status(app.id, status)
        return "rolled_back" if failure.cancelled and not failure.undo_errors else "failed"

    await svc.execute(ctx, steps, on_failure=on_failure, success_message=done)
    return await svc.get_app(app.id)


async def start(svc: AppService, app: AppView) -> AppView:
    return await _run(svc, "start", app, start_steps(svc, app), f"{app.hostname} started")


async def stop(svc: AppService, app: AppView) -> AppView:
    return await _run(svc, "stop", app, stop_steps(svc, app), f"{app.hostname} stopped")


async def restart(svc: AppService, app: AppView) -> AppView:
    steps = stop_steps(svc, app, record=False) + start_steps(svc, app)
    return await _run(svc, "restart", app, steps, f"{app.hostname} restarted")


async def delete(svc: AppService, app: AppView) -> None:
    """Stop, destroy with purge, delete the row. A failure leaves the app listed as `error`
    with the reason (the row is only deleted once the container is really gone)."""

    async def mark_removing(ctx: OperationContext) -> None:
        await svc.records.set_status(app.id, "removing")

    async def destroy(ctx: OperationContext) -> None:
        guest = await svc.containers.status(app.node, app.vmid)
        if guest is None:
            ctx.log(f"CT {app.vmid} no longer exists on {app.node}")
            return
        if not await svc.containers.owned_by(app.node, app.vmid, app.id, app.hostname):
            ctx.log(f"CT {app.vmid} on {app.node} does not belong to {app.hostname}", level="error")
            raise ConflictError(
                f"CT {app.vmid} is neither tagged for {app.id} nor named {app.hostname}: "
                "not destroying it"
            )
        await svc.containers.destroy(ctx, app.node, app.vmid)

    async def forget(ctx: OperationContext) -> None:
        await svc.records.delete(app.id)

    steps = [
        Step("prepare", "Mark the app as being removed", mark_removing, weight=0.2),
        Step("destroy", "Stop and destroy the container", destroy, weight=2),
        Step("forget", "Remove the app's record", forget, weight=0.2),
    ]
    ctx = await svc.begin("delete", app_id=app.id, hostname=app.hostname, lock=[app.id])

    async def on_failure(failure: StepFailed) -> str:
        await _mark_error(svc, app, failure)
        return "failed"

    await svc.execute(ctx, steps, on_failure=on_failure, success_message=f"{app.hostname} deleted")


async def destroy_orphan(svc: AppService, vmid: int) -> None:
    """Destroy a container tagged `proximity` that no app row knows (debris of a crash or of an
    app deleted elsewhere). Refused for anything untagged or known: only our own debris goes."""
    from proximity_tui.services.validation import check_vmid

    vmid = check_vmid(vmid)
    guest = next((g for g in await svc.client.cluster_resources() if g.vmid == vmid), None)
    if guest is None or guest.type != "lxc":
        raise NotFoundError("container", vmid)
    if TAG not in guest.tags:
        raise ValidationError(
            f"CT {vmid} is not tagged '{TAG}': Proximity only removes its own containers",
            field="vmid",
        )
    if await svc.records.vmids_from(vmid) & {vmid}:
        raise ValidationError(f"CT {vmid} belongs to an app: delete the app instead", field="vmid")
    ctx = await svc.begin(
        "destroy_orphan",
        app_id=None,
        hostname=guest.name or None,
        parameters={"vmid": vmid, "node": guest.node},
        lock=[f"vmid:{vmid}"],
    )

    async def destroy(ctx: OperationContext) -> None:
        if await svc.containers.destroy(ctx, guest.node, vmid):
            ctx.log(f"destroyed CT {vmid} on {guest.node}")

    await svc.execute(
        ctx,
        [Step("destroy", f"Stop and destroy CT {vmid}", destroy)],
        success_message=f"orphan CT {vmid} destroyed",
    )
