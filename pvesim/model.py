"""The simulated cluster's objects: nodes, storages and their volumes, guests and snapshots.

Plain data; the rules live in `state.py` and the `ops_*.py` modules. Config dicts use PVE's own
keys and value types (ints for numbers and 0/1 flags, property strings as strings).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

GiB = 1024**3
MiB = 1024**2


@dataclass
class Volume:
    volid: str
    content: str  # vztmpl | backup | rootdir | images | iso
    size: int
    ctime: int
    format: str
    vmid: int | None = None
    notes: str | None = None
    protected: bool = False
    #: For backups: what a restore brings back (`config`, `inside`, `hostname`).
    payload: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Volume:
        return cls(**data)


#: Storage types that can snapshot a CT volume: lvmthin (pve-storage `src/PVE/Storage/
#: LvmThinPlugin.pm` volume_has_feature: snapshot => { current => 1 }), zfspool, rbd, btrfs.
#: dir/nfs/cifs snapshot only qcow2 files (`Plugin.pm` volume_has_feature: snapshot => { current
#: => { qcow2 => 1 } }), and a CT volume there is raw or a subvol; thick lvm has no snapshots.
SNAPSHOT_TYPES = frozenset({"lvmthin", "zfspool", "rbd", "btrfs"})


#: Storage types whose volumes every node sees (pve-storage: the plugin's `shared` default).
SHARED_TYPES = frozenset({"nfs", "cifs", "rbd", "cephfs", "pbs"})


def snapshot_capable(storage_type: str) -> bool:
    return storage_type in SNAPSHOT_TYPES


def disk_name(storage_type: str, vmid: int, n: int) -> str:
    """A guest volume's name: an LV `vm-100-disk-0` on LVM, a raw image file
    `100/vm-100-disk-0.raw` on a file storage (pve-storage `Plugin.pm` alloc_image)."""
    if storage_type in ("dir", "nfs", "cifs"):
        return f"{vmid}/vm-{vmid}-disk-{n}.raw"
    return f"vm-{vmid}-disk-{n}"


@dataclass
class Storage:
    id: str
    type: str  # dir | lvmthin | nfs
    content: tuple[str, ...]
    total: int
    path: str | None = None
    volumes: dict[str, Volume] = field(default_factory=dict)
    #: An nfs export: `server` and `export` as storage.cfg has them (shared by every node).
    server: str | None = None
    export: str | None = None

    def used(self) -> int:
        base = 2 * GiB if self.type in ("dir", "nfs") else 0
        return base + sum(v.size for v in self.volumes.values())

    def supports(self, content: str) -> bool:
        return content in self.content

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "content": list(self.content),
            "total": self.total,
            "path": self.path,
            "server": self.server,
            "export": self.export,
            "volumes": [v.to_dict() for v in self.volumes.values()],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Storage:
        vols = [Volume.from_dict(v) for v in data.get("volumes", [])]
        return cls(
            id=data["id"],
            type=data["type"],
            content=tuple(data["content"]),
            total=int(data["total"]),
            path=data.get("path"),
            server=data.get("server"),
            export=data.get("export"),
            volumes={v.volid: v for v in vols},
        )


@dataclass
class Node:
    name: str
    maxcpu: int
    maxmem: int
    cpu_model: str
    boot_time: float
    storages: dict[str, Storage] = field(default_factory=dict)
    rootfs_total: int = 100 * GiB
    cpu: float = 0.02
    mem: int = 0
    #: Next task pid (PVE's worker pids grow).
    next_pid: int = 100000
    #: False: the node left the cluster's quorum membership (powered off, cut off); a test fault,
    #: not saved. The listings say `offline` and calls for it fail (views.py, api.py).
    online: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "maxcpu": self.maxcpu,
            "maxmem": self.maxmem,
            "cpu_model": self.cpu_model,
            "boot_time": self.boot_time,
            "rootfs_total": self.rootfs_total,
            "next_pid": self.next_pid,
            "storages": [s.to_dict() for s in self.storages.values()],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Node:
        storages = [Storage.from_dict(s) for s in data.get("storages", [])]
        return cls(
            name=data["name"],
            maxcpu=int(data["maxcpu"]),
            maxmem=int(data["maxmem"]),
            cpu_model=data["cpu_model"],
            boot_time=float(data["boot_time"]),
            rootfs_total=int(data.get("rootfs_total", 100 * GiB)),
            next_pid=int(data.get("next_pid", 100000)),
            storages={s.id: s for s in storages},
        )


@dataclass
class Snapshot:
    name: str
    snaptime: int
    description: str = ""
    parent: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    running: bool = False
    #: The CT's inside as it was (`ContainerInside`), restored by a rollback.
    inside: Any = None


@dataclass
class Usage:
    """Figures pvestatd reports; moved by the random walk in `stats.py`."""

    cpu: float = 0.0
    mem: int = 0
    disk: int = 0
    netin: int = 0
    netout: int = 0
    diskread: int = 0
    diskwrite: int = 0


@dataclass
class Guest:
    vmid: int
    node: str
    type: str  # lxc | qemu
    config: dict[str, Any]
    status: str = "stopped"
    #: The DHCP address while running (None before the lease or while stopped).
    ip: str | None = None
    #: Wall time it started (uptime = now - started).
    started: float | None = None
    pid: int | None = None
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    #: The container's inside (`ContainerInside`), made on first use (see `inside`).
    _inside: Any = field(default=None, repr=False)
    #: How to make the inside when first needed: `("new", ostype, hostname, template)` or
    #: `("dict", saved)`; thousands of CTs that nobody enters never pay for a file system.
    inside_recipe: tuple[Any, ...] | None = field(default=None, repr=False)
    #: `maker(guest, recipe) -> inside`, set by the cluster state.
    inside_maker: Any = field(default=None, repr=False, compare=False)
    #: The running task that holds this guest's config lock file (start/stop/destroy...).
    busy: Any = None
    #: What `/cluster/resources` shows: refreshed by the stats tick like pvestatd does.
    statd: dict[str, Any] | None = None
    #: Bumped at every statd refresh; keys the cached JSON of the listings (see `listing.py`).
    statd_rev: int = 0
    #: (key, JSON text) of this guest's entry in `/cluster/resources` and `/nodes/{n}/lxc`.
    json_cache: dict[str, tuple[Any, str]] = field(default_factory=dict, repr=False)
    #: Changes made while running that apply at the next start (`features`, `arch`, ...).
    pending: dict[str, Any] = field(default_factory=dict)
    #: Wall time it was created (the rrd history starts there).
    created: float = 0.0

    @property
    def inside(self) -> Any:
        """The container's inside (None for VMs); built from its recipe on first access."""
        if self._inside is None and self.inside_recipe is not None and self.inside_maker:
            recipe, self.inside_recipe = self.inside_recipe, None
            self._inside = self.inside_maker(self, recipe)
        return self._inside

    @inside.setter
    def inside(self, value: Any) -> None:
        self._inside = value
        self.inside_recipe = None

    @property
    def inside_if_made(self) -> Any:
        """The inside if it exists already (never builds it)."""
        return self._inside

    @property
    def name(self) -> str:
        return str(self.config.get("hostname") or self.config.get("name") or f"CT{self.vmid}")

    @property
    def maxmem(self) -> int:
        return int(self.config.get("memory", 512)) * MiB

    @property
    def maxswap(self) -> int:
        return int(self.config.get("swap", 512)) * MiB if self.type == "lxc" else 0

    @property
    def cpus(self) -> int:
        if self.type == "qemu":
            return int(self.config.get("cores", 1)) * int(self.config.get("sockets", 1))
        return int(self.config.get("cores", 0)) or 1

    @property
    def maxdisk(self) -> int:
        disk = self.config.get("rootfs") or self.config.get("scsi0") or ""
        return parse_size_option(disk)

    @property
    def lock(self) -> str | None:
        return self.config.get("lock")

    @property
    def hwaddr(self) -> str | None:
        match = re.search(r"hwaddr=([0-9A-Fa-f:]{17})", str(self.config.get("net0", "")))
        return match.group(1) if match else None

    def uptime(self, now: float) -> int:
        if self.status != "running" or self.started is None:
            return 0
        return max(0, int(now - self.started))


@functools.lru_cache(maxsize=16384)
def parse_size_option(value: str) -> int:
    """`local-lvm:vm-100-disk-0,size=8G` -> bytes (0 when absent)."""
    match = re.search(r"(?:^|,)size=(\d+(?:\.\d+)?)([KMGT]?)", value)
    if not match:
        return 0
    units = {"": 1, "K": 1024, "M": MiB, "G": GiB, "T": 1024 * GiB}
    return int(float(match.group(1)) * units[match.group(2)])
