"""What an update will pull, per compose service: the image the app runs now (read from the
compose file inside its container) and the one the update moves it to (the catalog entry's image
for that service; the same reference when the catalog has not moved, which `compose pull`
refreshes to the newest build of that tag).

The update step rewrites only the `image:` lines that change; the rollback point taken before it
covers the file, so a rolled-back update leaves the old images in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from proximity_tui.errors import ProximityError

if TYPE_CHECKING:
    from proximity_tui.services.containers import Containers
    from proximity_tui.views import AppView


@dataclass(frozen=True)
class ImageChange:
    service: str
    current: str
    new: str

    @property
    def changes(self) -> bool:
        return self.current != self.new

    def line(self) -> str:
        if self.changes:
            return f"{self.service}: {self.current} → {self.new}"
        return f"{self.service}: {self.current} (pulls the newest build of this tag)"


def service_images(compose: Any) -> dict[str, str]:
    services = (compose or {}).get("services") if isinstance(compose, dict) else None
    if not isinstance(services, dict):
        return {}
    return {
        str(name): str(s["image"])
        for name, s in services.items()
        if isinstance(s, dict) and s.get("image")
    }


def plan(current: dict[str, str], catalog: dict[str, str]) -> list[ImageChange]:
    """Per service the app runs: its image now and after the update (a service the catalog no
    longer has keeps its image)."""
    return [ImageChange(name, image, catalog.get(name, image)) for name, image in current.items()]


def retag(text: str, changes: Sequence[ImageChange]) -> str:
    """The compose file with the changed images in place (nothing else touched)."""
    data = yaml.safe_load(text)
    for change in changes:
        if change.changes:
            data["services"][change.service]["image"] = change.new
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=100)


async def read_compose(containers: Containers, app: AppView, cfile: str) -> str:
    result = await containers.exec.run(
        app.node, app.vmid, ["cat", cfile], timeout=containers.task_timeout, check=False
    )
    if not result.ok:
        raise ProximityError(
            f"cannot read {cfile} in CT {app.vmid}: {result.stderr.strip() or 'no output'}"
        )
    return result.stdout


async def image_changes(
    containers: Containers, app: AppView, cfile: str, catalog_compose: Any
) -> list[ImageChange]:
    current = service_images(yaml.safe_load(await read_compose(containers, app, cfile)))
    return plan(current, service_images(catalog_compose))
