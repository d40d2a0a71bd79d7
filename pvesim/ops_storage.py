"""Storages: listing them and their content, and downloading templates (`POST .../aplinfo`)."""

from __future__ import annotations

import re
from typing import Any

from pvesim import appliances
from pvesim.errors import PveError, TaskError, param_error
from pvesim.model import Volume
from pvesim.ops_base import OpsBase
from pvesim.tasks import Task

#: Simulated download speed of the template mirror.
DOWNLOAD_BYTES_PER_SECOND = 8 * 1024**2
_FORMATS = {".tar.xz": "txz", ".tar.zst": "tzst", ".tar.gz": "tgz"}


def template_format(name: str) -> str:
    return next((f for ext, f in _FORMATS.items() if name.endswith(ext)), "raw")


class StorageOps(OpsBase):
    def storage_of(self, node_name: str, sid: str) -> Any:
        storage = self.node(node_name).storages.get(sid)
        if storage is None:
            raise PveError(500, f"storage '{sid}' does not exist")
        return storage

    async def download_template(self, node_name: str, sid: str, template: str, user: str) -> Task:
        storage = self.storage_of(node_name, sid)
        appliance = appliances.lookup(template, self.profile.templates_rotated)
        if appliance is None:
            # pve-manager `PVE/API2/Nodes.pm` apl_download
            raise param_error({"template": "no such template"})
        if not storage.supports("vztmpl"):
            raise PveError(500, f"storage '{sid}' does not support templates")
        url = f"{appliances.SOURCE}/{appliance.location}"
        dest = f"{storage.path}/template/cache/{template}"
        volid = f"{sid}:vztmpl/{template}"

        async def body(task: Task) -> None:
            if volid in storage.volumes:
                task.log(f"file '{dest}' already exists - no need to download")
                return
            task.log(f"downloading {url} to {dest}")
            await task.step(appliance.size / DOWNLOAD_BYTES_PER_SECOND)
            task.checkpoint()
            task.log(
                "calculating checksum...OK, checksum verified",
                f"download of '{url}' to '{dest}' finished",
            )
            storage.volumes[volid] = Volume(
                volid, "vztmpl", appliance.size, int(self.now()), template_format(template)
            )

        return self.spawn(node_name, "download", template, user, body)


class VolumeOps(OpsBase):
    """One volume: `GET|PUT|DELETE /nodes/{node}/storage/{storage}/content/{volume}`."""

    def real_volid(self, node_name: str, storage: str | None, volume: str) -> tuple[Any, str]:
        """PVE's rule: `volume` is a whole volid (its storage must match) or a name on `storage`."""
        if ":" in volume:
            sid = volume.split(":", 1)[0]
            if not re.fullmatch(r"[a-z][a-z0-9\-_.]*[a-z0-9]", sid, re.I):
                raise param_error({"volume": f"unable to parse volume ID '{volume}'\n"})
            if storage and sid != storage:
                raise param_error({"volume": f"storage ID mismatch ({sid} != {storage})\n"})
            volid = volume
        else:
            if not storage:
                raise param_error({"volume": "no storage specified"})
            sid, volid = storage, f"{storage}:{volume}"
        return self.storage_of(node_name, sid), volid

    def volume(self, node_name: str, storage: str | None, volume: str) -> tuple[Any, Any]:
        st, volid = self.real_volid(node_name, storage, volume)
        vol = st.volumes.get(volid)
        if vol is None:
            raise PveError(500, f"volume '{volid}' does not exist")
        return st, vol

    def volume_attributes(self, node_name: str, storage: str | None, volume: str) -> dict:
        st, vol = self.volume(node_name, storage, volume)
        name = vol.volid.split(":", 1)[1]
        kind, _, fname = name.partition("/")
        sub = {"backup": "dump", "vztmpl": "template/cache", "iso": "template/iso"}.get(kind)
        if st.type == "lvmthin":
            path = f"/dev/pve/{name}"
        else:
            path = f"{st.path}/{sub}/{fname}" if sub else f"{st.path}/images/{name}"
        out: dict[str, Any] = {"format": vol.format, "path": path, "size": vol.size,
                               "used": vol.size}  # fmt: skip
        if vol.content == "backup":
            out["protected"] = int(vol.protected)
            if vol.notes:
                out["notes"] = vol.notes
        return out

    def update_volume(self, node_name: str, storage: str | None, volume: str,
                      notes: str | None, protected: int | None) -> None:  # fmt: skip
        _, vol = self.volume(node_name, storage, volume)
        if notes is not None:
            vol.notes = notes or None
        if protected is not None:
            if vol.content != "backup":
                raise PveError(500, "protection is only supported for backups")
            vol.protected = bool(protected)

    async def delete_volume(self, node_name: str, storage: str | None, volume: str,
                            user: str) -> Task:  # fmt: skip
        st, volid = self.real_volid(node_name, storage, volume)
        vol = st.volumes.get(volid)
        if vol is None:
            raise PveError(500, f"volume '{volid}' does not exist")

        async def body(task: Task) -> None:
            current = st.volumes.get(volid)
            if current is None:
                raise TaskError(f"volume '{volid}' does not exist")
            if current.protected:
                raise TaskError(f"volume '{volid}' is protected")
            owner = self.guests.get(current.vmid) if current.vmid is not None else None
            in_use = owner is not None and volid in str(owner.config.get("rootfs", ""))
            if in_use and current.content in ("rootdir", "images"):
                raise TaskError(f"unable to delete '{volid}' - volume is still in use")
            await task.step(0.3)
            task.checkpoint()
            del st.volumes[volid]
            task.log(f"Removed volume '{volid}'")

        # a UPID's fields are colon-separated: PVE writes the id's colons as \x3a
        return self.spawn(node_name, "imgdel", volid.replace(":", "\\x3a"), user, body,
                          vmid=vol.vmid)  # fmt: skip
