"""A deploy on a node with a Docker-ready base (`docker_base.py`) clones it instead of creating a
CT: the clone call, then the app's own settings on the copy (the clone has the base's), and its
disk grown to the app's size while it waits for its address."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from proximity_tui.services import docker_base
from proximity_tui.services.containers import TAG
from proximity_tui.services.network import NetworkPlan

if TYPE_CHECKING:
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.services.operations.deploy_request import DeployJob
    from proximity_tui.services.operations.shape import OperationDeps

A = TypeVar("A")
B = TypeVar("B")


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
    ctx.log(f"CT {job.vmid}: {job.cores} core(s), {job.memory} MB, {job.disk} GB, {net.bridge}")


async def while_growing(
    deps: OperationDeps, job: DeployJob, ctx: OperationContext, lease: Awaitable[str]
) -> str:
    """The CT's address (`lease`); a clone whose root disk is smaller than the app asked for
    grows meanwhile (both take seconds). The first failure ends the wait, the other is dropped."""
    if not needs_growing(job):
        return await lease
    address, _ = await both(lease, grow_disk(deps, job, ctx))
    return address


def needs_growing(job: DeployJob) -> bool:
    """The clone's root disk is the base's (`BASE_DISK_GB`): smaller than the app asked for."""
    return job.base is not None and job.disk > job.base.size_gb


async def grow_disk(deps: OperationDeps, job: DeployJob, ctx: OperationContext) -> None:
    """Grow the clone's root disk to the app's size while it boots. On a running CT Proxmox
    resizes online (pve-container `API2/LXC.pm` resize_vm: `resize2fs` on the mounted file
    system, no `e2fsck`), so the resize runs beside the wait for the DHCP lease instead of
    before the start; it only holds the config lock file, which nothing in that wait takes."""
    upid = await deps.client.resize_ct(job.node, job.vmid, "rootfs", f"{job.disk}G")
    await deps.containers.task(ctx, upid)
    ctx.log(f"root disk grown to {job.disk} GB")


async def both(first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    """Both results, or the first exception either raises (the other is cancelled)."""
    one, two = asyncio.ensure_future(first), asyncio.ensure_future(second)
    try:
        await asyncio.wait({one, two}, return_when=asyncio.FIRST_EXCEPTION)
        return one.result(), two.result()
    finally:
        for task in (one, two):
            task.cancel()
        await asyncio.gather(one, two, return_exceptions=True)
