"""The two big listings (`/cluster/resources` and `/nodes/{node}/lxc`) as JSON text, fast.

Each guest's entry is serialized once and kept until what it shows changes (a pvestatd round,
a status, tags, lock or config change), so a call with 5,000 guests joins cached strings instead
of encoding 5,000 dicts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pvesim import views
from pvesim.model import Guest

_dumps = json.JSONEncoder(separators=(",", ":")).encode
Allowed = Callable[[str, str], bool]


def _cached(g: Guest, kind: str, key: Any, build) -> str:
    hit = g.json_cache.get(kind)
    if hit is not None and hit[0] == key:
        return hit[1]
    text = _dumps(build())
    g.json_cache[kind] = (key, text)
    return text


def resource_guest_json(g: Guest, pool: str | None = None) -> str:
    c = g.config
    key = (g.statd_rev, c.get("tags"), c.get("lock"), c.get("template"), pool)
    return _cached(g, "resources", key, lambda: views.resource_guest(g, g.statd, pool))


def ct_list_json(g: Guest, now: float, node: Any, vmid_str: bool = False) -> str:
    c = g.config
    key = (
        g.statd_rev, g.status, g.uptime(now), c.get("tags"), c.get("lock"), c.get("template"),
        c.get("memory"), c.get("swap"), c.get("cores"), c.get("rootfs"), c.get("hostname"),
    )  # fmt: skip
    return _cached(g, "lxc", key, lambda: views.ct_list_entry(g, now, node, vmid_str=vmid_str))


def resources_body(state: Any, kind: str | None, allowed: Allowed | None = None) -> str:
    """`allowed(path, privilege)`: None for root (sees all). pve-manager `PVE/API2/Cluster.pm`
    resources: guests without VM.Audit are left out, nodes without Sys.Audit lose their figures
    (API2Tools.pm extract_node_stats), storages need Datastore.Audit."""
    now = state.now()
    parts: list[str] = []
    pools = state.access.pools
    # a guest in a pool says so when the caller may audit the pool (Cluster.pm resources)
    member = {v: name for name, p in pools.items() for v in p.vms}
    audit = {n: allowed is None or allowed(f"/pool/{n}", "Pool.Audit") for n in pools}
    if kind is None:
        parts.extend(
            _dumps({"id": f"/pool/{name}", "pool": name, "type": "pool"})
            for name in sorted(pools)
            if audit[name]
        )
    if kind in (None, "vm"):
        for g in state.guests.values():
            if allowed is not None and not allowed(f"/vms/{g.vmid}", "VM.Audit"):
                continue
            pool = member.get(g.vmid)
            parts.append(resource_guest_json(g, pool if pool and audit[pool] else None))
    if kind in (None, "node"):
        for n in state.nodes.values():
            entry = views.resource_node(n, now)
            if allowed is not None and not allowed(f"/nodes/{n.name}", "Sys.Audit"):
                entry = views.without_stats(entry)
            parts.append(_dumps(entry))
    if kind in (None, "storage"):
        parts.extend(
            _dumps(views.resource_storage(n, st))
            for n in state.nodes.values()
            for st in n.storages.values()
            if allowed is None or allowed(f"/storage/{st.id}", "Datastore.Audit")
        )
    return '{"data":[' + ",".join(parts) + "]}"


def ct_list_body(state: Any, node: Any, visible: Callable[[Guest], bool] | None = None) -> str:
    now = state.now()
    cts = state.cts_on(node.name)
    old = state.release.major < 8  # vmid as a string (views.ct_list_entry)
    parts = [ct_list_json(g, now, node, old) for g in cts if visible is None or visible(g)]
    return '{"data":[' + ",".join(parts) + "]}"
