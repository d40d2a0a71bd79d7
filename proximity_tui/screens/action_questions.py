"""The questions an action asks before it runs: a clone's new hostname and node, a backup's mode
and storage (once for all the apps selected)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from proximity_tui.screens.actions import describe_error
from proximity_tui.screens.choices import Choice, ChoicesScreen

if TYPE_CHECKING:
    from proximity_tui.app import ProximityApp
    from proximity_tui.service_views import NodeChoice
    from proximity_tui.views import AppView


async def ask_clone(app: ProximityApp, source: AppView) -> tuple[str, str] | None:
    """(new hostname, node) for a copy of `source`, None when cancelled."""
    from proximity_tui.screens.prompt import PromptScreen

    services = app.ready_services

    async def check_hostname(hostname: str) -> str | None:
        return await services.run(services.apps.check_hostname(hostname))

    new = await app.push_screen_wait(
        PromptScreen(
            f"Clone {source.hostname}",
            "New hostname",
            value=f"{source.hostname}-copy",
            check=check_hostname,
            confirm_label="Clone",
            lower=True,
        )
    )
    if not new:
        return None
    node = await _clone_node(app, source, new)
    return None if node is None else (new, node)


async def _clone_node(app: ProximityApp, source: AppView, new: str) -> str | None:
    """The node the copy goes to: asked when the cluster has several (the source's first,
    each with its free memory or offline), None when cancelled."""
    services = app.ready_services
    nodes = await services.run(services.apps.nodes())
    if len(nodes) < 2:
        return source.node
    nodes.sort(key=lambda n: n.name != source.node)
    labels = [_node_label(n, n.name == source.node) for n in nodes]
    chosen = await app.push_screen_wait(
        ChoicesScreen(
            f"Clone {source.hostname} to {new}",
            [Choice("node", "Node", tuple(n.name for n in nodes), source.node, tuple(labels))],
            note="Another node needs the container's disk on shared storage (NFS, Ceph): "
            "Proxmox refuses a copy from a node's local storage.",
            confirm_label="Clone",
        )
    )
    return None if chosen is None else chosen["node"]


def _node_label(node: NodeChoice, own: bool) -> str:
    """One short line: the node, whether it is the app's, its free memory and load."""
    name = f"{node.name} (its node)" if own else node.name
    if not node.online:
        return f"{name} · offline"
    if node.free_memory_mb is None or node.total_memory_mb is None:
        return f"{name} · memory unknown (no Sys.Audit)"
    total = node.total_memory_mb / 1024
    load = (node.cpu_load or 0) * 100
    return f"{name} · {node.free_memory_mb} MB free of {total:.0f} GB · load {load:.0f}%"


async def ask_backup_options(app: ProximityApp, targets: list[AppView]) -> dict[str, str] | None:
    """Ask once for the vzdump mode and the storage: those holding backups on every node of
    the apps (a storage missing on one node would fail that app's backup)."""
    from proximity_tui.services.operations.backups import BACKUP_MODES

    services = app.ready_services
    one_per_node = {v.node: v for v in targets}
    nodes = ", ".join(sorted(one_per_node))
    what = targets[0].hostname if len(targets) == 1 else f"{len(targets)} apps"
    try:
        found = [
            await services.run(services.apps.backup_storages(v.id)) for v in one_per_node.values()
        ]
    except Exception as exc:
        storages: list[str] = []
        why = describe_error(exc)
    else:
        storages = [s for s in found[0] if all(s in other for other in found[1:])]
        why = (
            f"no storage holds backups on all of {nodes}"
            if len(found) > 1
            else f"no storage on {nodes} holds backups"
        )
    if not storages:
        app.notify(f"Cannot back up {what}: {why}.", severity="error", markup=False)
        return None
    where = f"CT {targets[0].vmid} on {nodes}" if len(targets) == 1 else f"on {nodes}"
    return await app.push_screen_wait(
        ChoicesScreen(
            f"Back up {what} ({where})",
            [
                Choice("mode", "Mode", BACKUP_MODES),
                Choice("storage", f"Storage (holds backups on {nodes})", tuple(storages)),
            ],
            note="snapshot: no downtime where the storage can snapshot (else suspend); "
            "stop: stops the CT for the backup and starts it again.",
            confirm_label="Back up",
        )
    )
