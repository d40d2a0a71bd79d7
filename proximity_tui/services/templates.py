"""Which container template a deploy uses: resolved on the node, never a hard-coded build.

Proxmox's appliance index (`GET /nodes/{node}/aplinfo`, what `pveam available` lists) keeps only
the current builds: an old `alpine-3.22-default_20250617_amd64.tar.xz` disappears from it once a
newer one is published, and a name written into a config then fails at the download. So:

1. an explicit name (a catalog entry that pins one, or `[deploy] template`) is used as given:
   already on the node, else downloaded if the index lists it, else refused with what is listed;
2. otherwise the newest `alpine-X.Y-default_DATE_amd64` already on the node's template storages
   is used (no download; what the admin downloaded stays in use);
3. otherwise the newest such name in the node's index is downloaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from proximity_tui.errors import ValidationError

if TYPE_CHECKING:
    from proximity_tui.proxmox.client import ProxmoxClient

#: The Alpine "default" LXC images Proxmox publishes (`system/alpine-3.23-default_20260116_...`).
ALPINE_DEFAULT = re.compile(
    r"^alpine-(?P<major>\d+)\.(?P<minor>\d+)-default_(?P<date>\d{8})_amd64\.tar\.(xz|zst|gz)$"
)


def alpine_key(name: str) -> tuple[int, int, str] | None:
    """(major, minor, build date) of an Alpine default template name, None for anything else."""
    m = ALPINE_DEFAULT.match(name)
    return (int(m["major"]), int(m["minor"]), m["date"]) if m else None


def newest_alpine(names: list[str]) -> str | None:
    keyed = [(k, n) for n in names if (k := alpine_key(n)) is not None]
    return max(keyed)[1] if keyed else None


@dataclass(frozen=True)
class TemplateChoice:
    name: str
    #: The volume when the template is already on the node; None when it must be downloaded.
    volid: str | None
    #: `pinned` (an explicit name), `on the node` or `from the index`.
    source: str

    def describe(self, node: str) -> str:
        if self.volid:
            return f"{self.volid} is cached on {node}"
        return f"template {self.name} ({self.source}) is not on {node} yet"


async def resolve_template(
    client: ProxmoxClient, node: str, pinned: str | None = None
) -> TemplateChoice:
    """The template a deploy on `node` uses (see the module's rules). Raises `ValidationError`
    naming what the node has when nothing fits."""
    local = await client.templates(node)
    if pinned:
        for vol in local:
            if pinned in (vol.name, vol.volid):
                return TemplateChoice(vol.name, vol.volid, "pinned")
        index = [a.template for a in await client.appliances(node)]
        if pinned in index:
            return TemplateChoice(pinned, None, "pinned")
        newest = newest_alpine(index)
        hint = f"; the newest Alpine it lists is {newest}" if newest else ""
        raise ValidationError(
            f"template {pinned} is neither on node {node} nor in its appliance index{hint}: "
            "remove the pinned name ([deploy] template, or the catalog entry's template) to use "
            "the newest Alpine",
            field="template",
        )
    by_name = {vol.name: vol for vol in local}
    newest = newest_alpine(list(by_name))
    if newest is not None:
        return TemplateChoice(newest, by_name[newest].volid, "on the node")
    newest = newest_alpine([a.template for a in await client.appliances(node)])
    if newest is None:
        raise ValidationError(
            f"node {node} has no Alpine template and its appliance index lists none: run "
            "`pveam update` on the node (or download one with `pveam download local "
            "alpine-...`)",
            field="template",
        )
    return TemplateChoice(newest, None, "from the index")


def pinned_template(entry_template: str, default: str, configured: str) -> str | None:
    """The explicit name a deploy must use, if any: the catalog entry's own (when it differs
    from the catalog's default), else `[deploy] template`; None means "resolve the newest"."""
    if entry_template and entry_template != default:
        return entry_template
    return configured or None
