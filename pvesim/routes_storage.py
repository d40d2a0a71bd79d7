"""Storage endpoints: the storages of a node, their content, and one volume."""

from __future__ import annotations

import asyncio
from typing import Any

from pvesim import perms, views
from pvesim.errors import PveError
from pvesim.router import Ctx, api

_READ = ("Datastore.Audit", "Datastore.AllocateSpace")


@api("GET", "/nodes/{node}/storage")
async def storage_list(ctx: Ctx) -> Any:
    p = ctx.params
    node = ctx.state.node(p["node"])
    wanted = [c for c in str(p.get("content", "")).replace(";", ",").split(",") if c]
    out = []
    for st in node.storages.values():
        if p.get("storage") and st.id != p["storage"]:
            continue
        if wanted and not any(st.supports(c) for c in wanted):
            continue
        # pve-storage `src/PVE/API2/Storage/Status.pm` index: Datastore.Audit or AllocateSpace
        if not ctx.allowed(f"/storage/{st.id}", *_READ, any_=True):
            continue
        out.append(views.storage_entry(st))
    return out


@api("GET", "/nodes/{node}/storage/{storage}/content")
async def storage_content(ctx: Ctx) -> Any:
    p = ctx.params
    # pve-storage `src/PVE/API2/Storage/Content.pm` index: read access to the storage, then
    # only the volumes check_volume_access lets through
    ctx.check(f"/storage/{p['storage']}", *_READ, any_=True)
    st = ctx.state.storage_of(p["node"], p["storage"])
    content, vmid = p.get("content"), p.get("vmid")
    root = ctx.state.access.unrestricted(ctx.user)
    return [
        views.volume_entry(v)
        for v in sorted(st.volumes.values(), key=lambda v: v.volid)
        if (content is None or v.content == content)
        and (vmid is None or v.vmid == vmid)
        and (root or perms.may_see_volume(ctx, v.volid))
    ]


@api("GET", "/nodes/{node}/storage/{storage}/content/{volume}")
async def volume_get(ctx: Ctx) -> Any:
    p = ctx.params
    _, volid = ctx.state.real_volid(p["node"], p.get("storage"), p["volume"])
    perms.check_volume_access(ctx, volid, None)
    return ctx.state.volume_attributes(p["node"], p.get("storage"), p["volume"])


@api("PUT", "/nodes/{node}/storage/{storage}/content/{volume}")
async def volume_update(ctx: Ctx) -> Any:
    p = ctx.params
    _, volid = ctx.state.real_volid(p["node"], p.get("storage"), p["volume"])
    perms.check_volume_access(ctx, volid, None)
    ctx.state.update_volume(
        p["node"], p.get("storage"), p["volume"], p.get("notes"), p.get("protected")
    )
    return None


@api("DELETE", "/nodes/{node}/storage/{storage}/content/{volume}")
async def volume_delete(ctx: Ctx) -> Any:
    p = ctx.params
    _, volid = ctx.state.real_volid(p["node"], p.get("storage"), p["volume"])
    perms.check_volume_access(ctx, volid, None)
    task = await ctx.state.delete_volume(p["node"], p.get("storage"), p["volume"], ctx.user)
    delay = p.get("delay")
    if delay:
        # PVE waits up to `delay` seconds: null when done in time, the error if it failed
        try:
            await asyncio.wait_for(asyncio.shield(task.done.wait()), delay)
        except TimeoutError:
            return task.upid
        if task.exitstatus != "OK":
            raise PveError(500, task.exitstatus or "unknown error")
        return None
    return task.upid
