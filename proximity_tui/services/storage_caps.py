"""Whether a container's volume can be snapshotted, from its storage's type.

pve-storage declares it per plugin in `volume_has_feature`: `LvmThinPlugin.pm`,
`ZFSPoolPlugin.pm`, `RBDPlugin.pm` and `BTRFSPlugin.pm` offer `snapshot` on a current volume;
`Plugin.pm` (dir, nfs, cifs, ...) and `LVMPlugin.pm` (thick LVM) only for qcow2 images, and a
container's volume is raw. Proxmox refuses the rest with "snapshot feature is not available"
(pve-guest-common `AbstractConfig.pm` __snapshot_prepare), so update and clone pick their
method here first instead of failing there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from proximity_tui.proxmox.client import ProxmoxClient

SNAPSHOT_TYPES = frozenset({"lvmthin", "zfspool", "rbd", "btrfs"})


@dataclass(frozen=True)
class VolumeCaps:
    storage: str
    type: str
    #: Whether every node sees the storage (`shared` in `GET /nodes/{n}/storage`); None: unknown.
    shared: bool | None = None

    @property
    def can_snapshot(self) -> bool:
        return self.type in SNAPSHOT_TYPES

    def __str__(self) -> str:
        return f"{self.storage} ({self.type or 'type unknown'})"


async def rootfs_caps(client: ProxmoxClient, node: str, vmid: int) -> VolumeCaps:
    """The storage holding the CT's root disk and its type (`GET /nodes/{n}/storage`). A type we
    cannot read (no Datastore.Audit) counts as unable to snapshot: the fallbacks work anywhere."""
    config = await client.ct_config(node, vmid)
    storage = config.rootfs_storage or ""
    found = {s.storage: s for s in await client.storages(node)}
    seen = found.get(storage)
    if seen is None:
        return VolumeCaps(storage, "")
    return VolumeCaps(storage, seen.type, seen.shared)
