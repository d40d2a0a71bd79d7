"""Cloning an app: a full copy of its container under a new hostname and vmid.

A running container can only be fully cloned from a snapshot (Proxmox refuses otherwise), so a
temporary snapshot is taken and removed afterwards, whatever happens. The clone keeps the source's
compose project (same data, same environment) and gets its own app row, description and address.
Facts found on the way (the vmid, the snapshot, whether the copy was asked for) live in
`ctx.state`, saved before the action they guard, where the undos and crash recovery read them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from proximity_tui.errors import ConflictError, ValidationError
from proximity_tui.services.compose_health import wait_healthy
from proximity_tui.services.containers import (
    app_compose_file,
    compose_file,
    uncertain,
)
from proximity_tui.services.identity import Identity, description_for, from_app
from proximity_tui.services.network import copy_plan, plan_from_record
from proximity_tui.services.operations import vmids
from proximity_tui.services.operations.deploy import candidates
from proximity_tui.services.operations.host_check import ensure_docker_runs
from proximity_tui.services.operations.late import appears_or_watch
from proximity_tui.services.operations.lifecycle import app_url
from proximity_tui.services.operations.shape import (
    OperationDeps,
    OperationSpec,
    StepDef,
    bind,
    hostname_conflict,
)
from proximity_tui.services.storage_caps import rootfs_caps
from proximity_tui.services.validation import check_hostname

if TYPE_CHECKING:
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.views import AppView


@dataclass(frozen=True)
class Clone:
    source: AppView
    hostname: str
    new_id: str
    #: Where the copy lives (clone_target.check_target): the source's node, or another one.
    target: str

    @property
    def node(self) -> str:
        """The source's node: the snapshot and the clone task run there."""
        return self.source.node


async def _validate(deps: OperationDeps, job: Clone, ctx: OperationContext) -> None:
    problem = await hostname_conflict(deps, job.hostname)
    if problem:
        raise ValidationError(problem, field="new hostname")
    await ensure_docker_runs(deps, ctx, job.target)  # the copy's services could not start
    source_ct = await deps.containers.status(job.node, job.source.vmid)
    if source_ct is None:
        raise ConflictError(f"CT {job.source.vmid} of {job.source.hostname} no longer exists")
    ctx.state["source_running"] = source_ct.running


def _row(deps: OperationDeps, job: Clone, environment: dict[str, str], vmid: int) -> dict[str, Any]:
    source = job.source
    return {
        "id": job.new_id,
        "catalog_id": source.catalog_id,
        "name": source.name,
        "hostname": job.hostname,
        "status": "deploying",
        "lxc_id": vmid,
        "node": job.target,
        "owner_id": deps.user_id,
        "config": {
            **source.config,
            "compose_file": app_compose_file(source),
            "cloned_from": source.id,
            "status_reason": None,
        },
        "ports": dict(source.ports),
        "volumes": list(source.volumes),
        "environment": environment,
    }


async def _reserve(deps: OperationDeps, job: Clone, ctx: OperationContext) -> None:
    environment = await deps.records.environment(job.source.id)
    await vmids.reserve_row(
        deps.client,
        deps.records,
        ctx,
        lambda vmid: _row(deps, job, environment, vmid),
        lambda vmid: {"vmid": vmid, "node": job.target, "reserved": True},
    )
    net = copy_plan(deps.settings, job.source.config.get("network"))
    if net is not None:  # the copy would keep the source's static address: a new one
        address = await deps.records.reserve_address(job.new_id, candidates(net))
        await ctx.save_state(network=replace(net, address=address).record())
        ctx.log(f"address {address}/{net.prefix} reserved for the copy")


async def _unreserve(deps: OperationDeps, job: Clone, ctx: OperationContext) -> str | None:
    if not ctx.state.get("reserved"):
        return None  # the reservation failed: the row (if any) is someone else's
    if ctx.state.get("ct_left"):
        return await vmids.keep_row_as_error(deps.records, ctx, job.new_id, "clone")
    if await deps.records.delete(job.new_id, vmid=ctx.state["vmid"]):
        return f"removed the app row {job.new_id}"
    return None


async def _snapshot(deps: OperationDeps, job: Clone, ctx: OperationContext) -> None:
    if not ctx.state.get("source_running"):
        ctx.state["result"] = {"method": "full clone of the stopped CT"}
        ctx.log(f"{job.source.hostname} is stopped: cloning it directly")
        return
    caps = await rootfs_caps(deps.client, job.node, job.source.vmid)
    if not caps.can_snapshot:
        # A running CT is fully cloned only from a snapshot (pve-container API2/LXC.pm
        # clone_vm): here the source is stopped for the copy and started again after it.
        ctx.state["result"] = {"method": "stop, full clone, start", "storage": caps.storage}
        ctx.log(
            f"{caps} cannot snapshot: stopping {job.source.hostname} for the copy "
            "(it is started again right after)"
        )
        await ctx.save_state(source_stopped=True)
        await deps.containers.stop(ctx, job.node, job.source.vmid)
        return
    ctx.state["result"] = {"method": "snapshot, full clone", "storage": caps.storage}
    name = f"proximity-clone-{ctx.op_id}"
    await ctx.save_state(snapshot=name)
    await deps.containers.task(
        ctx, await deps.client.create_snapshot(job.node, job.source.vmid, name)
    )


async def _drop_snapshot(deps: OperationDeps, job: Clone, ctx: OperationContext) -> str | None:
    if ctx.state.get("source_stopped"):
        await deps.containers.start(ctx, job.node, job.source.vmid)
        ctx.state["source_stopped"] = False
        return f"started {job.source.hostname} again"
    name = ctx.state.get("snapshot")
    if not name or ctx.state.get("snapshot_removed"):
        return None
    vmid = job.source.vmid
    if name not in {s.name for s in await deps.client.snapshots(job.node, vmid)}:
        return None
    await deps.containers.task(ctx, await deps.client.delete_snapshot(job.node, vmid, name))
    ctx.state["snapshot_removed"] = True
    return f"removed snapshot {name} of CT {vmid}"


async def _copy(deps: OperationDeps, job: Clone, ctx: OperationContext) -> None:
    await ctx.save_state(clone_requested=True)
    try:
        upid = await deps.client.clone_ct(
            job.node,
            job.source.vmid,
            ctx.state["vmid"],
            job.hostname,
            snapname=ctx.state.get("snapshot"),
            full=True,
            # clone_vm moves the copy's config to `target` once its disk is copied
            target=job.target if job.target != job.node else None,
            pool=deps.settings.pool,  # VM.Allocate on the pool covers the new id
            description=description_for(identity(deps, job)),
        )
    except BaseException as exc:
        if uncertain(exc):  # the copy may still appear: the undo watches for it
            ctx.state["clone_uncertain"] = True
        raise
    await deps.containers.task(ctx, upid)


def identity(deps: OperationDeps, job: Clone) -> Identity:
    """The copy's identity: its own id, hostname, owner and time; the source's catalog entry,
    version and compose file (a copy keeps its source's path)."""
    cfile = app_compose_file(job.source)
    return replace(
        from_app(job.source),
        app_id=job.new_id,
        hostname=job.hostname,
        owner=deps.user_name,
        created=datetime.now(UTC),
        compose_file="" if cfile == compose_file(job.hostname) else cfile,
    )


async def _destroy_copy(deps: OperationDeps, job: Clone, ctx: OperationContext) -> str | None:
    vmid = ctx.state.get("vmid")
    try:
        if (
            vmid
            and ctx.state.get("clone_uncertain")
            and not await appears_or_watch(deps, ctx, job.target, vmid, job.new_id, job.hostname)
        ):
            return None
        if not vmid or not await deps.containers.owned_by(
            job.target, vmid, job.new_id, job.hostname
        ):
            return None
        await deps.containers.destroy(ctx, job.target, vmid)
    except BaseException:
        ctx.state["ct_left"] = True  # the copy may remain: its row must too (see _unreserve)
        raise
    return f"destroyed CT {vmid} on {job.target}"


async def _cleanup(deps: OperationDeps, job: Clone, ctx: OperationContext) -> None:
    what = await _drop_snapshot(deps, job, ctx)
    if what:
        ctx.log(what)


async def _boot(deps: OperationDeps, job: Clone, ctx: OperationContext) -> None:
    net = plan_from_record(ctx.state.get("network"))
    if net is not None:
        await deps.client.set_ct_config(job.target, ctx.state["vmid"], net0=net.net0())
    await deps.containers.start(ctx, job.target, ctx.state["vmid"])
    ctx.state["address"] = await deps.containers.wait_address(ctx, job.target, ctx.state["vmid"])


async def _compose_up(deps: OperationDeps, job: Clone, ctx: OperationContext) -> None:
    cfile = app_compose_file(job.source)
    vmid = ctx.state["vmid"]
    await deps.containers.compose(ctx, job.target, vmid, cfile, "up", "-d")
    check = job.source.config.get("health") or {}
    await wait_healthy(
        deps.containers,
        ctx,
        job.target,
        vmid,
        cfile,
        port=check.get("port"),
        path=check.get("path"),
    )


async def _record(deps: OperationDeps, job: Clone, ctx: OperationContext) -> None:
    address = ctx.state.get("address")
    url = app_url(address, job.source.config.get("web_port"))
    config = {"address": address, "network": ctx.state.get("network")}
    await deps.records.set_status(job.new_id, "running", url=url, config=config)
    await ctx.save_state(recorded=True)


CLONE: tuple[StepDef[Clone], ...] = (
    StepDef("validate", "Validate the new hostname", _validate, weight=0.3),
    StepDef("reserve", "Reserve the hostname and a vmid", _reserve, _unreserve, 0.3),
    StepDef("snapshot", "Snapshot (or stop) the running source", _snapshot, _drop_snapshot, 1),
    StepDef("clone", "Copy the container", _copy, _destroy_copy, 3),
    StepDef("cleanup", "Remove the snapshot (or restart the source)", _cleanup, weight=0.5),
    StepDef("start", "Start the copy", _boot, weight=1),
    StepDef("compose", "Start the app's services", _compose_up, weight=2),
    StepDef("record", "Record the copy as running", _record, weight=0.2),
)


def clone(
    deps: OperationDeps, source: AppView, new_hostname: str, target: str | None = None
) -> OperationSpec:
    """The copy's app id is `<catalog id>-<new hostname>`; a bad hostname raises here, before
    anything is recorded. `target`: a node `clone_target.check_target` allowed (None: the
    source's)."""
    hostname = check_hostname(new_hostname, field="new hostname")
    job = Clone(source, hostname, f"{source.catalog_id}-{hostname}", target or source.node)
    where = f" on {job.target}" if job.target != source.node else ""
    return OperationSpec(
        "clone",
        job.new_id,
        hostname,
        bind(CLONE, deps, job),
        success_message=lambda ctx: (
            f"{source.hostname} cloned to {hostname}{where} "
            f"({(ctx.state.get('result') or {}).get('method', 'full clone')})"
        ),
        parameters={"source": source.id, "hostname": hostname, "node": job.target},
        lock=[source.id, job.new_id, f"hostname:{hostname}"],
    )
