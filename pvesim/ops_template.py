"""Turning a container into a template, and what a template changes for clones and starts.

pve-container `src/PVE/API2/LXC.pm` (`template`, `clone_vm`), `src/PVE/LXC.pm` (`template_create`)
and pve-storage's plugins (`volume_has_feature`, `create_base`, `clone_image`) are the sources.
"""

from __future__ import annotations

from typing import Any

from pvesim.ctconfig import mountpoint_extras, mountpoint_string, mountpoint_volume
from pvesim.errors import PveError, TaskError
from pvesim.model import SHARED_TYPES, Guest, Volume, parse_size_option
from pvesim.ops_base import OpsBase, parse_volid
from pvesim.tasks import Task

#: Storage types that can hold a CT volume as a template base (pve-storage `volume_has_feature`:
#: `template => { current => ... }` in LvmThinPlugin.pm, ZFSPoolPlugin.pm, RBDPlugin.pm,
#: BTRFSPlugin.pm and Plugin.pm (dir, nfs, cifs: raw and subvol); LVMPlugin.pm (thick) has the
#: feature commented out, so `template_create` dies "Template feature is not available").
TEMPLATE_TYPES = frozenset({"lvmthin", "zfspool", "rbd", "btrfs", "dir", "nfs", "cifs"})
#: Storage types where a CT template can be cloned linked (`clone => { base => ... }`):
#: LvmThinPlugin, ZFSPoolPlugin, RBDPlugin, BTRFSPlugin. Plugin.pm (dir, nfs, cifs) clones only
#: into a new qcow2, which LXC's `valid_target_formats => ['raw', 'subvol']` rules out, so
#: clone_vm dies "Linked clone feature for '<volid>' is not available".
LINKED_CLONE_TYPES = frozenset({"lvmthin", "zfspool", "rbd", "btrfs"})
#: Simulated seconds of `create_base` (an `lvrename` on lvmthin, a file rename plus `chattr +i`
#: on a directory storage): no data is copied.
TEMPLATE_SECONDS = 0.8
#: A linked clone is a thin snapshot of the base (`lvcreate -s` in LvmThinPlugin.pm clone_image,
#: `zfs clone` in ZFSPoolPlugin.pm): near-instant whatever the disk holds.
LINKED_CLONE_SECONDS = 0.3
#: A full clone copies the files (pve-container `LXC.pm` copy_volume: rsync of the mounted
#: volume), about this many bytes a second on a local SSD.
FULL_COPY_RATE = 200 * 1024**2
#: Simulated seconds of a resize: the volume grows, then `e2fsck -f` and `resize2fs` run on the
#: small file system of a fresh CT (API2/LXC.pm resize_vm).
RESIZE_SECONDS = 1.0
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def refuse_template_start(g: Guest) -> None:
    """pve-container `API2/LXC/Status.pm` vm_start."""
    if g.config.get("template"):
        raise PveError(500, "you can't start a CT if it's a template")


def base_name(volname: str, vmid: int) -> str:
    """`vm-100-disk-0` -> `base-100-disk-0` (LvmThinPlugin.pm create_base; Plugin.pm renames the
    file `100/vm-100-disk-0.raw` -> `100/base-100-disk-0.raw` the same way)."""
    return volname.replace(f"vm-{vmid}-", f"base-{vmid}-", 1)


class TemplateOps(OpsBase):
    async def template_ct(self, node_name: str, vmid: int, user: str) -> Task:
        """`POST .../template`: PVE checks synchronously, under the config lock, then forks a
        `vztemplate` worker; the call itself answers null (its `returns => { type => 'null' }`)."""
        g = self.ct_on(node_name, vmid)
        await self.wait_config_lock(g)
        self.check_lock(g)
        if g.snapshots:
            raise PveError(500, "unable to create template, because CT contains snapshots")
        if g.config.get("template"):
            raise PveError(500, "you can't convert a template to a template")
        if g.status == "running":
            raise PveError(500, "you can't convert a CT to template if the CT is running")
        node = self.node(node_name)
        rootfs = str(g.config.get("rootfs") or "")

        async def body(task: Task) -> None:
            volid = mountpoint_volume(rootfs)
            sid, volname = parse_volid(volid)
            storage = node.storages.get(sid)
            if storage is None or storage.type not in TEMPLATE_TYPES:
                raise TaskError(f"Template feature is not available for '{volid}'")
            await task.step(TEMPLATE_SECONDS)
            task.checkpoint()
            new_volid = f"{sid}:{base_name(volname, vmid)}"
            vol = storage.volumes.pop(volid, None)
            if vol is not None:
                storage.volumes[new_volid] = Volume(
                    new_volid, vol.content, vol.size, vol.ctime, vol.format, vmid=vmid
                )
            size = vol.size if vol is not None else g.maxdisk
            g.config["rootfs"] = mountpoint_string(new_volid, size, mountpoint_extras(rootfs))
            g.config["template"] = 1

        return self.spawn(node_name, "vztemplate", str(vmid), user, body, vmid=vmid, hold=g)

    def clone_target(self, node_name: str, params: dict[str, Any]) -> str | None:
        """clone_vm's first checks of `target` and `storage` (pve-container API2/LXC.pm):
        the local node as target means none; `PVE::Cluster::check_node_exists` (pve-cluster
        src/PVE/Cluster.pm) dies "no such cluster node"; a given storage must be enabled on
        both nodes (pve-storage src/PVE/Storage.pm storage_check_node) and shared. Nothing
        checks that the target is online: the config file only moves (AbstractConfig.pm
        move_config_to_node), and the CT cannot start there until the node is back."""
        target = params.get("target")
        if target in (node_name, "localhost"):
            target = None
        if target is not None and target not in self.nodes:
            raise PveError(500, f"no such cluster node '{target}'")
        sid = params.get("storage")
        if sid:
            if sid not in self.node(node_name).storages:
                raise PveError(500, f"storage '{sid}' does not exist")
            if target is not None:
                storage = self.nodes[target].storages.get(sid)
                if storage is None:
                    raise PveError(500, f"storage '{sid}' is not available on node '{target}'")
                if storage.type not in SHARED_TYPES:
                    raise PveError(500, f"can't clone to non-shared storage '{sid}'")
        return target

    def clone_kind(self, node: Any, src: Guest, volid: str, full: bool, params: dict) -> bool:
        """Whether this clone is linked, after clone_vm's checks (`API2/LXC.pm`)."""
        if full:
            return False
        if params.get("storage") is not None:
            raise PveError(500, "parameter 'storage' not allowed for linked clones")
        storage = node.storages.get(parse_volid(volid)[0]) if volid else None
        # `volume_has_feature('clone', ...)` asks for a base volume (only a template has one).
        base = bool(src.config.get("template"))
        if not base or storage is None or storage.type not in LINKED_CLONE_TYPES:
            raise PveError(500, f"Linked clone feature for '{volid}' is not available")
        return True

    async def resize_ct(self, node_name: str, vmid: int, disk: str, size: str, user: str) -> Task:
        """`PUT .../resize` (API2/LXC.pm resize_vm): grows a mount point, never shrinks it."""
        g = self.ct_on(node_name, vmid)
        add = size.startswith("+")
        number, unit = size.lstrip("+"), ""
        if number[-1:] in _UNITS:
            number, unit = number[:-1], number[-1]
        requested = int(float(number) * _UNITS[unit])
        value = str(g.config.get(disk) or "")
        if not value:
            raise PveError(500, f"no such disk '{disk}'")
        self.check_lock(g)
        current = parse_size_option(value)
        new_size = current + requested if add else requested
        if new_size < current:
            raise PveError(500, "unable to shrink disk size")
        if new_size == current:
            raise PveError(500, "disk is already at specified size")
        volid = mountpoint_volume(value)
        node = self.node(node_name)

        async def body(task: Task) -> None:
            await task.step(RESIZE_SECONDS)
            task.checkpoint()
            vol = node.storages.get(parse_volid(volid)[0])
            if vol is not None and volid in vol.volumes:
                vol.volumes[volid].size = new_size
            g.config[disk] = mountpoint_string(volid, new_size, mountpoint_extras(value))

        return self.spawn(node_name, "resize", str(vmid), user, body, vmid=vmid, hold=g)
