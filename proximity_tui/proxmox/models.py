"""Typed results of the Proxmox API. Every `from_api` tolerates PVE's loose types (`coerce.py`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from proximity_tui.proxmox.coerce import (
    as_bool,
    as_float,
    as_int,
    as_str,
    parse_property_string,
    split_tags,
)

# Task ids and statuses belong to this vocabulary too; they are defined in `upid.py`.
from proximity_tui.proxmox.upid import TaskStatus, Upid  # noqa: F401
from proximity_tui.views import LiveStatus

# --- cluster and nodes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    version: str
    release: str
    repoid: str

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Version:
        return cls(str(d.get("version", "")), str(d.get("release", "")), str(d.get("repoid", "")))


@dataclass(frozen=True)
class Node:
    """A node of `GET /nodes`. Its figures are None when Proxmox left them out: without
    `Sys.Audit` on `/nodes/{node}` the listing omits cpu, maxcpu, mem, maxmem, disk and uptime
    (pve-manager PVE/API2/Nodes.pm index -> PVE/API2Tools.pm extract_node_stats
    `$exclude_stats`). Unknown is not zero: nothing may read it as "no memory free"."""

    name: str
    status: str
    cpu: float | None  # fraction of all CPUs in use, 0..1
    maxcpu: int | None
    mem: int | None
    maxmem: int | None
    uptime: int = 0
    ssl_fingerprint: str | None = None

    @property
    def online(self) -> bool:
        return self.status == "online"

    @property
    def free_mem(self) -> int | None:
        if self.mem is None or self.maxmem is None:
            return None
        return max(0, self.maxmem - self.mem)

    @property
    def free_cpu(self) -> float | None:
        """Idle CPUs (cores' worth)."""
        if self.cpu is None or self.maxcpu is None:
            return None
        return max(0.0, self.maxcpu * (1.0 - self.cpu))

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Node:
        def known(key: str, conv: Any) -> Any:
            return conv(d[key]) if d.get(key) is not None else None

        return cls(
            name=str(d.get("node") or d.get("name") or ""),
            status=str(d.get("status") or "unknown"),
            cpu=known("cpu", as_float),
            maxcpu=known("maxcpu", as_int),
            mem=known("mem", as_int),
            maxmem=known("maxmem", as_int),
            uptime=as_int(d.get("uptime")),
            ssl_fingerprint=as_str(d.get("ssl_fingerprint")),
        )


@dataclass(frozen=True)
class NodeStatus:
    node: str
    cpu: float
    cpus: int
    mem_total: int
    mem_used: int
    mem_free: int
    mem_available: int
    loadavg: tuple[float, ...]
    uptime: int
    pveversion: str
    kversion: str
    rootfs_total: int = 0
    rootfs_used: int = 0
    rootfs_avail: int = 0

    @classmethod
    def from_api(cls, node: str, d: dict[str, Any]) -> NodeStatus:
        memory = d.get("memory") or {}
        rootfs = d.get("rootfs") or {}
        cpuinfo = d.get("cpuinfo") or {}
        total, used = as_int(memory.get("total")), as_int(memory.get("used"))
        free = as_int(memory.get("free"), total - used)
        return cls(
            node=node,
            cpu=as_float(d.get("cpu")),
            cpus=as_int(cpuinfo.get("cpus")),
            mem_total=total,
            mem_used=used,
            mem_free=free,
            mem_available=as_int(memory.get("available"), free),
            loadavg=tuple(as_float(x) for x in (d.get("loadavg") or [])),
            uptime=as_int(d.get("uptime")),
            pveversion=str(d.get("pveversion") or ""),
            kversion=str(d.get("kversion") or ""),
            rootfs_total=as_int(rootfs.get("total")),
            rootfs_used=as_int(rootfs.get("used")),
            rootfs_avail=as_int(rootfs.get("avail")),
        )


@dataclass(frozen=True)
class NodeCapacity:
    """What an online node can still take: idle CPUs and free memory."""

    node: str
    free_cpu: float | None
    maxcpu: int | None
    #: None: Proxmox did not say (no Sys.Audit on the node); unknown, never 0.
    free_mem: int | None
    maxmem: int | None

    @property
    def free_mem_mb(self) -> int | None:
        return None if self.free_mem is None else self.free_mem // (1024 * 1024)


@dataclass(frozen=True)
class Guest(LiveStatus):
    """One VM or CT as `/cluster/resources` (or `status/current`) reports it. It is the
    `LiveStatus` the status tick publishes (views.py: its fields, the same names): the tick keeps
    the listing's guest as the app's live figures, no copy and no second object per CT."""

    def __post_init__(self) -> None:
        # A guest built by hand may pass a list: a LiveStatus is frozen and hashable.
        if self.tags.__class__ is not tuple:
            object.__setattr__(self, "tags", tuple(self.tags))

    @property
    def running(self) -> bool:
        return self.status == "running"

    @classmethod
    def from_api(cls, d: dict[str, Any], *, node: str = "", type: str = "") -> Guest:
        """Built from its `__dict__` without the frozen `__init__` (17 `object.__setattr__`; the
        status tick decodes 5,000 of these a tick). The figures that move every pvestatd round
        come first: comparing two guests' dicts (the tick does, to spot CTs that did not move)
        then stops at the first key for a CT that moved."""
        fields = {
            "cpu": as_float(d.get("cpu")),
            "mem": as_int(d.get("mem")),
            "netin": as_int(d.get("netin")),
            "netout": as_int(d.get("netout")),
            "uptime": as_int(d.get("uptime")),
            "disk": as_int(d.get("disk")),
            "status": str(d.get("status") or "unknown"),
            "vmid": as_int(d.get("vmid")),
            "name": str(d.get("name") or ""),
            "node": str(d.get("node") or node),
            "type": str(d.get("type") or type or "lxc"),
            "maxcpu": as_float(d.get("maxcpu", d.get("cpus"))),
            "maxmem": as_int(d.get("maxmem")),
            "maxdisk": as_int(d.get("maxdisk")),
            "tags": tuple(split_tags(d.get("tags"))),
            "lock": as_str(d.get("lock")),
            "template": as_bool(d.get("template")),
        }
        guest = object.__new__(cls)
        object.__setattr__(guest, "__dict__", fields)
        return guest


# --- storage ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Storage:
    storage: str
    type: str
    content: frozenset[str]
    active: bool = True
    enabled: bool = True
    shared: bool = False
    total: int = 0
    used: int = 0
    avail: int = 0

    def accepts(self, content: str) -> bool:
        return content in self.content

    @property
    def usable(self) -> bool:
        return self.active and self.enabled

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Storage:
        return cls(
            storage=str(d.get("storage") or ""),
            type=str(d.get("type") or ""),
            content=frozenset(c for c in str(d.get("content") or "").split(",") if c),
            active=as_bool(d.get("active", 1)),
            enabled=as_bool(d.get("enabled", 1)),
            shared=as_bool(d.get("shared", 0)),
            total=as_int(d.get("total")),
            used=as_int(d.get("used")),
            avail=as_int(d.get("avail")),
        )


@dataclass(frozen=True)
class Volume:
    """An entry of a storage's content: a template (`vztmpl`), a backup (`backup`), a disk..."""

    volid: str
    content: str
    format: str
    size: int
    ctime: int = 0
    vmid: int | None = None
    notes: str | None = None

    @property
    def name(self) -> str:
        """The file part: `local:vztmpl/alpine...tar.xz` -> `alpine...tar.xz`."""
        return self.volid.split(":", 1)[-1].rsplit("/", 1)[-1]

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Volume:
        vmid = d.get("vmid")
        return cls(
            volid=str(d.get("volid") or ""),
            content=str(d.get("content") or ""),
            format=str(d.get("format") or ""),
            size=as_int(d.get("size")),
            ctime=as_int(d.get("ctime")),
            vmid=as_int(vmid) if vmid not in (None, "") else None,
            notes=as_str(d.get("notes")),
        )


#: Backups are storage volumes of content `backup`.
BackupVolume = Volume


@dataclass(frozen=True)
class Appliance:
    """An entry of the appliance index (`pveam available`): a template that can be downloaded."""

    template: str
    package: str
    version: str
    os: str
    section: str
    type: str
    headline: str = ""
    description: str = ""
    location: str = ""
    sha512sum: str = ""
    architecture: str = ""

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Appliance:
        def s(key: str) -> str:
            return str(d.get(key) or "")

        return cls(
            template=s("template"),
            package=s("package"),
            version=s("version"),
            os=s("os"),
            section=s("section"),
            type=s("type"),
            headline=s("headline"),
            description=s("description"),
            location=s("location"),
            sha512sum=s("sha512sum"),
            architecture=s("architecture"),
        )


# --- containers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CtConfig:
    """A CT's configuration; `raw` keeps every key PVE returned."""

    hostname: str
    cores: int
    memory: int
    swap: int
    rootfs: str
    unprivileged: bool
    onboot: bool
    features: dict[str, str]
    nets: dict[str, dict[str, str]]
    tags: list[str]
    description: str
    ostype: str
    lock: str | None
    digest: str
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def rootfs_storage(self) -> str | None:
        vol = parse_property_string(self.rootfs).get("", "")
        return vol.split(":", 1)[0] if ":" in vol else None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> CtConfig:
        nets = {k: parse_property_string(v) for k, v in d.items() if re.fullmatch(r"net\d+", k)}
        features = {k: v for k, v in parse_property_string(d.get("features")).items() if k}
        return cls(
            hostname=str(d.get("hostname") or ""),
            cores=as_int(d.get("cores")),
            memory=as_int(d.get("memory"), 512),
            swap=as_int(d.get("swap"), 512),
            rootfs=str(d.get("rootfs") or ""),
            unprivileged=as_bool(d.get("unprivileged")),
            onboot=as_bool(d.get("onboot")),
            features=features,
            nets=nets,
            tags=split_tags(d.get("tags")),
            description=str(d.get("description") or ""),
            ostype=str(d.get("ostype") or ""),
            lock=as_str(d.get("lock")),
            digest=str(d.get("digest") or ""),
            raw=dict(d),
        )


@dataclass(frozen=True)
class Interface:
    name: str
    hwaddr: str
    inet: str | None  # CIDR, e.g. 10.0.0.5/24
    inet6: str | None

    @property
    def ipv4(self) -> str | None:
        return self.inet.split("/", 1)[0] if self.inet else None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Interface:
        inet, inet6 = as_str(d.get("inet")), as_str(d.get("inet6"))
        for addr in d.get("ip-addresses") or []:
            ip, kind = as_str(addr.get("ip-address")), addr.get("ip-address-type")
            prefix = addr.get("prefix")
            cidr = f"{ip}/{prefix}" if ip and prefix is not None else ip
            if kind == "inet" and not inet:
                inet = cidr
            elif kind == "inet6" and not inet6:
                inet6 = cidr
        return cls(
            name=str(d.get("name") or ""),
            hwaddr=str(d.get("hwaddr") or d.get("hardware-address") or ""),
            inet=inet,
            inet6=inet6,
        )


@dataclass(frozen=True)
class Snapshot:
    name: str
    description: str
    snaptime: int | None
    parent: str | None

    @property
    def is_current(self) -> bool:
        """PVE lists the live state as a pseudo-snapshot named `current`."""
        return self.name == "current"

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Snapshot:
        snaptime = d.get("snaptime")
        return cls(
            name=str(d.get("name") or ""),
            description=str(d.get("description") or ""),
            snaptime=as_int(snaptime) if snaptime not in (None, "") else None,
            parent=as_str(d.get("parent")),
        )


@dataclass(frozen=True)
class RrdPoint:
    time: int
    cpu: float | None
    mem: float | None
    maxmem: float | None
    netin: float | None
    netout: float | None
    disk: float | None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> RrdPoint:
        def f(key: str) -> float | None:
            return as_float(d[key]) if d.get(key) not in (None, "") else None

        return cls(
            as_int(d.get("time")),
            f("cpu"),
            f("mem"),
            f("maxmem"),
            f("netin"),
            f("netout"),
            f("disk"),
        )
