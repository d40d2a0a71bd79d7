"""The JSON shapes the API answers with, built from the cluster state (PVE's field names,
integers for 0/1 flags, `vmid` as a number)."""

from __future__ import annotations

import re
from typing import Any

from pvesim.model import SHARED_TYPES, GiB, Guest, Node, Storage, Volume
from pvesim.versions import RELEASES, Release

_DEFAULT = RELEASES[9]


def guest_cpus(g: Guest, node: Node | None) -> int:
    if g.type == "lxc" and not g.config.get("cores"):
        return node.maxcpu if node is not None else 1
    return g.cpus


def live_figures(g: Guest, now: float, node: Node | None) -> dict[str, Any]:
    """What pvestatd would broadcast for a guest right now."""
    running = g.status == "running"
    u = g.usage
    return {
        "name": g.name,
        "status": g.status,
        "uptime": g.uptime(now),
        "cpu": round(u.cpu, 6) if running else 0,
        "maxcpu": guest_cpus(g, node),
        "mem": u.mem if running else 0,
        "maxmem": g.maxmem,
        "disk": u.disk,
        "maxdisk": g.maxdisk,
        "netin": u.netin,
        "netout": u.netout,
        "diskread": u.diskread,
        "diskwrite": u.diskwrite,
    }


def resource_guest(
    g: Guest, figures: dict[str, Any] | None, pool: str | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": f"{g.type}/{g.vmid}",
        "type": g.type,
        "vmid": g.vmid,
        "node": g.node,
        "template": int(bool(g.config.get("template"))),
    }
    if pool:
        entry["pool"] = pool
    if figures is None:
        entry["status"] = "unknown"
        entry["name"] = g.name
    else:
        entry.update(figures)
    tags = g.config.get("tags")
    if tags:
        entry["tags"] = tags
    lock = g.config.get("lock")
    if lock:
        entry["lock"] = lock
    return entry


#: What extract_node_stats gives an offline member only from its live figures (pve-manager
#: `PVE/API2Tools.pm`: uptime, cpu, mem and disk only `if $members->{$node}->{online}`).
LIVE_STATS = ("uptime", "cpu", "mem", "disk")


def _membership(node: Node, entry: dict[str, Any]) -> dict[str, Any]:
    """An offline member: `status => 'offline'` and no live figures (API2Tools.pm)."""
    if node.online:
        return entry
    return {k: v for k, v in entry.items() if k not in LIVE_STATS} | {"status": "offline"}


def _figures(node: Node, now: float) -> dict[str, Any]:
    """What `/nodes` and `/cluster/resources` both say of a node."""
    return {
        "status": "online",
        "cpu": round(node.cpu, 6),
        "maxcpu": node.maxcpu,
        "mem": node.mem,
        "maxmem": node.maxmem,
        "uptime": int(now - node.boot_time),
        "level": "",
    }


def resource_node(node: Node, now: float) -> dict[str, Any]:
    entry = {"id": f"node/{node.name}", "type": "node", "node": node.name, **_figures(node, now)}
    entry.update(disk=node.rootfs_total // 5, maxdisk=node.rootfs_total)
    entry["cgroup-mode"] = 2
    return _membership(node, entry)


#: What pve-manager `PVE/API2Tools.pm` extract_node_stats leaves out without Sys.Audit.
NODE_STATS = ("uptime", "cpu", "mem", "disk", "maxcpu", "maxmem", "maxdisk")


def without_stats(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in NODE_STATS}


def resource_storage(node: Node, s: Storage) -> dict[str, Any]:
    return {
        "id": f"storage/{node.name}/{s.id}",
        "type": "storage",
        "node": node.name,
        "storage": s.id,
        "status": "available",
        "content": ",".join(s.content),
        "plugintype": s.type,
        "shared": _shared(s),
        "disk": s.used(),
        "maxdisk": s.total,
    }


def node_entry(node: Node, now: float, fingerprint: str) -> dict[str, Any]:
    entry = {"node": node.name, **_figures(node, now), "ssl_fingerprint": fingerprint}
    return _membership(node, entry)


def version(rel: Release) -> dict[str, Any]:
    """`GET /version` (pve-manager `PVE/API2/Version.pm`)."""
    return {"version": rel.version, "release": rel.release, "repoid": rel.repoid}


def node_status(node: Node, now: float, rel: Release = _DEFAULT) -> dict[str, Any]:
    load = max(0.01, node.cpu * node.maxcpu)
    free = node.maxmem - node.mem
    root_used = node.rootfs_total // 5
    return {
        "cpu": round(node.cpu, 6),
        "cpuinfo": {
            "model": node.cpu_model,
            "cores": node.maxcpu // 2 if node.maxcpu > 4 else node.maxcpu,
            "cpus": node.maxcpu,
            "sockets": 1,
        },
        "memory": {"total": node.maxmem, "used": node.mem, "free": free, "available": free},
        "rootfs": {
            "total": node.rootfs_total,
            "used": root_used,
            "free": node.rootfs_total - root_used,
            "avail": node.rootfs_total - root_used - 5 * GiB,
        },
        "loadavg": [f"{load:.2f}", f"{load * 0.9:.2f}", f"{load * 0.8:.2f}"],
        "uptime": int(now - node.boot_time),
        "pveversion": f"pve-manager/{rel.version}/{rel.repoid}",
        "kversion": f"Linux {rel.kernel} #1 SMP PREEMPT_DYNAMIC PMX {rel.kernel} "
        "(2025-11-20T10:00Z)",
        "current-kernel": {
            "sysname": "Linux",
            "release": rel.kernel,
            "machine": "x86_64",
            "version": f"#1 SMP PREEMPT_DYNAMIC PMX {rel.kernel} (2025-11-20T10:00Z)",
        },
        "boot-info": {"mode": "efi", "secureboot": 0},
    }


def ct_list_entry(g: Guest, now: float, node: Node, *, vmid_str: bool = False) -> dict[str, Any]:
    """`vmid_str`: before pve-container 5.0.11 (commit 81aa4bd, PVE 8.1) the container index and
    vmstatus gave `vmid` as a string."""
    running = g.status == "running"
    entry: dict[str, Any] = {
        "vmid": str(g.vmid) if vmid_str else g.vmid,
        "name": g.name,
        "status": g.status,
        "uptime": g.uptime(now),
        "cpu": round(g.usage.cpu, 6) if running else 0,
        "cpus": guest_cpus(g, node),
        "mem": g.usage.mem if running else 0,
        "maxmem": g.maxmem,
        "maxswap": g.maxswap,
        "disk": g.usage.disk,
        "maxdisk": g.maxdisk,
        "netin": g.usage.netin,
        "netout": g.usage.netout,
        "diskread": g.usage.diskread,
        "diskwrite": g.usage.diskwrite,
    }
    if g.config.get("tags"):
        entry["tags"] = g.config["tags"]
    if g.config.get("lock"):
        entry["lock"] = g.config["lock"]
    if g.config.get("template"):
        entry["template"] = 1
    return entry


def ct_status(g: Guest, now: float, node: Node, *, vmid_str: bool = False) -> dict[str, Any]:
    entry = ct_list_entry(g, now, node, vmid_str=vmid_str)
    entry["ha"] = {"managed": 0}
    if g.status == "running":
        entry["pressurecpusome"] = 0
        entry["pressureiosome"] = 0
        entry["pressureiofull"] = 0
        entry["pressurememorysome"] = 0
        entry["pressurememoryfull"] = 0
    return entry


def interfaces(g: Guest) -> list[dict[str, Any]] | None:
    """`GET .../interfaces`: null while stopped; eth0 has no `inet` until DHCP answered."""
    if g.status != "running":
        return None
    lo = {"name": "lo", "hwaddr": "00:00:00:00:00:00", "inet": "127.0.0.1/8", "inet6": "::1/128"}
    mac = (g.hwaddr or "BC:24:11:00:00:00").lower()
    eth0: dict[str, Any] = {"name": "eth0", "hwaddr": mac}
    if g.ip:
        static = re.search(r"(?:^|,)ip=([0-9.]+/\d+)", str(g.config.get("net0", "")))
        eth0["inet"] = static.group(1) if static else f"{g.ip}/16"
    octets = mac.split(":")
    eth0["inet6"] = (
        f"fe80::{int(octets[0], 16) ^ 2:x}{octets[1]}:{octets[2]}ff:fe{octets[3]}:"
        f"{octets[4]}{octets[5]}/64"
    )
    return [lo, eth0]


def _shared(s: Storage) -> int:
    return int(s.type in SHARED_TYPES)


def storage_entry(s: Storage) -> dict[str, Any]:
    used = s.used()
    return {
        "storage": s.id,
        "type": s.type,
        "content": ",".join(s.content),
        "active": 1,
        "enabled": 1,
        "shared": _shared(s),
        "total": s.total,
        "used": used,
        "avail": max(0, s.total - used),
        "used_fraction": round(used / s.total, 6) if s.total else 0,
    }


def volume_entry(v: Volume) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "volid": v.volid,
        "content": v.content,
        "format": v.format,
        "size": v.size,
    }
    if v.content in ("backup", "vztmpl", "iso"):
        entry["ctime"] = v.ctime
    if v.vmid is not None:
        entry["vmid"] = v.vmid
    if v.content == "backup":
        entry["subtype"] = "lxc"
        if v.notes:
            entry["notes"] = v.notes.split("\n", 1)[0]
        entry["protected"] = int(v.protected)
    if v.content in ("rootdir", "images"):
        entry["used"] = v.size // 3
    return entry


def config_view(conf: dict[str, Any], digest: str) -> dict[str, Any]:
    out = {k: v for k, v in conf.items() if k != "parent"}
    out["digest"] = digest
    return out
