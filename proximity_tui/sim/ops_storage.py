"""Storages: listing them and their content, and downloading templates (`POST .../aplinfo`)."""

from __future__ import annotations

from typing import Any

from proximity_tui.sim import appliances
from proximity_tui.sim.errors import PveError, param_error
from proximity_tui.sim.model import Volume
from proximity_tui.sim.ops_base import OpsBase
from proximity_tui.sim.tasks import Task

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
        appliance = appliances.BY_TEMPLATE.get(template)
        if appliance is None:
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
