"""What a deploy would do, before it runs: the node choices and the plan the deploy form shows.

Nothing here changes anything; the plan reads what the deploy's own steps would read (nodes, the
template resolved as `deploy._template` resolves it, the next free vmid) and lists the problems
instead of raising them.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from proximity_tui.errors import ProximityError, ValidationError
from proximity_tui.service_views import DeployPlan, NodeChoice
from proximity_tui.services.catalog.model import DEFAULT_TEMPLATE
from proximity_tui.services.operations.deploy import MIB, deploy_steps
from proximity_tui.services.operations.deploy_request import DeployRequest, validate_request
from proximity_tui.services.operations.host_check import docker_refusal
from proximity_tui.services.templates import newest_alpine, pinned_template, resolve_template

if TYPE_CHECKING:
    from proximity_tui.services.catalog.service import CatalogService
    from proximity_tui.services.operations.shape import OperationDeps


async def node_choices(deps: OperationDeps) -> list[NodeChoice]:
    """Every node with its free memory and CPU, and whether the default template is cached."""
    nodes, caps = await asyncio.gather(deps.client.nodes(), deps.client.templates_by_node())
    pinned = deps.settings.template

    def ready(vols: list) -> bool:  # what the deploy would use is already there
        names = [v.name for v in vols]
        return pinned in names if pinned else newest_alpine(names) is not None

    return [
        NodeChoice(
            name=n.name,
            online=n.online,
            free_memory_mb=None if n.free_mem is None else n.free_mem // MIB,
            total_memory_mb=None if n.maxmem is None else n.maxmem // MIB,
            cpus=n.maxcpu,
            cpu_load=n.cpu,
            has_template=ready(caps.get(n.name, [])),
        )
        for n in nodes
    ]


async def plan(
    deps: OperationDeps,
    catalog: CatalogService,
    request: DeployRequest,
    *,
    taken: str | None,
    nodes: list[NodeChoice],
) -> DeployPlan:
    """What a deploy would do, without doing it: node, vmid, template, steps, problems. `taken`
    says why the hostname cannot be used (None: it can), `nodes` are the node choices."""
    problems: list[str] = []
    entry = catalog.get(request.catalog_id)
    network = ""
    try:
        job = validate_request(catalog, deps.settings, request)
        cores, memory, disk = job.cores, job.memory, job.disk
        network = job.network.describe() if job.network else ""
    except ProximityError as exc:
        problems.append(str(exc))
        res = entry.resources
        cores = request.cores or res.cores
        memory = request.memory or res.memory
        disk = request.disk or res.disk
    if taken and taken not in problems:
        problems.append(taken)
    online = [n for n in nodes if n.online]
    node = request.node
    chosen = next((n for n in online if n.name == node), None) if node else None
    if node and chosen is None:
        problems.append(f"node {node!r} is not online")
    if chosen is None and online:
        chosen = max(online, key=lambda n: (n.free_memory_mb is not None, n.free_memory_mb or 0))
    free = chosen.free_memory_mb if chosen is not None else None
    if chosen is not None and free is not None and free < memory:
        problems.append(f"{chosen.name} has {free} MB free, {memory} needed")
    pinned = pinned_template(entry.template, DEFAULT_TEMPLATE, deps.settings.template)
    template, cached = pinned or "the newest Alpine", False
    if chosen is not None:
        try:
            choice = await resolve_template(deps.client, chosen.name, pinned)
            template, cached = choice.name, choice.volid is not None
        except ValidationError as exc:
            problems.append(str(exc))
        refusal, _warning = await docker_refusal(deps, chosen.name)
        if refusal is not None:  # the deploy's place step would refuse it: say so now
            problems.append(str(refusal))
    return DeployPlan(
        catalog_id=entry.id,
        hostname=request.hostname.strip().lower(),
        node=chosen.name if chosen else "",
        vmid=await deps.client.next_vmid(),
        cores=cores,
        memory=memory,
        disk=disk,
        template=template,
        template_cached=cached,
        steps=tuple(deploy_steps()),
        problems=tuple(problems),
        network=network,
    )
