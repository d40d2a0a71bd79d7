"""Snapshots (take, roll back, delete) and backups (`vzdump`), as tasks with PVE's locks."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pvesim.ctconfig import mountpoint_volume
from pvesim.errors import PveError, TaskError
from pvesim.model import Guest, Snapshot, Volume, snapshot_capable
from pvesim.ops_base import OpsBase
from pvesim.tasks import Task

_RESERVED = ("vzdump", "current")
_EXTENSIONS = {"0": "tar", "1": "tar.lzo", "lzo": "tar.lzo", "gzip": "tar.gz", "zstd": "tar.zst"}


class SnapshotOps(OpsBase):
    def snapshot_list(self, g: Guest) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for snap in g.snapshots.values():
            item: dict[str, Any] = {
                "name": snap.name,
                "snaptime": snap.snaptime,
                "description": snap.description,
            }
            if snap.parent:
                item["parent"] = snap.parent
            out.append(item)
        current: dict[str, Any] = {
            "name": "current",
            "description": "You are here!",
            "running": 1 if g.status == "running" else 0,
        }
        if g.config.get("parent"):
            current["parent"] = g.config["parent"]
        out.append(current)
        return out

    async def snapshot_create(
        self, node: str, vmid: int, snapname: str, user: str, description: str = ""
    ) -> Task:
        g = self.ct_on(node, vmid)
        if snapname in _RESERVED:
            raise PveError(500, f"unable to use snapshot name '{snapname}' (reserved name)")

        async def body(task: Task) -> None:
            if snapname in g.snapshots:
                raise TaskError(f"snapshot name '{snapname}' already used")
            volume = mountpoint_volume(str(g.config.get("rootfs", "")))
            if not self._can_snapshot(g.node, volume):
                # pve-guest-common `src/PVE/AbstractConfig.pm` __snapshot_prepare: has_feature
                # ('snapshot') fails on dir/nfs/cifs/thick-lvm volumes (see model.SNAPSHOT_TYPES)
                raise TaskError("snapshot feature is not available")
            await task.step(1.0)
            task.checkpoint()
            config = {k: v for k, v in g.config.items() if k not in ("lock", "parent")}
            g.snapshots[snapname] = Snapshot(
                name=snapname,
                snaptime=int(self.now()),
                description=description,
                parent=g.config.get("parent"),
                config=config,
                running=g.status == "running",
                inside=g.inside.clone() if g.inside is not None else None,
            )
            g.config["parent"] = snapname
            disk = volume.split(":", 1)[-1]
            task.log(f'  Logical volume "snap_{disk}_{snapname}" created.')

        return await self._locked_task(g, "vzsnapshot", "snapshot", user, body)

    async def snapshot_delete(
        self, node: str, vmid: int, snapname: str, user: str, force: int = 0
    ) -> Task:
        g = self.ct_on(node, vmid)

        async def body(task: Task) -> None:
            snap = g.snapshots.get(snapname)
            if snap is None:
                raise TaskError(f"snapshot '{snapname}' does not exist")
            await task.step(0.8)
            task.checkpoint()
            disk = mountpoint_volume(str(g.config.get("rootfs", ""))).split(":", 1)[-1]
            task.log(f'  Logical volume "snap_{disk}_{snapname}" successfully removed.')
            for other in g.snapshots.values():
                if other.parent == snapname:
                    other.parent = snap.parent
            if g.config.get("parent") == snapname:
                if snap.parent:
                    g.config["parent"] = snap.parent
                else:
                    g.config.pop("parent", None)
            del g.snapshots[snapname]

        return await self._locked_task(g, "vzdelsnapshot", "snapshot-delete", user, body)

    async def snapshot_rollback(
        self, node: str, vmid: int, snapname: str, user: str, start: int = 0
    ) -> Task:
        g = self.ct_on(node, vmid)

        async def body(task: Task) -> None:
            snap = g.snapshots.get(snapname)
            if snap is None:
                raise TaskError(f"snapshot '{snapname}' does not exist")
            if g.status == "running":
                await task.step(0.8)
                self.power_off(g)
            await task.step(1.0)
            task.checkpoint()
            disk = mountpoint_volume(str(g.config.get("rootfs", ""))).split(":", 1)[-1]
            task.log(
                f'  Logical volume "{disk}" successfully removed.',
                f'  Logical volume "{disk}" created.',
            )
            g.config = {**snap.config, "parent": snapname, "lock": "rollback"}
            g.pending.clear()
            if snap.inside is not None:
                g.inside = snap.inside.clone()
            if start:
                # pve-container `src/PVE/API2/LXC/Snapshot.pm` rollback: after the rollback the
                # worker calls PVE::API2::LXC::Status->vm_start, which forks its own `vzstart`
                # task and returns: the rollback task ends while the CT is still stopped.
                g.config.pop("lock", None)
                self.spawn_start(g, user)

        return await self._locked_task(g, "vzrollback", "rollback", user, body)

    def _can_snapshot(self, node: str, volume: str) -> bool:
        sid = volume.split(":", 1)[0]
        storage = self.nodes[node].storages.get(sid)
        return storage is None or snapshot_capable(storage.type)

    async def _locked_task(self, g: Guest, kind: str, lock: str, user: str, body) -> Task:
        """Run `body` with the CT's `lock` property set; a locked CT fails inside the task."""
        await self.wait_config_lock(g)
        existing = g.config.get("lock")

        async def guarded(task: Task) -> None:
            if existing:
                raise TaskError(f"CT is locked ({existing})")
            await body(task)

        return self.spawn(
            g.node,
            kind,
            str(g.vmid),
            user,
            guarded,
            vmid=g.vmid,
            hold=g,
            lock=None if existing else (g, lock),
        )

    # --- backups -------------------------------------------------------------------------------

    async def vzdump(
        self,
        node_name: str,
        params: dict[str, Any],
        user: str,
        may_backup: Callable[[int], bool] | None = None,
    ) -> Task:
        node = self.node(node_name)
        vmids = [int(v) for v in str(params.get("vmid", "")).replace(";", ",").split(",") if v]
        if not vmids and not params.get("all"):
            raise PveError(500, "no VMs to backup")
        sid = params.get("storage", "local")
        storage = node.storages.get(sid)
        if storage is None:
            raise PveError(500, f"storage '{sid}' does not exist")
        if not storage.supports("backup"):
            raise PveError(500, f"storage '{sid}' does not support backups")
        mode = params.get("mode", "snapshot")
        compress = str(params.get("compress", "0"))
        notes_template = params.get("notes-template")
        protected = bool(params.get("protected"))
        argv = " ".join(f"--{k} {v}" for k, v in sorted(params.items()) if k not in ("vmid",))
        ident = str(vmids[0]) if len(vmids) == 1 else ""

        async def body(task: Task) -> None:
            task.log(f"INFO: starting new backup job: vzdump {' '.join(map(str, vmids))} {argv}")
            for vmid in vmids:
                if may_backup is not None and vmid in self.guests and not may_backup(vmid):
                    raise TaskError(f"Permission check failed (/vms/{vmid}, VM.Backup)")
            failed = 0
            for vmid in vmids:
                try:
                    await self._backup_one(
                        task, node_name, storage, vmid, mode, compress, notes_template, protected
                    )
                except TaskError as exc:
                    failed += 1
                    task.log(f"ERROR: Backup of VM {vmid} failed - {exc.message}")
            if failed:
                raise TaskError("job errors")
            task.log("INFO: Backup job finished successfully")

        return self.spawn(node_name, "vzdump", ident, user, body, vmid=vmids[0] if vmids else None)

    async def _backup_one(
        self,
        task: Task,
        node: str,
        storage: Any,
        vmid: int,
        mode: str,
        compress: str,
        notes_template: str | None,
        protected: bool = False,
    ) -> None:
        g = self.guests.get(vmid)
        if g is None or g.node != node:
            raise TaskError(f"unable to find VM '{vmid}'")
        stamp = time.strftime("%Y_%m_%d-%H_%M_%S", time.gmtime(self.now()))
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.now()))
        task.log(
            f"INFO: Starting Backup of VM {vmid} ({g.type})",
            f"INFO: Backup started at {started}",
            f"INFO: status = {g.status}",
            f"INFO: CT Name: {g.name}",
            "INFO: including mount point rootfs ('/') in backup",
        )
        # pve-manager `PVE/VZDump.pm` exec_backup_task: a stopped guest is backed up in 'stop'
        # mode; 'snapshot' falls back to 'suspend' when the plugin's prepare reports a mode
        # failure (pve-container `src/PVE/VZDump/LXC.pm` prepare: no snapshot feature).
        if g.status != "running":
            mode = "stop"
        elif mode == "snapshot":
            rootfs = mountpoint_volume(str(g.config.get("rootfs", "")))
            if not self._can_snapshot(node, rootfs):
                task.log(
                    "INFO: mode failure - some volumes do not support snapshots",
                    "INFO: trying 'suspend' mode instead",
                )
                mode = "suspend"
        task.log(f"INFO: backup mode: {mode}")
        if g.config.get("lock"):
            raise TaskError(f"CT is locked ({g.config['lock']})")
        g.config["lock"] = "backup"
        was_running = g.status == "running"
        try:
            if mode == "stop" and was_running:
                task.log("INFO: stopping virtual guest")
                await task.step(0.8)
                self.power_off(g)
            if mode == "suspend":
                # pve-manager `PVE/VZDump.pm`: rsync while running, suspend, rsync again, resume
                task.log(
                    f"INFO: starting first sync /proc/{g.pid or 1}/root/ to /var/tmp/vzdumptmp",
                    "INFO: suspending guest",
                    "INFO: starting final sync",
                    "INFO: resuming guest",
                )
            fname = f"vzdump-{g.type}-{vmid}-{stamp}.{_EXTENSIONS.get(compress, 'tar')}"
            task.log(f"INFO: creating vzdump archive '{storage.path}/dump/{fname}'")
            await task.step(1.0 + g.usage.disk / (150 * 1024**2))
            task.checkpoint()
            size = max(1024**2, int(g.usage.disk * 0.45))
            notes = None
            if notes_template:
                notes = (
                    notes_template.replace("{{guestname}}", g.name)
                    .replace("{{vmid}}", str(vmid))
                    .replace("{{node}}", node)
                )
            config = {k: v for k, v in g.config.items() if k not in ("lock", "parent")}
            volid = f"{storage.id}:backup/{fname}"
            storage.volumes[volid] = Volume(
                volid,
                "backup",
                size,
                int(self.now()),
                _EXTENSIONS.get(compress, "tar"),
                vmid=vmid,
                notes=notes,
                protected=protected,
                payload={
                    "config": config,
                    "inside": g.inside.to_dict() if g.inside is not None else None,
                },
            )
            task.log(
                f"INFO: Total bytes written: {size * 2} ({size * 2 // 1024**2}MiB, 120MiB/s)",
                f"INFO: archive file size: {size // 1024**2}MB",
            )
            if notes:
                task.log("INFO: adding notes to backup")
            task.log(f"INFO: Finished Backup of VM {vmid} (00:00:0{min(9, 1 + size // 10**9)})")
        finally:
            if g.config.get("lock") == "backup":
                del g.config["lock"]
            if mode == "stop" and was_running and g.status != "running":
                task.log("INFO: restarting vm")
                self.power_on(g)
