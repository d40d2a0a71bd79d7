"""Cluster questions the product asks, built from the client's plain calls.

Where to place a container (free CPU and memory per online node), which storages take container
disks, templates or backups, and which templates each node already has.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from proximity_tui.errors import ValidationError
from proximity_tui.proxmox.models import NodeCapacity, Storage, Volume

if TYPE_CHECKING:
    from proximity_tui.proxmox.models import Node

MIB = 1024 * 1024
CONTENT_KINDS = ("rootdir", "images", "vztmpl", "backup", "iso", "snippets")


class ClusterQueries:
    """Mixed into `ProxmoxClient`; relies on its `nodes`, `storages` and `storage_content`."""

    if TYPE_CHECKING:

        async def nodes(self) -> list[Node]: ...

        async def storages(self, node: str, content: str | None = None) -> list[Storage]: ...

        async def storage_content(
            self, node: str, storage: str, content: str | None = None, *, vmid: int | None = None
        ) -> list[Volume]: ...

    async def nodes_with_capacity(self) -> list[NodeCapacity]:
        """Online nodes with their idle CPUs and free memory, most free memory first (one call);
        nodes whose figures Proxmox withheld (no Sys.Audit) come after, by name."""
        caps = [
            NodeCapacity(n.name, n.free_cpu, n.maxcpu, n.free_mem, n.maxmem)
            for n in await self.nodes()
            if n.online
        ]
        return sorted(caps, key=lambda c: (c.free_mem is None, -(c.free_mem or 0), c.node))

    async def best_node(self, memory_mb: int, cores: float = 0) -> str | None:
        """The online node with the most free memory that fits `memory_mb` (and `cores` idle
        CPUs, when given); None when no node fits. A node whose figures are unknown is taken
        only when no node is known to fit."""
        if memory_mb < 0 or cores < 0:
            raise ValidationError("memory and cores must not be negative")
        caps = await self.nodes_with_capacity()
        for cap in caps:
            if cap.free_mem is None or cap.free_cpu is None:
                continue
            if cap.free_mem >= memory_mb * MIB and cap.free_cpu >= cores:
                return cap.node
        unknown = [c.node for c in caps if c.free_mem is None]
        return unknown[0] if unknown else None

    async def storages_accepting(self, node: str, content: str) -> list[Storage]:
        """Active, enabled storages of `node` that take `content` (`rootdir`, `vztmpl`,
        `backup`, ...), most space available first."""
        if content not in CONTENT_KINDS:
            raise ValidationError(
                f"unknown storage content {content!r} (known: {', '.join(CONTENT_KINDS)})",
                field="content",
            )
        # Filtered here rather than by PVE's `content` parameter, which keeps exactly the storages
        # whose content list has it (pve-storage `PVE/Storage.pm` storage_info): the one
        # unfiltered listing then answers every kind an operation asks for (`once.py`).
        found = [s for s in await self.storages(node) if s.usable]
        return sorted((s for s in found if s.accepts(content)), key=lambda s: -s.avail)

    async def templates(self, node: str) -> list[Volume]:
        """Container templates already on `node`, over every storage that holds them."""
        out: list[Volume] = []
        for storage in await self.storages_accepting(node, "vztmpl"):
            out += await self.storage_content(node, storage.storage, "vztmpl")
        return out

    async def find_template(self, node: str, template: str) -> Volume | None:
        """The volume of `template` (file name, e.g. `alpine-3.22-...tar.xz`) on `node`."""
        for vol in await self.templates(node):
            if vol.name == template or vol.volid == template:
                return vol
        return None

    async def templates_by_node(self) -> dict[str, list[Volume]]:
        """Templates present on each online node (queried concurrently)."""
        names = [n.name for n in await self.nodes() if n.online]
        found = await asyncio.gather(*(self.templates(name) for name in names))
        return dict(zip(names, found, strict=True))
