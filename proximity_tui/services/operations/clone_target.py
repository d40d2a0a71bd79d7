"""Where a clone may go: the source's node, or another node when Proxmox would allow it.

pve-container `src/PVE/API2/LXC.pm` clone_vm takes `target` "only if the original VM is on
shared storage": a node that is not in the cluster dies "no such cluster node" (pve-cluster
`PVE::Cluster::check_node_exists`), a volume on a storage without `shared` dies "can't clone CT to
node X (CT uses local storage)". Clone_vm does not look at whether the target is online (the
config file only moves there), but the copy must start there to run its services, so an offline
node is refused too. Each refusal comes here, before any row, vmid or task, in one line that
names the fix. An app is never a template, so its copy is always full (linked clones need one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from proximity_tui.errors import ConflictError, ValidationError
from proximity_tui.services.storage_caps import rootfs_caps

if TYPE_CHECKING:
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.views import AppView


async def check_target(client: ProxmoxClient, source: AppView, node: str | None) -> str:
    """The node the copy goes to (`node`, or the source's when None), or the refusal."""
    if not node or node == source.node:
        return source.node
    nodes = {n.name: n for n in await client.nodes()}
    if node not in nodes:
        known = ", ".join(sorted(nodes)) or "none"
        raise ValidationError(
            f"no node named {node!r} in the cluster (nodes: {known})", field="node"
        )
    if not nodes[node].online:
        raise ConflictError(
            f"node {node} is {nodes[node].status or 'offline'}: the copy could not start there; "
            f"clone it on {source.node} or once {node} is back"
        )
    caps = await rootfs_caps(client, source.node, source.vmid)
    if caps.shared is False:  # unknown (no Datastore.Audit): Proxmox has the last word
        raise ConflictError(
            f"CT {source.vmid}'s disk is on {caps.storage}, which node {node} cannot see: "
            f"clone it on {source.node} or move its disk to shared storage"
        )
    return node
