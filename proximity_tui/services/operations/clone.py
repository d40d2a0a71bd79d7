"""Cloning an app: a full copy of its container under a new hostname and vmid.

A running container can only be fully cloned from a snapshot (Proxmox refuses otherwise), so a
temporary snapshot is taken and removed afterwards, whatever happens. The clone keeps the source's
compose project (same data, same environment) and gets its own app row, description and address.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from proximity_tui.errors import ConflictError, ValidationError
from proximity_tui.services.containers import (
    app_compose_file,
    description_for,
    late_grace,
    uncertain,
)
from proximity_tui.services.network import copy_plan, plan_from_record
from proximity_tui.services.operations.deploy import candidates, keep_row_as_error
from proximity_tui.services.operations.lifecycle import app_url
from proximity_tui.services.operations.pipeline import Step
from proximity_tui.services.storage_caps import rootfs_caps
from proximity_tui.services.validation import check_hostname

if TYPE_CHECKING:
    from proximity_tui.services.app_service import AppService
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.views import AppView


async def clone(svc: AppService, source: AppView, new_hostname: str) -> AppView:
    hostname = check_hostname(new_hostname, field="new hostname")
    new_id = f"{source.catalog_id}-{hostname}"
    ctx = await svc.begin(
        "clone",
        app_id=new_id,
        hostname=hostname,
        parameters={"source": source.id, "hostname": hostname},
        lock=[source.id, new_id, f"hostname:{hostname}"],
    )
    state = ctx.state
    node = source.node

    async def validate(ctx: OperationContext) -> None:
        problem = await svc.hostname_conflict(hostname)
        if problem:
            raise ValidationError(problem, field="new hostname")
        source_ct = await svc.containers.status(node, source.vmid)
        if source_ct is None:
            raise ConflictError(f"CT {source.vmid} of {source.hostname} no longer exists")
        state["source_running"] = source_ct.running

    async def reserve(ctx: OperationContext) -> None:
        environment = await svc.records.environment(source.id)
        vmid = await svc.reserve_row(
            ctx,
            lambda vmid: {
                "id": new_id,
                "catalog_id": source.catalog_id,
                "name": source.name,
                "hostname": hostname,
                "status": "deploying",
                "lxc_id": vmid,
                "node": node,
                "owner_id": svc.user.id,
                "config": {
                    **source.config,
                    "compose_file": app_compose_file(source),
                    "cloned_from": source.id,
                    "status_reason": None,
                },
                "ports": dict(source.ports),
                "volumes": list(source.volumes),
                "environment": environment,
            },
        )
        await ctx.save_state(vmid=vmid, node=node, reserved=True)
        net = copy_plan(svc.deploy_settings, source.config.get("network"))
        if net is not None:  # the copy would keep the source's static address: a new one
            address = await svc.records.reserve_address(new_id, candidates(net))
            await ctx.save_state(network=replace(net, address=address).record())
            ctx.log(f"address {address}/{net.prefix} reserved for the copy")

    async def unreserve(ctx: OperationContext) -> str | None:
        if not state.get("reserved"):
            return None  # the reservation failed: the row (if any) is someone else's
        if state.get("ct_left"):
            return await keep_row_as_error(svc, ctx, new_id, "clone")
        if await svc.records.delete(new_id, vmid=state["vmid"]):
            return f"removed the app row {new_id}"
        return None

    async def snapshot(ctx: OperationContext) -> None:
        if not state.get("source_running"):
            state["result"] = {"method": "full clone of the stopped CT"}
            ctx.log(f"{source.hostname} is stopped: cloning it directly")
            return
        caps = await rootfs_caps(svc.client, node, source.vmid)
        if not caps.can_snapshot:
            # A running CT is fully cloned only from a snapshot (pve-container API2/LXC.pm
            # clone_vm): here the source is stopped for the copy and started again after it.
            state["result"] = {"method": "stop, full clone, start", "storage": caps.storage}
            ctx.log(
                f"{caps} cannot snapshot: stopping {source.hostname} for the copy "
                "(it is started again right after)"
            )
            await ctx.save_state(source_stopped=True)
            await svc.containers.stop(ctx, node, source.vmid)
            return
        state["result"] = {"method": "snapshot, full clone", "storage": caps.storage}
        name = f"proximity-clone-{ctx.op_id}"
        await ctx.save_state(snapshot=name)
        await svc.containers.task(ctx, await svc.client.create_snapshot(node, source.vmid, name))

    async def drop_snapshot(ctx: OperationContext) -> str | None:
        if state.get("source_stopped"):
            await svc.containers.start(ctx, node, source.vmid)
            state["source_stopped"] = False
            return f"started {source.hostname} again"
        name = state.get("snapshot")
        if not name or state.get("snapshot_removed"):
            return None
        if name not in {s.name for s in await svc.client.snapshots(node, source.vmid)}:
            return None
        await svc.containers.task(ctx, await svc.client.delete_snapshot(node, source.vmid, name))
        state["snapshot_removed"] = True
        return f"removed snapshot {name} of CT {source.vmid}"

    async def copy(ctx: OperationContext) -> None:
        await ctx.save_state(clone_requested=True)
        try:
            upid = await svc.client.clone_ct(
                node,
                source.vmid,
                state["vmid"],
                hostname,
                snapname=state.get("snapshot"),
                full=True,
                pool=svc.deploy_settings.pool,  # VM.Allocate on the pool covers the new id
                description=description_for(new_id),
            )
        except BaseException as exc:
            if uncertain(exc):  # the copy may still appear: the undo watches for it
                state["clone_uncertain"] = True
            raise
        await svc.containers.task(ctx, upid)

    async def destroy_copy(ctx: OperationContext) -> str | None:
        vmid = state.get("vmid")
        try:
            if vmid and state.get("clone_uncertain"):
                await svc.containers.appears(node, vmid, late_grace(svc.client))
            if not vmid or not await svc.containers.owned_by(node, vmid, new_id, hostname):
                return None
            await svc.containers.destroy(ctx, node, vmid)
        except BaseException:
            state["ct_left"] = True  # the copy may remain: its row must too (see unreserve)
            raise
        return f"destroyed CT {vmid} on {node}"

    async def cleanup(ctx: OperationContext) -> None:
        what = await drop_snapshot(ctx)
        if what:
            ctx.log(what)

    async def boot(ctx: OperationContext) -> None:
        net = plan_from_record(state.get("network"))
        if net is not None:
            await svc.client.set_ct_config(node, state["vmid"], net0=net.net0())
        await svc.containers.start(ctx, node, state["vmid"])
        state["address"] = await svc.containers.wait_address(ctx, node, state["vmid"])

    async def compose_up(ctx: OperationContext) -> None:
        cfile = app_compose_file(source)
        await svc.containers.compose(ctx, node, state["vmid"], cfile, "up", "-d")
        check = source.config.get("health") or {}
        await svc.containers.wait_healthy(
            ctx, node, state["vmid"], cfile, port=check.get("port"), path=check.get("path")
        )

    async def record(ctx: OperationContext) -> None:
        url = app_url(state.get("address"), source.config.get("web_port"))
        await svc.records.set_status(
            new_id,
            "running",
            url=url,
            config={"address": state.get("address"), "network": state.get("network")},
        )
        await ctx.save_state(recorded=True)

    steps = [
        Step("validate", "Validate the new hostname", validate, weight=0.3),
        Step("reserve", "Reserve the hostname and a vmid", reserve, unreserve, 0.3),
        Step("snapshot", "Snapshot (or stop) the running source", snapshot, drop_snapshot, 1),
        Step("clone", "Copy the container", copy, destroy_copy, 3),
        Step("cleanup", "Remove the snapshot (or restart the source)", cleanup, weight=0.5),
        Step("start", "Start the copy", boot, weight=1),
        Step("compose", "Start the app's services", compose_up, weight=2),
        Step("record", "Record the copy as running", record, weight=0.2),
    ]

    def done() -> str:
        method = (state.get("result") or {}).get("method", "full clone")
        return f"{source.hostname} cloned to {hostname} ({method})"

    await svc.execute(ctx, steps, success_message=done)
    return await svc.get_app(new_id)
