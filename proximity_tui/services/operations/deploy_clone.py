"""A deploy on a node with a Docker-ready base (`docker_base.py`) clones it instead of creating a
CT: the clone call, then the app's own settings on the copy (the clone has the base's)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from proximity_tui.services import docker_base
from proximity_tui.services.containers import TAG
from proximity_tui.services.network import NetworkPlan

if TYPE_CHECKING:
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.services.operations.deploy_request import DeployJob
    from proximity_tui.services.operations.shape import OperationDeps


async def clone_call(
    deps: OperationDeps, job: DeployJob, ctx: OperationContext, description: str
) -> str:
    """Clone the base: linked where its storage can and the app's disk goes there (a linked
    clone stays on the base's storage: clone_vm refuses `storage`), full otherwise. The copy
    gets the app's identity block as its description (the base carries none)."""
    base = job.base
    assert base is not None
    types = {s.storage: s.type for s in await deps.client.storages(job.node)}
    linked = base.storage == job.storage and types.get(base.storage) in docker_base.LINKED_TYPES
    upid = await deps.containers.when_free(
        ctx,
        f"base CT {base.vmid}",
        lambda: deps.client.clone_ct(
            job.node,
            base.vmid,
            job.vmid,
            job.hostname,
            full=not linked,
            storage=None if linked else job.storage,
            pool=deps.settings.pool,
            description=description,
        ),
    )
    ctx.log(f"{'linked' if linked else 'full'} clone of base CT {base.vmid} on {base.storage}")
    return upid


async def fit_clone(
    deps: OperationDeps, job: DeployJob, ctx: OperationContext, tag_by_pct: bool
) -> None:
    """A clone has the base's settings: give it the app's size, network, tag and boot flag."""
    net = job.network or NetworkPlan("dhcp", deps.settings.bridge)
    changes: dict[str, Any] = {
        "cores": job.cores,
        "memory": job.memory,
        "swap": deps.settings.swap,
        "net0": net.net0(),
        "onboot": True,
    }
    if net.dns:
        changes["nameserver"] = net.dns
    if not tag_by_pct:
        changes["tags"] = TAG
    await deps.client.set_ct_config(job.node, job.vmid, **changes)
    if tag_by_pct:
        await deps.exec.pct(job.node, "set", str(job.vmid), "-tags", TAG)
    assert job.base is not None
    if job.disk > job.base.size_gb:
        upid = await deps.client.resize_ct(job.node, job.vmid, "rootfs", f"{job.disk}G")
        await deps.containers.task(ctx, upid)
    ctx.log(f"CT {job.vmid}: {job.cores} core(s), {job.memory} MB, {job.disk} GB, {net.bridge}")
