"""Create (or restore) and clone containers, with PVE's synchronous checks and task errors."""

from __future__ import annotations

import re
from typing import Any

from pvesim import appliances
from pvesim.ctconfig import (
    mountpoint_extras,
    mountpoint_string,
    mountpoint_volume,
    normalize_description,
    normalize_features,
    normalize_net,
    normalize_tags,
    with_new_hwaddr,
)
from pvesim.errors import PveError, TaskError, param_error
from pvesim.model import SHARED_TYPES, GiB, Guest, Node, Usage, Volume, disk_name
from pvesim.ops_base import check_feature_permission, parse_volid
from pvesim.ops_template import FULL_COPY_RATE, LINKED_CLONE_SECONDS, TemplateOps
from pvesim.tasks import Task

#: Create-only parameters that never land in the CT's config.
_NOT_CONFIG = {
    "node",
    "vmid",
    "ostemplate",
    "password",
    "ssh-public-keys",
    "storage",
    "force",
    "restore",
    "pool",
    "ignore-unpack-errors",
    "start",
    "unique",
    "bwlimit",
    "ha-managed",
}


def config_from_params(params: dict[str, Any], new_hwaddr) -> dict[str, Any]:
    """The config options of a create call, written the way PVE writes them."""
    conf: dict[str, Any] = {}
    for key, value in params.items():
        if key in _NOT_CONFIG or key == "rootfs" or re.fullmatch(r"(mp|unused)\d+", key):
            continue
        if re.fullmatch(r"net\d+", key):
            value = normalize_net(value, new_hwaddr)
        elif key == "features":
            value = normalize_features(value)
        elif key == "tags":
            value = normalize_tags(value)
        elif key == "description":
            value = normalize_description(str(value))
            if value is None:
                continue
        conf[key] = value
    return conf


class CreateOps(TemplateOps):
    def _rootdir_storage(self, node: Node, sid: str) -> Any:
        storage = node.storages.get(sid)
        if storage is None:
            raise PveError(500, f"storage '{sid}' does not exist")
        if not storage.supports("rootdir"):
            raise param_error(
                {"storage": f"storage '{sid}' does not support container directories"}
            )
        return storage

    def _new_disk(
        self, node: Node, sid: str, vmid: int, size: int, task: Task, *, formatted: bool = True
    ) -> str:
        storage = node.storages[sid]
        n = 0
        while f"{sid}:{disk_name(storage.type, vmid, n)}" in storage.volumes:
            n += 1
        name = disk_name(storage.type, vmid, n)
        volid = f"{sid}:{name}"
        fmt = "raw"
        storage.volumes[volid] = Volume(volid, "rootdir", size, int(self.now()), fmt, vmid=vmid)
        if storage.type == "lvmthin":
            task.log(f'  Logical volume "{name}" created.')
        if storage.type == "lvmthin" and formatted:
            # A linked clone is a snapshot of the base's file system (pve-storage
            # LvmThinPlugin.pm clone_image: `lvcreate -s`): no mkfs, unlike a new volume.
            blocks = size // 4096
            task.log(
                f"Creating filesystem with {blocks} 4k blocks and {blocks // 4} inodes",
                "Superblock backups stored on blocks: ",
                "\t32768, 98304, 163840, 229376, 294912, 819200, 884736",
            )
        return volid

    def _drop_disks(self, node_name: str, vmid: int) -> None:
        node = self.nodes.get(node_name)
        for storage in node.storages.values() if node else ():
            for volid in [
                v
                for v, vol in storage.volumes.items()
                if vol.vmid == vmid and vol.content in ("rootdir", "images")
            ]:
                del storage.volumes[volid]

    async def create_ct(self, node_name: str, params: dict[str, Any], user: str) -> Task:
        """`POST /nodes/{node}/lxc` with verified, typed `params` (create, or restore=1)."""
        node = self.node(node_name)
        vmid = int(params["vmid"])
        restore, force = bool(params.get("restore")), bool(params.get("force"))
        existing = self.guests.get(vmid)
        overwrite = bool(existing and existing.type == "lxc" and existing.node == node_name)
        if not (overwrite and restore and force):
            self.check_vmid_unused(vmid)
        elif existing.config.get("protection"):
            raise PveError(500, f"unable to restore CT {vmid} - protection mode enabled")
        check_feature_permission(
            user, params.get("features"), None, unprivileged=bool(params.get("unprivileged"))
        )
        keys = params.get("ssh-public-keys")
        if keys is not None and not _valid_ssh_keys(keys):
            raise PveError(500, "SSH public key validation error")
        storage_id = params.get("storage", "local")
        ostemplate = params["ostemplate"]
        tsid, _ = parse_volid(ostemplate)
        if tsid not in node.storages:
            raise PveError(500, f"storage '{tsid}' does not exist")
        rootfs = str(params.get("rootfs") or "")
        if re.fullmatch(r"\d+(\.\d+)?", rootfs):
            rootfs = f"{storage_id}:{rootfs}"
        if rootfs:
            volume = mountpoint_volume(rootfs)
            sid, size_text = parse_volid(volume)
            if not re.fullmatch(r"\d+(\.\d+)?", size_text):
                raise PveError(
                    500,
                    f"unable to create CT {vmid} - the simulator only allocates "
                    "new volumes (STORAGE:SIZE_IN_GiB)",
                )
            self._rootdir_storage(node, sid)
            size = int(float(size_text) * GiB)
        else:
            sid, size = storage_id, 0
            self._rootdir_storage(node, sid)
        if overwrite and existing.status == "running":
            raise PveError(500, "can't overwrite running container")
        if overwrite:
            await self.wait_config_lock(existing)

        config = config_from_params(params, self.new_hwaddr)
        hostname = config.get("hostname") or (
            existing.config.get("hostname") if overwrite else None
        )
        guest = Guest(
            vmid=vmid, node=node_name, type="lxc", config={"lock": "create"}, created=self.now()
        )
        if hostname:
            guest.config["hostname"] = hostname
        if not overwrite:
            self.guests[vmid] = guest  # reserved now: a second create with this id fails

        async def body(task: Task) -> None:
            source = node.storages[tsid].volumes.get(ostemplate)
            if source is None:
                raise TaskError(
                    f"unable to create CT {vmid} - volume '{ostemplate}' does not exist"
                )
            payload = source.payload or {}
            if restore:
                if source.content != "backup":
                    raise TaskError(f"unable to restore CT {vmid} - '{ostemplate}' is not a backup")
                task.log(f"recovering backed-up configuration from '{ostemplate}'")
            disk_size = size or _backup_disk_size(payload) or 4 * GiB
            await task.step(0.5)
            volid = self._new_disk(node, sid, vmid, disk_size, task)
            path = _archive_path(node, ostemplate)
            if restore:
                task.log(f"restoring '{ostemplate}' now..")
            task.log(f"extracting archive '{path}'")
            await task.step(1.0 + source.size / (60 * 1024**2))
            task.log(
                f"Total bytes read: {source.size * 3} ({source.size * 3 // 1024**2}MiB, 92MiB/s)",
                "Detected container architecture: amd64",
            )
            ostype = appliances.ostype_for(ostemplate.rsplit("/", 1)[-1])
            if not restore and ostype in ("debian", "ubuntu"):
                for kind in ("rsa", "ecdsa", "ed25519"):
                    task.log(
                        f"Creating SSH host key 'ssh_host_{kind}_key' - this may take some "
                        "time ...",
                        f"done: SHA256:{_fake_hash(self.rng)} root@{hostname}",
                    )
            if restore:
                task.log("merging backed-up and given configuration..")
            task.checkpoint()
            final = self._final_config(vmid, config, payload if restore else None, ostype)
            final["rootfs"] = mountpoint_string(volid, disk_size, mountpoint_extras(rootfs))
            if overwrite:
                old = self.guests.pop(vmid, None)
                if old is not None:
                    self._drop_old_disks(node, old, keep=volid)
                self.guests[vmid] = guest
            guest.config = final
            guest.usage = Usage(disk=min(disk_size, source.size * 3 + 50 * 1024**2))
            if restore and payload.get("inside") is not None:
                guest.inside = self.inside_from_dict({**payload["inside"], "vmid": vmid})
            else:
                template = ostemplate.rsplit("/", 1)[-1]
                guest.inside = self.new_inside(vmid, ostype, final["hostname"], template)
            pool = params.get("pool")
            if pool and pool in self.access.pools:
                # API2/LXC.pm create_vm: PVE::AccessControl::add_vm_to_pool
                self.access.pools[pool].vms.add(vmid)
            if params.get("start"):
                await task.step(1.5)
                self.power_on(guest)

        def cleanup(task: Task, error: str) -> None:
            if self.guests.get(vmid) is guest:
                del self.guests[vmid]
            volumes = node.storages[sid].volumes
            for volid in [
                v
                for v, vol in volumes.items()
                if vol.vmid == vmid and vol.content == "rootdir" and not _in_use(self, vmid, v)
            ]:
                del volumes[volid]

        kind = "vzrestore" if restore else "vzcreate"
        return self.spawn(node_name, kind, str(vmid), user, body, vmid=vmid, cleanup=cleanup)

    def _drop_old_disks(self, node: Node, old: Guest, keep: str) -> None:
        for storage in node.storages.values():
            for volid in [
                v
                for v, vol in storage.volumes.items()
                if vol.vmid == old.vmid and vol.content in ("rootdir", "images") and v != keep
            ]:
                del storage.volumes[volid]

    @staticmethod
    def _final_config(
        vmid: int, given: dict[str, Any], backup: dict[str, Any] | None, ostype: str
    ) -> dict[str, Any]:
        conf: dict[str, Any] = {"arch": "amd64"}
        if backup is not None:
            conf.update(
                {
                    k: v
                    for k, v in backup.get("config", {}).items()
                    if k not in ("rootfs", "lock", "parent")
                }
            )
        else:
            conf["ostype"] = ostype
        conf.update(given)
        conf.setdefault("hostname", f"CT{vmid}")
        conf.setdefault("memory", 512)
        conf.setdefault("swap", 512)
        return conf

    async def clone_ct(self, node_name: str, vmid: int, params: dict[str, Any], user: str) -> Task:
        """`POST .../clone`, in the order of pve-container `src/PVE/API2/LXC.pm` clone_vm."""
        src = self.ct_on(node_name, vmid)
        node = self.node(node_name)
        newid = int(params["newid"])
        snapname = params.get("snapname")
        target = self.clone_target(node_name, params)
        self.check_vmid_unused(newid)
        snap = None
        if snapname is not None:
            snap = src.snapshots.get(snapname)
            if snap is None:
                raise PveError(500, f"snapshot '{snapname}' does not exist")
        template = bool(src.config.get("template"))
        full = bool(params.get("full", 0 if template else 1))
        if full and src.status == "running" and snap is None:
            raise PveError(
                500, "Full clone of a running container is only possible from a snapshot"
            )
        src_disk = mountpoint_volume(str((snap.config if snap else src.config).get("rootfs", "")))
        linked = self.clone_kind(node, src, src_disk, full, params)
        default_sid = self.profile.ct_storage_id
        sid = params.get("storage") or (parse_volid(src_disk)[0] if src_disk else default_sid)
        storage = self._rootdir_storage(node, sid)
        # clone_vm, per volume: `$sid = $storage if defined($storage)`, a volume on a storage
        # without `shared` makes $sharedvm 0, and then (only mount points of type volume exist
        # here: the simulator models rootfs alone):
        if target is not None and storage.type not in SHARED_TYPES:
            raise PveError(500, f"can't clone CT to node '{target}' (CT uses local storage)")
        await self.wait_config_lock(src)
        self.check_lock(src)
        base = dict(snap.config if snap else src.config)
        base.pop("lock", None)
        base.pop("parent", None)
        base.pop("template", None)  # API2/LXC.pm clone_vm: delete $newconf->{template}
        if params.get("hostname"):
            base["hostname"] = params["hostname"]
        # pve-container API2/LXC.pm clone_vm: `$newconf->{description} = $param->{description}
        # if $param->{description}` (an empty one keeps the source's).
        if params.get("description") and normalize_description(params["description"]):
            base["description"] = normalize_description(params["description"])
        for key in [k for k in base if re.fullmatch(r"net\d+", k)]:
            base[key] = with_new_hwaddr(str(base[key]), self.new_hwaddr())
        clone = Guest(
            vmid=newid,
            node=node_name,
            type="lxc",
            config={**base, "lock": "create"},
            created=self.now(),
        )
        self.guests[newid] = clone
        inside_src = snap.inside if snap is not None else src.inside

        async def body(task: Task) -> None:
            at = f"@{snapname}" if snapname else ""
            size = src.maxdisk or 4 * GiB
            used = src.usage.disk
            if linked:  # a thin snapshot of the base: no data moves (ops_template.py)
                task.log(f"create linked clone of mount point rootfs ({src_disk})")
                volid = self._new_disk(node, sid, newid, size, task, formatted=False)
                await task.step(LINKED_CLONE_SECONDS)
            else:  # every file of the source is copied (ops_template.FULL_COPY_RATE)
                task.log(f"create full clone of mountpoint rootfs ({src_disk}{at})")
                volid = self._new_disk(node, sid, newid, size, task)
                await task.step(1.0 + used / FULL_COPY_RATE)
                task.log(
                    f"Number of files: {used // 40960:,}",
                    f"total size is {used:,}  speedup is 1.00",
                )
            task.checkpoint()
            base["rootfs"] = mountpoint_string(
                volid, size, mountpoint_extras(src.config.get("rootfs", ""))
            )
            clone.config = base
            clone.usage = Usage(disk=used)
            pool = params.get("pool")
            if pool and pool in self.access.pools:
                self.access.pools[pool].vms.add(newid)  # API2/LXC.pm clone_vm: add_vm_to_pool
            if inside_src is not None:
                clone.inside = inside_src.clone()
                clone.inside.vmid = newid
            if target is not None:  # clone_vm's last step: move_config_to_node($newid, $target)
                clone.node = target

        def cleanup(task: Task, error: str) -> None:
            if self.guests.get(newid) is clone:
                del self.guests[newid]
            self._drop_disks(node_name, newid)

        return self.spawn(
            node_name,
            "vzclone",
            str(vmid),
            user,
            body,
            vmid=vmid,
            cleanup=cleanup,
            lock=(src, "disk"),
        )


def _archive_path(node: Node, volid: str) -> str:
    sid, name = volid.split(":", 1)
    storage = node.storages.get(sid)
    base = storage.path if storage is not None and storage.path else f"/mnt/pve/{sid}"
    kind, _, fname = name.partition("/")
    sub = {"vztmpl": "template/cache", "backup": "dump"}.get(kind, kind)
    return f"{base}/{sub}/{fname}"


def _backup_disk_size(payload: dict[str, Any]) -> int:
    from pvesim.model import parse_size_option

    return parse_size_option(str(payload.get("config", {}).get("rootfs", "")))


def _in_use(state: Any, vmid: int, volid: str) -> bool:
    g = state.guests.get(vmid)
    return g is not None and volid in str(g.config.get("rootfs", ""))


_SSH_KEY = re.compile(
    r"(?:\S+\s+)?(ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-nistp\d+|sk-\S+)\s+[A-Za-z0-9+/]+=*(\s.*)?"
)


def _valid_ssh_keys(text: str) -> bool:
    """What `ssh-keygen -l` accepts, roughly: one OpenSSH public key per non-empty line."""
    return all(_SSH_KEY.fullmatch(line.strip()) for line in text.splitlines() if line.strip())


def _fake_hash(rng: Any) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return "".join(rng.choice(alphabet) for _ in range(43))
