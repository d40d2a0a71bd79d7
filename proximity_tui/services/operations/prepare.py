"""Preparing a node: build (or check) its Docker-ready base before any deploy needs it.

`proximity-tui prepare NODE` and the dashboard's palette run this; a deploy on a node without a
current base does the same in its `template` step (`docker_base.ensure`). `rebuild` replaces a
current base too (after a host update the doctor flags, say).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from proximity_tui.errors import ValidationError
from proximity_tui.services import docker_base
from proximity_tui.services.catalog.model import DEFAULT_TEMPLATE
from proximity_tui.services.network import NetworkPlan
from proximity_tui.services.operations.shape import OperationDeps, OperationSpec, StepDef, bind
from proximity_tui.services.templates import pinned_template, resolve_template

if TYPE_CHECKING:
    from proximity_tui.services.operations.context import OperationContext


@dataclass
class Prepare:
    node: str
    rebuild: bool = False
    storage: str = ""
    #: Images the base must carry (`base_images.py`), normalized.
    images: tuple[str, ...] = ()


async def _place(deps: OperationDeps, job: Prepare, ctx: OperationContext) -> None:
    online = [n.node for n in await deps.client.nodes_with_capacity()]
    if job.node not in online:
        known = ", ".join(online) or "none"
        raise ValidationError(
            f"node {job.node!r} is not an online node (online: {known})", field="node"
        )
    names = [s.storage for s in await deps.client.storages_accepting(job.node, "rootdir")]
    if not names:
        raise ValidationError(f"node {job.node} has no storage for container disks")
    job.storage = deps.settings.storage if deps.settings.storage in names else names[0]
    ctx.log(f"node {job.node}, base disk on {job.storage}")


async def _base(deps: OperationDeps, job: Prepare, ctx: OperationContext) -> None:
    pinned = pinned_template("", DEFAULT_TEMPLATE, deps.settings.template)
    choice = await resolve_template(deps.client, job.node, pinned)
    net = NetworkPlan("dhcp", deps.settings.bridge)
    base, _ = await docker_base.ensure(
        deps, ctx, job.node, job.storage, choice, net, rebuild=job.rebuild, images=job.images
    )
    if base is None:
        raise ValidationError(
            f"storage {job.storage} on {job.node} cannot hold a CT template: deploys there "
            "create their containers and install Docker each time"
        )
    ctx.state["result"] = {"vmid": base.vmid, "node": base.node, **base.facts}


PREPARE: tuple[StepDef[Prepare], ...] = (
    StepDef("place", "Check the node and its storage", _place, weight=0.3),
    StepDef("template", "Build or check the Docker-ready base", _base, weight=5),
)


def prepare(
    deps: OperationDeps, node: str, *, rebuild: bool = False, images: tuple[str, ...] = ()
) -> OperationSpec:
    if not node:
        raise ValidationError("name the node to prepare", field="node")
    if deps.settings.network == "static":
        # The base borrows a deploy's reserved address while Docker is installed in it.
        raise ValidationError(
            'with [deploy] network = "static" the first deploy on a node builds its base '
            "(it lends the base its reserved address)",
            field="node",
        )
    job = Prepare(node, rebuild, images=images)
    return OperationSpec(
        "prepare",
        None,
        f"proximity-base-{node}",
        bind(PREPARE, deps, job),
        success_message=lambda ctx: (
            f"Docker-ready base of {node}: CT {(ctx.state.get('result') or {}).get('vmid')}"
        ),
        parameters={"node": node, "rebuild": rebuild, "images": list(images)},
        lock=[f"base:{node}"],
    )
